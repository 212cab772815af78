/**
 * A bound on dead off-heap buffers in a Node process that moves files.
 *
 * A chunk's buffers (socket reads, opened bodies, sealed frames: ~48 KiB each) live outside V8's
 * heap and are freed only when a collection finds their wrappers dead. Those that outlived a
 * scavenge (a chunk waiting for its write, a frame waiting in the window) are freed only by a
 * full collection, and V8 starts one for external memory only at its own limit (~64 MiB above
 * the last one): a receiver's resident set then swung between 25 and 80 MiB from run to run of
 * the same transfer. So the node blob store counts the bytes it moves and, every
 * OFF_HEAP_CHECK_BYTES, asks for a full collection if more than OFF_HEAP_SOFT_LIMIT_BYTES of
 * array buffers are allocated (spec/DESIGN.md "What bounds a transfer's memory"). A collection
 * of the engine's ~20-30 MB heap costs a few milliseconds, about once per few hundred chunks.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** Array-buffer bytes above which a full collection is asked for. */
export const OFF_HEAP_SOFT_LIMIT_BYTES = 24 * 1024 * 1024;
/** File bytes moved between two looks at the array-buffer total. */
export const OFF_HEAP_CHECK_BYTES = 4 * 1024 * 1024;

let collect: (() => void) | null | undefined;

/** V8's full collection: `gc` when node runs with --expose-gc, else exposed once now. */
function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return (collect = exposed);
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn: unknown = vm.runInNewContext('gc');
    collect = typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    collect = null; // a runtime that refuses: V8's own limit still applies
  }
  return collect;
}

export class OffHeapGovernor {
  readonly #limit: number;
  readonly #every: number;
  #since = 0;
  /** Full collections asked for (tests read it). */
  collections = 0;

  constructor(opts: { limitBytes?: number; checkEveryBytes?: number } = {}) {
    this.#limit = opts.limitBytes ?? OFF_HEAP_SOFT_LIMIT_BYTES;
    this.#every = opts.checkEveryBytes ?? OFF_HEAP_CHECK_BYTES;
  }

  /** `bytes` of file data were read or written. */
  moved(bytes: number): void {
    this.#since += bytes;
    if (this.#since < this.#every) return;
    this.#since = 0;
    if (process.memoryUsage().arrayBuffers <= this.#limit) return;
    const gc = collector();
    if (gc === null) return;
    gc();
    this.collections++;
  }
}
