/**
 * Per-contact replay window (spec receive_order step 7; spec/DESIGN.md "Replay window"). Remembers the message ids of the last REPLAY_WINDOW_MS, at most REPLAY_MAX_IDS of
 * them; when the cap evicts the oldest entries, a floor timestamp rises above them so an evicted
 * id can never be accepted again. Serializable to JSON for persistence.
 *
 * `check` answers 'fresh' (remembered now) or 'duplicate' (seen before: the caller acknowledges
 * it again but does not show it) and throws OpenError STALE or REPLAYED otherwise.
 */
import { MAX_CLOCK_SKEW_MS, MSG_ID_SIZE, REPLAY_MAX_IDS, REPLAY_WINDOW_MS } from '@parley/generated';
import { fromHex, toHex } from '../crypto/index.ts';
import { OpenError } from './errors.ts';
import { abytes, aint } from './_assert.ts';

export type ReplayVerdict = 'fresh' | 'duplicate';

export interface ReplayWindowOptions {
  /** How long ids are remembered (ms). Default REPLAY_WINDOW_MS. */
  windowMs?: number;
  /** Ids remembered at most. Default REPLAY_MAX_IDS. */
  maxIds?: number;
  /** Largest accepted distance into the future (ms). Default MAX_CLOCK_SKEW_MS. */
  maxSkewMs?: number;
}

/** The persisted form. `ids` is sorted by timestamp. */
export interface ReplayWindowJSON {
  format: 'parley-replay-window';
  version: 1;
  floor: number;
  ids: [idHex: string, sentAt: number][];
}

interface Entry {
  ts: number;
  id: string;
}

/** Min-heap of entries by timestamp (then id, so the order is deterministic). */
function less(a: Entry, b: Entry): boolean {
  return a.ts < b.ts || (a.ts === b.ts && a.id < b.id);
}

export class ReplayWindow {
  readonly windowMs: number;
  readonly maxIds: number;
  readonly maxSkewMs: number;
  #floor = 0;
  readonly #seen = new Map<string, number>();
  readonly #heap: Entry[] = [];

  constructor(options: ReplayWindowOptions = {}) {
    this.windowMs = aint(options.windowMs ?? REPLAY_WINDOW_MS, 'windowMs', 1, Number.MAX_SAFE_INTEGER);
    this.maxIds = aint(options.maxIds ?? REPLAY_MAX_IDS, 'maxIds', 1, Number.MAX_SAFE_INTEGER);
    this.maxSkewMs = aint(options.maxSkewMs ?? MAX_CLOCK_SKEW_MS, 'maxSkewMs', 0, Number.MAX_SAFE_INTEGER);
  }

  /** Timestamps below this are REPLAYED: ids at or below it were evicted at the cap. */
  get floor(): number {
    return this.#floor;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** True if the id is remembered (does not check timestamps). */
  has(msgId: Uint8Array): boolean {
    return this.#seen.has(toHex(abytes(msgId, 'msgId', MSG_ID_SIZE)));
  }

  /**
   * Checks a received message and remembers it if fresh. Throws OpenError STALE if `sentAt`
   * lies more than maxSkewMs after `now` or before the window, REPLAYED if it lies below the
   * floor. A remembered id answers 'duplicate' and changes nothing.
   */
  check(msgId: Uint8Array, sentAt: number, now: number): ReplayVerdict {
    abytes(msgId, 'msgId', MSG_ID_SIZE);
    aint(sentAt, 'sentAt', 0, Number.MAX_SAFE_INTEGER);
    aint(now, 'now', 0, Number.MAX_SAFE_INTEGER);
    if (sentAt > now + this.maxSkewMs) {
      throw new OpenError('STALE', `timestamp ${sentAt} lies more than ${this.maxSkewMs} ms in the future`);
    }
    const oldest = now - this.windowMs;
    if (sentAt < oldest) throw new OpenError('STALE', `timestamp ${sentAt} lies below the replay window`);
    if (sentAt < this.#floor) throw new OpenError('REPLAYED', `timestamp ${sentAt} lies below the replay floor`);
    this.#expire(oldest);
    const id = toHex(msgId);
    if (this.#seen.has(id)) return 'duplicate';
    this.#insert(id, sentAt);
    return 'fresh';
  }

  /** Forgets ids whose timestamps fell out of the window (they are rejected as STALE anyway). */
  prune(now: number): void {
    aint(now, 'now', 0, Number.MAX_SAFE_INTEGER);
    this.#expire(now - this.windowMs);
  }

  toJSON(): ReplayWindowJSON {
    const ids = [...this.#heap].sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
    return { format: 'parley-replay-window', version: 1, floor: this.#floor, ids: ids.map((e) => [e.id, e.ts]) };
  }

  /** Restores a persisted window; throws TypeError or RangeError for a malformed one. */
  static fromJSON(json: unknown, options: ReplayWindowOptions = {}): ReplayWindow {
    const w = new ReplayWindow(options);
    const o = json as Partial<ReplayWindowJSON> | null;
    if (typeof o !== 'object' || o === null || o.format !== 'parley-replay-window' || o.version !== 1) {
      throw new TypeError('not a parley-replay-window version 1 object');
    }
    w.#floor = aint(o.floor, 'floor', 0, Number.MAX_SAFE_INTEGER);
    if (!Array.isArray(o.ids)) throw new TypeError('ids must be an array');
    for (const item of o.ids) {
      if (!Array.isArray(item) || item.length !== 2) throw new TypeError('each id must be [hex, timestamp]');
      const [hex, ts] = item as [unknown, unknown];
      if (typeof hex !== 'string') throw new TypeError('id must be a hex string');
      const id = toHex(abytes(fromHex(hex), 'id', MSG_ID_SIZE)); // canonical lower-case
      if (w.#seen.has(id)) throw new RangeError(`duplicate id ${id}`);
      w.#insert(id, aint(ts, 'timestamp', 0, Number.MAX_SAFE_INTEGER));
    }
    return w;
  }

  #insert(id: string, ts: number): void {
    this.#seen.set(id, ts);
    this.#push({ id, ts });
    // At the cap: evict the oldest and raise the floor above them.
    while (this.#seen.size > this.maxIds) {
      const e = this.#pop();
      this.#seen.delete(e.id);
      if (e.ts + 1 > this.#floor) this.#floor = e.ts + 1;
    }
  }

  #expire(oldest: number): void {
    while (this.#heap.length > 0 && this.#heap[0]!.ts < oldest) this.#seen.delete(this.#pop().id);
  }

  #push(e: Entry): void {
    const h = this.#heap;
    let i = h.push(e) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): Entry {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
