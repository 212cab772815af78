/**
 * Large byte strings written and read in pieces: the part file of an incoming transfer and the
 * spooled copy of an outgoing one (files.ts, file-send.ts). A Store value is written whole and
 * atomically, which for a file of 256 MiB means either one huge value or one key (and one
 * atomic write) per chunk; a blob is written where its bytes go and made durable once per group
 * of chunks (`sync`), and is read back in pieces, so neither side holds a file in memory.
 *
 * Crash safety is the caller's: bytes written but not synced may be lost, so what a blob holds is
 * recorded in the Store only after `sync` (a transfer's record of the chunks it holds).
 *
 * Backends: `FileBlobs` (Node, one file per blob; ../node/file-blobs.ts), `StoreBlobs` (here,
 * over any Store: one key per chunk-sized piece, for the web app's IndexedDB and tests).
 */
import { FILE_CHUNK_SIZE } from '@parley/generated';
import { checkKey, type Store } from './storage.ts';

export interface BlobStore {
  /** Writes `bytes` at `offset` of blob `name` (created if missing). */
  write(name: string, offset: number, bytes: Uint8Array): Promise<void>;
  /** `length` bytes from `offset` (fewer at the end of the blob). */
  read(name: string, offset: number, length: number): Promise<Uint8Array>;
  /** Makes every write to `name` so far durable. */
  sync(name: string): Promise<void>;
  /** Removes a blob (nothing if it does not exist). */
  delete(name: string): Promise<void>;
  /** Names of the blobs that start with `prefix`. */
  list(prefix: string): Promise<string[]>;
  close?(): Promise<void>;
}

/** Blob names are store keys without slashes (one flat namespace). */
export function checkBlobName(name: string): string {
  checkKey(name);
  if (name.includes('/')) throw new RangeError(`blob name must not contain '/', got ${JSON.stringify(name)}`);
  return name;
}

const PIECE = FILE_CHUNK_SIZE;
const pieceKey = (name: string, i: number) => `blob/${name}/${i.toString().padStart(8, '0')}`;

/**
 * Blobs over a Store: one key per FILE_CHUNK_SIZE piece. Writes and reads must start at a
 * multiple of FILE_CHUNK_SIZE and stay within one piece (transfers move whole chunks). Each
 * write is an atomic put, so `sync` has nothing left to do.
 */
export class StoreBlobs implements BlobStore {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async write(name: string, offset: number, bytes: Uint8Array): Promise<void> {
    await this.#store.put(pieceKey(checkBlobName(name), this.#piece(offset, bytes.length)), bytes);
  }

  async read(name: string, offset: number, length: number): Promise<Uint8Array> {
    const v = await this.#store.get(pieceKey(checkBlobName(name), this.#piece(offset, length)));
    return v ? v.subarray(0, length) : new Uint8Array(0);
  }

  async sync(): Promise<void> {}

  async delete(name: string): Promise<void> {
    const keys = await this.#store.list(`blob/${checkBlobName(name)}/`);
    if (keys.length > 0) await this.#store.batch(keys.map((key) => ({ op: 'delete', key })));
  }

  async list(prefix: string): Promise<string[]> {
    const names = new Set<string>();
    for (const k of await this.#store.list(`blob/${prefix}`)) names.add(k.slice('blob/'.length, k.lastIndexOf('/')));
    return [...names].sort();
  }

  #piece(offset: number, length: number): number {
    if (offset % PIECE !== 0 || length > PIECE) throw new RangeError(`StoreBlobs moves whole pieces of ${PIECE} bytes (offset ${offset}, length ${length})`);
    return offset / PIECE;
  }
}
