/**
 * Blobs on the Node file system (engine/blobs.ts): one file per blob in one directory (0700),
 * files 0600, written with positional writes and made durable with fsync. A few file handles
 * stay open (the transfers in progress); the least recently used is closed beyond MAX_OPEN.
 */
import { constants as fsc, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { checkBlobName, type BlobStore } from '../engine/blobs.ts';
import { OffHeapGovernor } from './off-heap-governor.ts';

/** Open handles kept: one per transfer in progress is plenty; bounds descriptors. */
const MAX_OPEN = 16;

export interface FileBlobsOptions {
  /** fsync on `sync` (default true). Off only for tests and benchmarks. */
  fsync?: boolean;
  /** Bounds the dead chunk buffers of the process (default: one per store; off-heap-governor.ts). */
  governor?: OffHeapGovernor | null;
}

export class FileBlobs implements BlobStore {
  readonly dir: string;
  readonly #fsync: boolean;
  readonly #open = new Map<string, Promise<fs.FileHandle>>();
  readonly #governor: OffHeapGovernor | null;

  private constructor(dir: string, opts: FileBlobsOptions) {
    this.dir = dir;
    this.#fsync = opts.fsync ?? true;
    this.#governor = opts.governor === undefined ? new OffHeapGovernor() : opts.governor;
  }

  static async open(dir: string, opts: FileBlobsOptions = {}): Promise<FileBlobs> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await fs.stat(dir);
    if ((st.mode & 0o077) !== 0) await fs.chmod(dir, 0o700);
    return new FileBlobs(dir, opts);
  }

  async write(name: string, offset: number, bytes: Uint8Array): Promise<void> {
    const fh = await this.#handle(name);
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, offset + done);
      done += bytesWritten;
    }
    this.#governor?.moved(bytes.length);
  }

  async read(name: string, offset: number, length: number): Promise<Uint8Array> {
    const fh = await this.#handle(name);
    const out = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(out, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.#governor?.moved(got);
    return got === length ? out : out.subarray(0, got);
  }

  async sync(name: string): Promise<void> {
    if (!this.#fsync) return;
    await (await this.#handle(name)).sync();
  }

  async delete(name: string): Promise<void> {
    await this.#close(name);
    await fs.rm(join(this.dir, checkBlobName(name)), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    return (await fs.readdir(this.dir)).filter((n) => n.startsWith(prefix)).sort();
  }

  async close(): Promise<void> {
    for (const name of [...this.#open.keys()]) await this.#close(name);
  }

  #handle(name: string): Promise<fs.FileHandle> {
    let h = this.#open.get(name);
    if (h) {
      this.#open.delete(name); // most recently used last
      this.#open.set(name, h);
      return h;
    }
    const path = join(this.dir, checkBlobName(name));
    h = fs.open(path, fsc.O_RDWR | fsc.O_CREAT, 0o600);
    this.#open.set(name, h);
    h.catch(() => this.#open.delete(name));
    if (this.#open.size > MAX_OPEN) void this.#close(this.#open.keys().next().value!);
    return h;
  }

  async #close(name: string): Promise<void> {
    const h = this.#open.get(name);
    if (!h) return;
    this.#open.delete(name);
    await (await h.catch(() => undefined))?.close();
  }
}
