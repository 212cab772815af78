/**
 * The engine's persistence: a small asynchronous key-value store of byte values.
 *
 * Everything the engine acts on goes through a Store first (spec/DESIGN.md "Mailbox and outbox": nothing sent is lost when the process or the relay restarts). `batch` is atomic:
 * after a crash either every operation of a batch is visible or none is, so a received message,
 * its replay-window entry and its history record land together.
 *
 * Backends: `MemoryStore` (here, tests and ephemeral sessions), `FileStore` (Node,
 * `../node/file-store.ts`); the web app adds IndexedDB.
 */

export type StoreOp =
  | { readonly op: 'put'; readonly key: string; readonly value: Uint8Array }
  | { readonly op: 'delete'; readonly key: string };

export interface Store {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys that start with `prefix`, sorted by code unit (ASCII order). */
  list(prefix: string): Promise<string[]>;
  /** Applies every operation atomically, in order. */
  batch(ops: readonly StoreOp[]): Promise<void>;
  close?(): Promise<void>;
}

/** Longest key a store accepts (file names on common file systems allow 255 bytes). */
export const MAX_STORE_KEY_LENGTH = 200;
const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9_\-:./]*$/;

/** Keys are short ASCII paths: letters, digits and `_ - : . /`, not starting with a symbol. */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string') throw new TypeError(`store key must be a string, got ${typeof key}`);
  if (key.length > MAX_STORE_KEY_LENGTH || !KEY_RE.test(key)) {
    throw new RangeError(`store key must match ${KEY_RE} and be at most ${MAX_STORE_KEY_LENGTH} characters, got ${JSON.stringify(key)}`);
  }
  return key;
}

function checkValue(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError('store value must be a Uint8Array');
  return value;
}

/** Validates a batch before any operation of it is applied. */
export function checkOps(ops: readonly StoreOp[]): void {
  if (!Array.isArray(ops)) throw new TypeError('batch operations must be an array');
  for (const op of ops) {
    checkKey(op.key);
    if (op.op === 'put') checkValue(op.value);
    else if (op.op !== 'delete') throw new TypeError(`unknown store operation ${String((op as { op: unknown }).op)}`);
  }
}

/** A Store in memory. Values are copied in and out, so callers cannot alias stored bytes. */
export class MemoryStore implements Store {
  readonly #map = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    const v = this.#map.get(checkKey(key));
    return v && v.slice();
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.#map.set(checkKey(key), checkValue(value).slice());
  }

  async delete(key: string): Promise<void> {
    this.#map.delete(checkKey(key));
  }

  async list(prefix: string): Promise<string[]> {
    if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
    const out: string[] = [];
    for (const k of this.#map.keys()) if (k.startsWith(prefix)) out.push(k);
    return out.sort();
  }

  async batch(ops: readonly StoreOp[]): Promise<void> {
    checkOps(ops);
    for (const op of ops) {
      if (op.op === 'put') this.#map.set(op.key, op.value.slice());
      else this.#map.delete(op.key);
    }
  }

  /** Number of keys (tests). */
  get size(): number {
    return this.#map.size;
  }
}
