/**
 * Speed and time left of a file transfer, from its progress events (bytes done at a time).
 * The speed is measured over the last RATE_WINDOW_MS, so one slow or fast group of chunks
 * (progress comes per acknowledged group) does not make the figure jump; nothing is estimated
 * before MIN_SPAN_MS of samples. Worth showing only for large or long transfers (`worthShowing`):
 * for a small file the figure would flash by unreadable.
 */

export const RATE_WINDOW_MS = 4_000;
export const MIN_SPAN_MS = 800;
/** Transfers at least this large show speed and time left. */
export const SHOW_RATE_BYTES = 4 * 1024 * 1024;
/** Smaller ones show them when the estimate says at least this long. */
export const SHOW_RATE_SECONDS = 5;

export interface Rate {
  /** Bytes per second over the window. */
  bytesPerSecond: number;
  /** Seconds until done at that speed; Infinity while nothing moves. */
  secondsLeft: number;
}

interface Sample {
  at: number;
  bytes: number;
}

/** The samples of one transfer. `reset` after a pause: the time paused is not a slow link. */
export class RateMeter {
  #samples: Sample[] = [];

  add(at: number, bytes: number): void {
    const last = this.#samples.at(-1);
    if (last && bytes < last.bytes) this.#samples = []; // restarted from fewer (never expected; safe)
    this.#samples.push({ at, bytes });
    // keep one sample older than the window, so the window is covered in full
    while (this.#samples.length > 2 && this.#samples[1]!.at <= at - RATE_WINDOW_MS) this.#samples.shift();
  }

  reset(): void {
    this.#samples = [];
  }

  /** The estimate for a transfer of `size` bytes, or undefined before MIN_SPAN_MS of samples. */
  rate(size: number): Rate | undefined {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (!first || !last || last.at - first.at < MIN_SPAN_MS) return undefined;
    const bytesPerSecond = ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
    const left = Math.max(0, size - last.bytes);
    return { bytesPerSecond, secondsLeft: bytesPerSecond > 0 ? left / bytesPerSecond : Infinity };
  }
}

export function worthShowing(size: number, r: Rate | undefined): r is Rate {
  return r !== undefined && (size >= SHOW_RATE_BYTES || r.secondsLeft >= SHOW_RATE_SECONDS);
}

/** "1.4 MB/s", "820 KB/s". */
export function formatSpeed(bytesPerSecond: number): string {
  if (bytesPerSecond >= 1024 * 1024) return `${(bytesPerSecond / 1024 / 1024).toFixed(1)} MB/s`;
  return `${Math.max(0, Math.round(bytesPerSecond / 1024))} KB/s`;
}

/** "12 s left", "3 min left", "1 h 5 min left"; "waiting" when nothing moves. */
export function formatTimeLeft(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'waiting';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s left`;
  const min = Math.ceil(s / 60);
  if (min < 60) return `${min} min left`;
  return `${Math.floor(min / 60)} h ${min % 60} min left`;
}
