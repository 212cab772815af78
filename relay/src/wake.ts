/**
 * Wake tags (spec/DESIGN.md "Wake tags and push"; spec control `register_wake`, `wake`, `ring`). A client
 * registers a random tag after its handshake; when the relay queues a frame for that client's
 * id while it is offline (or a caller sends RING), it sends the configured notifier a WAKE
 * carrying the tag and a reason, never the id. Message wakes are rate-limited per tag
 * (WAKE_MIN_INTERVAL_MS); call wakes are one per RING (RINGs are rate-limited per connection).
 *
 * Registrations outlive their connection (an offline client is the one to wake) but are
 * bounded in number and age; the oldest are forgotten first.
 */
import type { Clock } from './ratelimit.ts';

export type WakeKind = 'message' | 'call';

export interface WakeLimits {
  wakeMinIntervalMs: number;
  wakeMaxRegistrations: number;
  wakeRegistrationTtlMs: number;
}

interface Registration {
  id: string;
  tag: Uint8Array;
  at: number;
  lastWake: number;
}

export class WakeRegistry {
  /** holder (key pair) -> registration, in registration order (oldest first). */
  readonly #byHolder = new Map<string, Registration>();
  /** id -> holders with a registration. */
  readonly #byId = new Map<string, Set<string>>();

  constructor(
    readonly limits: WakeLimits,
    readonly clock: Clock = Date.now,
  ) {}

  /** Sets (or with an all-zero tag, removes) the tag of the key pair `holder` whose id is `id`. */
  register(id: string, holder: string, tag: Uint8Array): void {
    this.#remove(holder);
    if (tag.every((b) => b === 0) || this.limits.wakeMaxRegistrations === 0) return;
    while (this.#byHolder.size >= this.limits.wakeMaxRegistrations) {
      const oldest = this.#byHolder.keys().next().value as string;
      this.#remove(oldest);
    }
    this.#byHolder.set(holder, { id, tag: Uint8Array.from(tag), at: this.clock(), lastWake: -Infinity });
    let set = this.#byId.get(id);
    if (set === undefined) this.#byId.set(id, (set = new Set()));
    set.add(holder);
  }

  /**
   * Tags to wake for `id` now. Message wakes skip a tag woken less than wakeMinIntervalMs
   * ago (counted in `limited`); call wakes always fire.
   */
  due(id: string, kind: WakeKind): { tags: Uint8Array[]; limited: number } {
    const set = this.#byId.get(id);
    if (set === undefined) return { tags: [], limited: 0 };
    const now = this.clock();
    const tags: Uint8Array[] = [];
    let limited = 0;
    for (const holder of set) {
      const r = this.#byHolder.get(holder)!;
      if (now - r.at > this.limits.wakeRegistrationTtlMs) {
        this.#remove(holder);
        continue;
      }
      if (kind === 'message' && now - r.lastWake < this.limits.wakeMinIntervalMs) {
        limited++;
        continue;
      }
      r.lastWake = now;
      tags.push(r.tag);
    }
    return { tags, limited };
  }

  /** Forgets registrations older than wakeRegistrationTtlMs (call periodically). */
  sweep(): void {
    const cutoff = this.clock() - this.limits.wakeRegistrationTtlMs;
    for (const [holder, r] of this.#byHolder) if (r.at < cutoff) this.#remove(holder);
  }

  get size(): number {
    return this.#byHolder.size;
  }

  #remove(holder: string): void {
    const r = this.#byHolder.get(holder);
    if (r === undefined) return;
    this.#byHolder.delete(holder);
    r.tag.fill(0);
    const set = this.#byId.get(r.id);
    if (set !== undefined) {
      set.delete(holder);
      if (set.size === 0) this.#byId.delete(r.id);
    }
  }
}
