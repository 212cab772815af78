/**
 * The engine's `Store` (runtime engine/storage.ts) on IndexedDB, used by the crypto worker.
 *
 * - `batch` is one readwrite transaction: IndexedDB commits all of its requests or none, so a
 *   received message, its replay-window entry and its history record land together.
 * - `list(prefix)` is one `getAllKeys` over the key range of the prefix; IndexedDB orders string
 *   keys by code unit, the order the Store interface asks for.
 * - Reads of small records (contacts, history, outbox metadata) are served from a write-through
 *   cache filled at `open`, since the engine reads a record after every `list`. Large values
 *   (sealed frames, file chunks) stay on disk. The cache is only ever updated after a
 *   transaction committed, so it never shows a write that did not land.
 */
import { checkKey, checkOps, type Store, type StoreOp } from '@parley/runtime';
import { STORES, done, prefixRange, request } from './idb.ts';

export interface IdbStoreOptions {
  /** Object store name (default `kv`). */
  store?: string;
  /** Values up to this many bytes are cached in memory (default 16 KiB). */
  cacheValueMax?: number;
  /** The cache is emptied when it would hold more than this (default 32 MiB): it is only a cache. */
  cacheMaxBytes?: number;
  /** IDBKeyRange of the IndexedDB in use (tests pass fake-indexeddb's). */
  ranges?: typeof IDBKeyRange;
}

export const DEFAULT_CACHE_VALUE_MAX = 16 * 1024;
export const DEFAULT_CACHE_MAX_BYTES = 32 * 1024 * 1024;

export class IdbStore implements Store {
  readonly #db: IDBDatabase;
  readonly #name: string;
  readonly #valueMax: number;
  readonly #maxBytes: number;
  readonly #ranges: typeof IDBKeyRange;
  readonly #cache = new Map<string, Uint8Array>();
  #cacheBytes = 0;

  private constructor(db: IDBDatabase, o: IdbStoreOptions) {
    this.#db = db;
    this.#name = o.store ?? STORES.kv;
    this.#valueMax = o.cacheValueMax ?? DEFAULT_CACHE_VALUE_MAX;
    this.#maxBytes = o.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES;
    this.#ranges = o.ranges ?? IDBKeyRange;
  }

  /** A store on an open database; small records are read into the cache with one cursor. */
  static async open(db: IDBDatabase, o: IdbStoreOptions = {}): Promise<IdbStore> {
    const s = new IdbStore(db, o);
    await s.#warm();
    return s;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    checkKey(key);
    const hit = this.#cache.get(key);
    if (hit) return hit.slice();
    const tx = this.#db.transaction(this.#name, 'readonly');
    const v = await request(tx.objectStore(this.#name).get(key));
    if (v === undefined) return undefined;
    const bytes = asBytes(v, key);
    this.#remember(key, bytes);
    return bytes.slice();
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.batch([{ op: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.batch([{ op: 'delete', key }]);
  }

  async list(prefix: string): Promise<string[]> {
    if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
    const tx = this.#db.transaction(this.#name, 'readonly');
    const keys = await request(tx.objectStore(this.#name).getAllKeys(prefixRange(prefix, this.#ranges)));
    return (keys as string[]).filter((k) => typeof k === 'string' && k.startsWith(prefix));
  }

  /** Applies every operation in one transaction, in order; all land or none do. */
  async batch(ops: readonly StoreOp[]): Promise<void> {
    checkOps(ops);
    if (ops.length === 0) return;
    const copies = ops.map((op) => (op.op === 'put' ? { op: 'put' as const, key: op.key, value: op.value.slice() } : op));
    const tx = this.#db.transaction(this.#name, 'readwrite');
    const committed = done(tx);
    try {
      const os = tx.objectStore(this.#name);
      for (const op of copies) {
        if (op.op === 'put') os.put(op.value, op.key);
        else os.delete(op.key);
      }
    } catch (err) {
      // A request that cannot even be queued: abort, so the ones before it do not commit.
      tx.abort();
      await committed.catch(() => undefined);
      throw err;
    }
    await committed;
    for (const op of copies) {
      if (op.op === 'put') this.#remember(op.key, op.value);
      else this.#forget(op.key);
    }
  }

  async close(): Promise<void> {
    this.#cache.clear();
    this.#cacheBytes = 0;
  }

  /** Cached records and their bytes (tests, diagnostics). */
  get cacheStats(): { entries: number; bytes: number } {
    return { entries: this.#cache.size, bytes: this.#cacheBytes };
  }

  #remember(key: string, value: Uint8Array): void {
    this.#forget(key);
    if (value.length > this.#valueMax) return;
    if (this.#cacheBytes + value.length > this.#maxBytes) {
      this.#cache.clear();
      this.#cacheBytes = 0;
    }
    this.#cache.set(key, value);
    this.#cacheBytes += value.length;
  }

  #forget(key: string): void {
    const had = this.#cache.get(key);
    if (!had) return;
    this.#cache.delete(key);
    this.#cacheBytes -= had.length;
  }

  async #warm(): Promise<void> {
    const tx = this.#db.transaction(this.#name, 'readonly');
    await new Promise<void>((resolve, reject) => {
      const req = tx.objectStore(this.#name).openCursor();
      req.onerror = () => reject(req.error ?? new Error('IndexedDB cursor failed'));
      req.onsuccess = () => {
        const cursor = req.result;
        if (!cursor) return resolve();
        if (typeof cursor.key === 'string') this.#remember(cursor.key, asBytes(cursor.value, cursor.key));
        cursor.continue();
      };
    });
  }
}

function asBytes(v: unknown, key: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  throw new TypeError(`store record ${key} is not bytes`);
}
