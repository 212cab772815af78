/**
 * Peak resident memory of a process (Linux /proc), for the bounded-memory file transfer tests and
 * the files bench (issue 19): one way to measure, so a test and a bench row mean the same thing.
 *
 * The peak is the highest of the VmRSS samples taken every `sampleMs` and the kernel's own
 * high-water mark VmHWM, which catches a spike between two samples. `mark()` starts a new
 * measurement in a process that is already running: it writes "5" to /proc/<pid>/clear_refs
 * (Linux ≥ 4.0: resets VmHWM to the current RSS) and takes the current RSS as the baseline. Where
 * that reset is refused, VmHWM is no longer read (it would still hold the peak from before the
 * mark) and the samples alone count.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Issue 19: "peak RSS growth at most 64 MiB for a 256 MB file on both sides, independent of file
 * size" — the sender streams from disk, the receiver streams to disk; neither holds the file.
 */
export const FILE_TRANSFER_RSS_GROWTH_MAX = 64 * 2 ** 20;

/** How often a watched process's RSS is read; one 48 KiB chunk's work takes about this long. */
export const RSS_SAMPLE_MS = 10;

/** A field of /proc/<pid>/status in bytes (its kB figure × 1024); 0 once the process is gone. */
export function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // the process ended between two samples
  }
}

/** Watches one process's resident set from its start (or from `mark()`) until `stop()`. */
export class PeakRss {
  readonly pid: number;
  #baseline = 0;
  #peak = 0;
  #last = 0;
  #useHwm = true;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(pid: number, sampleMs = RSS_SAMPLE_MS) {
    this.pid = pid;
    this.sample();
    this.#timer = setInterval(() => this.sample(), sampleMs);
    this.#timer.unref();
  }

  /** Reads the process's RSS now (and its VmHWM); returns the current RSS, bytes. */
  sample(): number {
    const rss = statusBytes(this.pid, 'VmRSS');
    if (rss === 0) return this.#last; // gone: keep what was seen
    this.#last = rss;
    this.#peak = Math.max(this.#peak, rss, this.#useHwm ? statusBytes(this.pid, 'VmHWM') : 0);
    return rss;
  }

  /** Starts a new measurement: the baseline is the RSS now, the peak is reset to it. */
  mark(): number {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    } catch {
      this.#useHwm = false;
    }
    this.#peak = 0;
    this.#baseline = this.sample();
    return this.#baseline;
  }

  /** The RSS at the last `mark()` (0 if never marked), bytes. */
  get baseline(): number {
    return this.#baseline;
  }

  /** The highest RSS seen since the start or the last `mark()`, bytes. */
  get peak(): number {
    return this.#peak;
  }

  /** The RSS at the last sample, bytes. */
  get last(): number {
    return this.#last;
  }

  /** Peak minus baseline, bytes (peak alone if never marked). */
  get growth(): number {
    return this.#peak - this.#baseline;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

const MiB = 2 ** 20;
/** The two file sizes the bounded-memory tests send: 16 MiB and 128 MiB (half of MAX_FILE_SIZE); at ~5 MB/s they fit a loaded 2-core machine. */
export const BOUNDED_TEST_SIZES = { small: 16 * MiB, large: 128 * MiB } as const;
/**
 * How much more the larger file may cost than the smaller, as a share of the bytes it has more
 * (112 MiB): a side that buffered the whole file grows by at least all of them more (slope 1),
 * so keeping half of it or more fails; streaming sides differ only by when V8 collects dead
 * chunk buffers.
 */
export const PROPORTIONAL_SHARE = 1 / 2;

/** Peak RSS growth of both sides of one transfer, bytes. */
export interface SidesGrowth {
  sender: number;
  receiver: number;
}

/**
 * The bounded-memory verdict on a small and a large transfer: a one-line report of the figures,
 * and what broke the bound (each side at most FILE_TRANSFER_RSS_GROWTH_MAX at both sizes, and not
 * growing with the size by PROPORTIONAL_SHARE of the bytes between them); none means it held.
 */
export function transferGrowthVerdict(small: SidesGrowth, large: SidesGrowth, sizes = BOUNDED_TEST_SIZES): { report: string; broken: string[] } {
  const mib = (g: SidesGrowth) => `sender ${(g.sender / MiB).toFixed(1)} MiB, receiver ${(g.receiver / MiB).toFixed(1)} MiB`;
  const report = `growth at ${sizes.small / MiB} MiB: ${mib(small)}; at ${sizes.large / MiB} MiB: ${mib(large)}`;
  const broken: string[] = [];
  const allowed = PROPORTIONAL_SHARE * (sizes.large - sizes.small);
  for (const side of ['sender', 'receiver'] as const) {
    for (const [name, g] of [['small', small], ['large', large]] as const) {
      if (g[side] > FILE_TRANSFER_RSS_GROWTH_MAX) broken.push(`${side} over ${FILE_TRANSFER_RSS_GROWTH_MAX / MiB} MiB on the ${name} file`);
    }
    if (large[side] - small[side] >= allowed) broken.push(`${side} grows with the file's size`);
  }
  return { report, broken };
}
