/**
 * Reconnect delays and send pacing.
 *
 * Backoff: "full jitter" exponential backoff (spec RECONNECT_BASE_MS, RECONNECT_MAX_MS): the
 * n-th consecutive failure waits a uniformly random time in [0, min(max, base * 2^n)), so a
 * relay restart does not make every client reconnect at the same instant.
 */
import { RECONNECT_BASE_MS, RECONNECT_MAX_MS } from '@parley/generated';

/** The delay before reconnect attempt `attempt` (0 for the first retry). `random()` is in [0, 1). */
export function backoffDelay(
  attempt: number,
  random: () => number,
  baseMs: number = RECONNECT_BASE_MS,
  maxMs: number = RECONNECT_MAX_MS,
): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 52));
  const r = random();
  return Math.floor(Math.min(Math.max(r, 0), 1 - Number.EPSILON) * cap);
}

/**
 * A token bucket over frames and bytes, refilled at the rates the relay announced in WELCOME
 * (with headroom), so a big transfer is paced instead of closed with `rate_limited`.
 */
export class Pacer {
  readonly #frameRate: number;
  readonly #byteRate: number;
  readonly #now: () => number;
  #frames: number;
  #bytes: number;
  #at: number;

  /** Rates per second; capacity is one second's worth (never more than the relay's burst). */
  constructor(frameRate: number, byteRate: number, now: () => number) {
    this.#frameRate = Math.max(1, frameRate);
    this.#byteRate = Math.max(1, byteRate);
    this.#now = now;
    this.#frames = this.#frameRate;
    this.#bytes = this.#byteRate;
    this.#at = now();
  }

  /** Milliseconds to wait before a frame of `size` bytes may go (0: now). */
  wait(size: number): number {
    this.#refill();
    const needFrames = 1 - this.#frames;
    // A frame larger than the byte capacity waits for a full bucket, then goes.
    const needBytes = Math.min(size, this.#byteRate) - this.#bytes;
    const ms = Math.max(needFrames > 0 ? (needFrames / this.#frameRate) * 1000 : 0, needBytes > 0 ? (needBytes / this.#byteRate) * 1000 : 0);
    return Math.ceil(ms);
  }

  /** Takes tokens for a frame that is being sent. */
  take(size: number): void {
    this.#refill();
    this.#frames -= 1;
    this.#bytes -= size;
  }

  #refill(): void {
    const t = this.#now();
    const dt = Math.max(0, t - this.#at) / 1000;
    this.#at = t;
    this.#frames = Math.min(this.#frameRate, this.#frames + dt * this.#frameRate);
    this.#bytes = Math.min(this.#byteRate, this.#bytes + dt * this.#byteRate);
  }
}
