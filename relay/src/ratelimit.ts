/**
 * Token buckets and per-address caps (issue 4, "Defence"). A bucket holds up to `burst`
 * tokens and refills at `rate` tokens per second; `take(n)` spends n tokens or refuses.
 * Time comes from a clock function so tests can drive it; the default is Date.now.
 */

export type Clock = () => number;

export class TokenBucket {
  #tokens: number;
  #last: number;

  /**
   * @param rate tokens added per second (> 0)
   * @param burst bucket size, the most tokens ever held (>= 1)
   */
  constructor(
    readonly rate: number,
    readonly burst: number,
    readonly clock: Clock = Date.now,
  ) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be a positive number, got ${rate}`);
    if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError(`burst must be a number >= 1, got ${burst}`);
    this.#tokens = burst;
    this.#last = clock();
  }

  /** Spends `n` tokens if the bucket holds them; returns false (and spends nothing) if not. */
  take(n = 1): boolean {
    this.#refill();
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }

  /** Tokens now available (after refill). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** True when the bucket is full again, i.e. forgetting it loses nothing. */
  get full(): boolean {
    return this.tokens >= this.burst;
  }

  #refill(): void {
    const now = this.clock();
    const dt = now - this.#last;
    if (dt > 0) {
      this.#tokens = Math.min(this.burst, this.#tokens + (dt * this.rate) / 1000);
      this.#last = now;
    }
  }
}

/**
 * Two buckets spent together: frames and bytes of one connection. Kept as plain numbers
 * (no objects per bucket) because every connection holds one.
 */
export class FrameByteBucket {
  #frames: number;
  #bytes: number;
  #last: number;

  constructor(
    readonly frameRate: number,
    readonly frameBurst: number,
    readonly byteRate: number,
    readonly byteBurst: number,
    readonly clock: Clock = Date.now,
  ) {
    this.#frames = frameBurst;
    this.#bytes = byteBurst;
    this.#last = clock();
  }

  /** Spends one frame and `bytes` bytes; false if either bucket is short (nothing spent). */
  take(bytes: number, now: number = this.clock()): boolean {
    const dt = now - this.#last;
    if (dt > 0) {
      this.#last = now;
      const f = this.#frames + (dt * this.frameRate) / 1000;
      this.#frames = f > this.frameBurst ? this.frameBurst : f;
      const b = this.#bytes + (dt * this.byteRate) / 1000;
      this.#bytes = b > this.byteBurst ? this.byteBurst : b;
    }
    if (this.#frames < 1 || this.#bytes < bytes) return false;
    this.#frames -= 1;
    this.#bytes -= bytes;
    return true;
  }
}

export type AdmitResult = 'ok' | 'too_many_connections' | 'too_many_handshakes' | 'global_cap';

interface AddressState {
  connections: number;
  handshakes: TokenBucket;
}

/**
 * Per-address caps: simultaneous connections and handshakes started per minute; plus a
 * global connection cap. Entries are forgotten when an address holds no connection and its
 * handshake bucket is full again, so the table stays bounded by live connections.
 */
export class AddressLimiter {
  readonly #byAddress = new Map<string, AddressState>();
  #total = 0;

  constructor(
    readonly maxConnectionsPerAddress: number,
    readonly handshakesPerMinute: number,
    readonly maxConnections: number,
    readonly clock: Clock = Date.now,
  ) {}

  /** Admits a new connection from `address` (counting it) or says why not. */
  admit(address: string): AdmitResult {
    if (this.#total >= this.maxConnections) return 'global_cap';
    let st = this.#byAddress.get(address);
    if (st === undefined) {
      st = {
        connections: 0,
        handshakes: new TokenBucket(this.handshakesPerMinute / 60, this.handshakesPerMinute, this.clock),
      };
      this.#byAddress.set(address, st);
    }
    if (st.connections >= this.maxConnectionsPerAddress) return 'too_many_connections';
    if (!st.handshakes.take(1)) return 'too_many_handshakes';
    st.connections++;
    this.#total++;
    return 'ok';
  }

  /** Releases a connection admitted earlier. */
  release(address: string): void {
    const st = this.#byAddress.get(address);
    if (st === undefined || st.connections === 0) return;
    st.connections--;
    this.#total--;
    if (st.connections === 0 && st.handshakes.full) this.#byAddress.delete(address);
  }

  /** Forgets idle addresses whose buckets refilled (call periodically). */
  sweep(): void {
    for (const [addr, st] of this.#byAddress) {
      if (st.connections === 0 && st.handshakes.full) this.#byAddress.delete(addr);
    }
  }

  get total(): number {
    return this.#total;
  }

  get addresses(): number {
    return this.#byAddress.size;
  }
}

/**
 * One token bucket per key (a key pair, a source address), created on first use and forgotten
 * once full again (forgetting a full bucket loses nothing), so state is bounded by the keys
 * active within one refill period. Unlike a bucket on the connection, reconnecting does not
 * reset it.
 */
export class KeyedBuckets {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(
    readonly perMinute: number,
    readonly clock: Clock = Date.now,
  ) {}

  take(key: string): boolean {
    let b = this.#buckets.get(key);
    if (b === undefined) this.#buckets.set(key, (b = new TokenBucket(this.perMinute / 60, this.perMinute, this.clock)));
    return b.take(1);
  }

  /** True if `key`'s bucket holds a token now (spends nothing; an unknown key's bucket is full). */
  has(key: string): boolean {
    return (this.#buckets.get(key)?.tokens ?? this.perMinute) >= 1;
  }

  /** Spends a token of `a` and one of `b`, or neither when either bucket is empty. */
  takeBoth(other: KeyedBuckets, a: string, b: string): boolean {
    if (!this.has(a) || !other.has(b)) return false;
    return this.take(a) && other.take(b);
  }

  /** Forgets full buckets (call periodically). */
  sweep(): void {
    for (const [k, b] of this.#buckets) if (b.full) this.#buckets.delete(k);
  }

  get size(): number {
    return this.#buckets.size;
  }
}
