/**
 * A store whose "process dies" at the first batch `fatal` picks: that batch and every later call
 * throw, so nothing after it is persisted (tests only; the restart opens the inner store again).
 */
import type { Store, StoreOp } from '../../src/engine/index.ts';

export class DyingStore implements Store {
  dead = false;
  constructor(
    readonly inner: Store,
    readonly fatal: (ops: readonly StoreOp[]) => boolean,
  ) {}
  #alive(): void {
    if (this.dead) throw new Error('the process died');
  }
  async get(key: string) {
    this.#alive();
    return this.inner.get(key);
  }
  async put(key: string, value: Uint8Array) {
    this.#alive();
    return this.inner.put(key, value);
  }
  async delete(key: string) {
    this.#alive();
    return this.inner.delete(key);
  }
  async list(prefix: string) {
    this.#alive();
    return this.inner.list(prefix);
  }
  async batch(ops: readonly StoreOp[]) {
    this.#alive();
    if (this.fatal(ops)) {
      this.dead = true;
      throw new Error('the process died');
    }
    return this.inner.batch(ops);
  }
}

/** A DyingStore that dies at its `crashAt`-th batch after `arm()`. */
export function crashingStore(inner: Store, crashAt: number): DyingStore & { arm(): void } {
  let armed = false;
  let batches = 0;
  const s = new DyingStore(inner, () => armed && ++batches === crashAt) as DyingStore & { arm(): void };
  s.arm = () => {
    armed = true;
  };
  return s;
}
