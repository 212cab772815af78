/**
 * Tiny throughput helper for the crypto benchmarks: runs `fn` (sync or async) in
 * calibrated batches for about `minMs` after a short warm-up, in three slices, and
 * reports the median slice's operations per second (the median tames JIT and GC
 * noise on shared machines).
 */

export interface MeasureOptions {
  /** Measuring time in milliseconds, warm-up excluded. */
  minMs?: number;
  /** Warm-up time in milliseconds. */
  warmupMs?: number;
}

export const DEFAULT_MIN_MS = 300;
const SLICES = 3;
/** A batch runs at least this long, so timer resolution does not matter. */
const BATCH_MS = 2;

export async function opsPerSecond(fn: () => unknown, options: MeasureOptions = {}): Promise<number> {
  const minMs = options.minMs ?? DEFAULT_MIN_MS;
  const warmupMs = options.warmupMs ?? minMs / 5;
  const isAsync = isThenable(fn());
  const run = isAsync
    ? async (n: number) => {
        for (let i = 0; i < n; i++) await fn();
      }
    : (n: number) => {
        for (let i = 0; i < n; i++) fn();
      };

  // Warm-up while finding a batch size that takes at least BATCH_MS.
  let batch = 1;
  const warmupEnd = performance.now() + warmupMs;
  for (;;) {
    const t0 = performance.now();
    await run(batch);
    const dt = performance.now() - t0;
    if (dt < BATCH_MS) batch *= 2;
    if (performance.now() >= warmupEnd && dt >= BATCH_MS) break;
  }

  const rates: number[] = [];
  for (let s = 0; s < SLICES; s++) {
    let ops = 0;
    const t0 = performance.now();
    let dt = 0;
    do {
      await run(batch);
      ops += batch;
      dt = performance.now() - t0;
    } while (dt < minMs / SLICES);
    rates.push((ops * 1000) / dt);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(SLICES / 2)]!;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof (x as { then?: unknown } | null)?.then === 'function';
}
