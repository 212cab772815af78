/**
 * A Store on the Node file system: one file per key in one directory (mode 0700), files 0600.
 *
 * - A put writes a temporary file, fsyncs it and renames it over the key's file, so a crash
 *   leaves either the old value or the new one.
 * - A batch is first written, the same way, as one journal file (`.journal`), then applied
 *   key by key, then the journal is removed. Opening a store replays a journal left by a crash,
 *   so a batch is all or nothing. Replaying is idempotent.
 * - One process owns a directory at a time; operations of one FileStore run one after another.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsc, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { checkKey, checkOps, type Store, type StoreOp } from '../engine/storage.ts';

const JOURNAL = '.journal';
const TMP_PREFIX = '.tmp-';

export interface FileStoreOptions {
  /** fsync files and the directory after writes (default true). Off only for tests and benchmarks. */
  fsync?: boolean;
}

export class FileStore implements Store {
  readonly dir: string;
  readonly #fsync: boolean;
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(dir: string, opts: FileStoreOptions) {
    this.dir = dir;
    this.#fsync = opts.fsync ?? true;
  }

  /** Opens (creating if needed) the store in `dir`, tightens it to 0700 and replays a pending journal. */
  static async open(dir: string, opts: FileStoreOptions = {}): Promise<FileStore> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await fs.stat(dir);
    if (!st.isDirectory()) throw new Error(`FileStore: ${dir} is not a directory`);
    // The store holds contacts, history and the outbox: never readable by others.
    if ((st.mode & 0o077) !== 0) await fs.chmod(dir, 0o700);
    const store = new FileStore(dir, opts);
    await store.#recover();
    return store;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const file = this.#file(checkKey(key));
    return this.#run(async () => {
      try {
        const buf = await fs.readFile(file);
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    });
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.batch([{ op: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.batch([{ op: 'delete', key }]);
  }

  async list(prefix: string): Promise<string[]> {
    if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
    return this.#run(async () => {
      const names = await fs.readdir(this.dir);
      const keys: string[] = [];
      for (const n of names) {
        if (n.startsWith('.')) continue;
        const k = decodeURIComponent(n);
        if (k.startsWith(prefix)) keys.push(k);
      }
      return keys.sort();
    });
  }

  async batch(ops: readonly StoreOp[]): Promise<void> {
    checkOps(ops);
    const copy = ops.map((o) => (o.op === 'put' ? { op: 'put' as const, key: o.key, value: o.value.slice() } : o));
    return this.#run(async () => {
      if (copy.length === 0) return;
      if (copy.length === 1) {
        await this.#apply(copy[0]!);
        if (this.#fsync) await this.#syncDir();
        return;
      }
      await this.#writeAtomic(join(this.dir, JOURNAL), encodeJournal(copy));
      for (const op of copy) await this.#apply(op);
      if (this.#fsync) await this.#syncDir();
      await fs.unlink(join(this.dir, JOURNAL));
    });
  }

  async close(): Promise<void> {
    await this.#run(async () => {
      this.#closed = true;
    });
  }

  #file(key: string): string {
    return join(this.dir, encodeURIComponent(key));
  }

  #run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(() => {
      if (this.#closed) throw new Error('FileStore: closed');
      return fn();
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #apply(op: StoreOp): Promise<void> {
    if (op.op === 'put') {
      await this.#writeAtomic(this.#file(op.key), op.value);
    } else {
      try {
        await fs.unlink(this.#file(op.key));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  async #writeAtomic(path: string, data: Uint8Array): Promise<void> {
    const tmp = join(this.dir, TMP_PREFIX + randomBytes(8).toString('hex'));
    const fh = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
    try {
      await fh.writeFile(data);
      if (this.#fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, path);
  }

  async #syncDir(): Promise<void> {
    let fh: fs.FileHandle | undefined;
    try {
      fh = await fs.open(this.dir, 'r');
      await fh.sync();
    } catch {
      // Some platforms cannot fsync a directory; the rename is still atomic.
    } finally {
      await fh?.close();
    }
  }

  async #recover(): Promise<void> {
    for (const n of await fs.readdir(this.dir)) {
      if (n.startsWith(TMP_PREFIX)) await fs.unlink(join(this.dir, n)).catch(() => undefined);
    }
    let journal: Buffer;
    try {
      journal = await fs.readFile(join(this.dir, JOURNAL));
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    for (const op of decodeJournal(new Uint8Array(journal.buffer, journal.byteOffset, journal.byteLength))) {
      await this.#apply(op);
    }
    if (this.#fsync) await this.#syncDir();
    await fs.unlink(join(this.dir, JOURNAL));
  }
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 'ENOENT';
}

/** Journal: u32 LE header length, JSON header [[op, key, valueLength]...], then the values. */
function encodeJournal(ops: readonly StoreOp[]): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify(ops.map((o) => [o.op, o.key, o.op === 'put' ? o.value.length : 0])),
  );
  let total = 4 + header.length;
  for (const o of ops) if (o.op === 'put') total += o.value.length;
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  let at = 4 + header.length;
  for (const o of ops) {
    if (o.op !== 'put') continue;
    out.set(o.value, at);
    at += o.value.length;
  }
  return out;
}

function decodeJournal(bytes: Uint8Array): StoreOp[] {
  const hl = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + hl))) as [string, string, number][];
  const ops: StoreOp[] = [];
  let at = 4 + hl;
  for (const [op, key, len] of header) {
    if (op === 'put') {
      ops.push({ op: 'put', key, value: bytes.subarray(at, at + len) });
      at += len;
    } else {
      ops.push({ op: 'delete', key });
    }
  }
  checkOps(ops);
  return ops;
}
