/**
 * The app's IndexedDB database and small promise helpers around it.
 *
 * One database (`parley` by default) with three object stores, all with out-of-line string keys:
 * - `kv`: the engine's Store (worker/idb-store.ts): contacts, outbox, history, replay windows.
 * - `vault`: the identity record (worker/vault.ts) and the pinned relay.
 * - `files`: bytes of files sent and received, `<contact>/<fileId>` → { name, mime, bytes },
 *   because the engine keeps a transfer's chunks only until it completes.
 */

export const DB_NAME = 'parley';
export const DB_VERSION = 1;
export const STORES = { kv: 'kv', vault: 'vault', files: 'files' } as const;

/** Opens (and on first use creates) the database. */
export function openDatabase(name = DB_NAME, factory: IDBFactory = indexedDB): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const s of Object.values(STORES)) if (!db.objectStoreNames.contains(s)) db.createObjectStore(s);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error(`cannot open IndexedDB ${name}`));
    req.onblocked = () => reject(new Error(`IndexedDB ${name} is blocked by another tab`));
  });
}

/** Resolves with a request's result. */
export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

/** Resolves when a transaction commits; rejects if it aborts or fails. */
export function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });
}

/** Key range of every string key that starts with `prefix` (keys are ASCII: '\uffff' sorts last). */
export function prefixRange(prefix: string, ranges: typeof IDBKeyRange = IDBKeyRange): IDBKeyRange | undefined {
  return prefix === '' ? undefined : ranges.bound(prefix, prefix + '\uffff', false, false);
}

/** A small key-value view of one object store (vault and files). */
export class ObjectShelf<T> {
  constructor(
    readonly db: IDBDatabase,
    readonly store: string,
    readonly ranges: typeof IDBKeyRange = IDBKeyRange,
  ) {}

  async get(key: string): Promise<T | undefined> {
    const tx = this.db.transaction(this.store, 'readonly');
    return (await request(tx.objectStore(this.store).get(key))) as T | undefined;
  }

  /** Whether `key` is stored, without reading its value (file bytes can be large). */
  async has(key: string): Promise<boolean> {
    const tx = this.db.transaction(this.store, 'readonly');
    return (await request(tx.objectStore(this.store).count(key))) > 0;
  }

  async put(key: string, value: T): Promise<void> {
    const tx = this.db.transaction(this.store, 'readwrite');
    tx.objectStore(this.store).put(value, key);
    await done(tx);
  }

  async delete(key: string): Promise<void> {
    const tx = this.db.transaction(this.store, 'readwrite');
    tx.objectStore(this.store).delete(key);
    await done(tx);
  }

  /** Deletes every key that starts with `prefix`. */
  async deletePrefix(prefix: string): Promise<void> {
    const tx = this.db.transaction(this.store, 'readwrite');
    const range = prefixRange(prefix, this.ranges);
    if (range) tx.objectStore(this.store).delete(range);
    else tx.objectStore(this.store).clear();
    await done(tx);
  }
}
