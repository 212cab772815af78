/**
 * Per-tag wake limits (limits.ts): a message push at most once per wakeMinIntervalMs per tag
 * (the relay applies the same spacing, WAKE_MIN_INTERVAL_MS; this holds if a relay does not),
 * and call pushes from a token bucket of callWakesPerMinute per tag (calls must ring through
 * at once, but a flood of RINGs must not become a flood of pushes). Entries exist only for
 * registered tags and are swept once idle, so memory is bounded by the registrations.
 */
import { WakeReason } from '@parley/generated';

interface TagState {
  lastMessage: number;
  tokens: number;
  refilledAt: number;
}

export class WakeLimiter {
  readonly #interval: number;
  readonly #callBurst: number;
  readonly #callRatePerMs: number;
  readonly #now: () => number;
  readonly #tags = new Map<string, TagState>();

  constructor(o: { wakeMinIntervalMs: number; callWakesPerMinute: number }, now: () => number = Date.now) {
    this.#interval = o.wakeMinIntervalMs;
    this.#callBurst = o.callWakesPerMinute;
    this.#callRatePerMs = o.callWakesPerMinute / 60_000;
    this.#now = now;
  }

  /** True if a push for this tag and reason may go now (and counts it). */
  allow(tag: string, reason: WakeReason): boolean {
    const now = this.#now();
    let s = this.#tags.get(tag);
    if (!s) this.#tags.set(tag, (s = { lastMessage: -Infinity, tokens: this.#callBurst, refilledAt: now }));
    if (reason === WakeReason.call) {
      s.tokens = Math.min(this.#callBurst, s.tokens + (now - s.refilledAt) * this.#callRatePerMs);
      s.refilledAt = now;
      if (s.tokens < 1) return false;
      s.tokens -= 1;
      return true;
    }
    if (now - s.lastMessage < this.#interval) return false;
    s.lastMessage = now;
    return true;
  }

  /** Forgets tags whose limits have fully recovered. */
  sweep(): void {
    const now = this.#now();
    for (const [tag, s] of this.#tags) {
      const full = s.tokens + (now - s.refilledAt) * this.#callRatePerMs >= this.#callBurst;
      if (full && now - s.lastMessage >= this.#interval) this.#tags.delete(tag);
    }
  }

  forget(tag: string): void {
    this.#tags.delete(tag);
  }

  get size(): number {
    return this.#tags.size;
  }
}
