/**
 * Reading a file to send (`file send`, the bridge's `file`, chat's `/file`): one place for the
 * checks, so each refuses a missing, unreadable, non-regular or too large file with the same
 * FILE_ERROR (exit 8) before anything is queued.
 */
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { MAX_FILE_SIZE } from '@parley/generated';
import type { FileSource } from '@parley/runtime/engine';
import { FileError } from './errors.ts';
import { size } from './output.ts';

/** Leading bytes read for MIME sniffing (mime.ts looks at the first 32). */
const HEAD_BYTES = 64;

/**
 * A file to send: checked, its first bytes (MIME sniffing) and a source the engine reads once,
 * in chunks, so the file is never in memory whole. `close` when the send call returned.
 */
export interface Sendable {
  path: string;
  size: number;
  head: Uint8Array;
  source: FileSource & { close(): Promise<void> };
}

export async function readSendable(file: string): Promise<Sendable> {
  const path = resolve(file);
  let st;
  try {
    st = await fs.stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileError(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${(err as Error).message}`);
  }
  if (!st.isFile()) throw new FileError(`not a regular file: ${path}`);
  if (st.size > MAX_FILE_SIZE) throw new FileError(`${path} is ${size(st.size)}; files may have at most ${size(MAX_FILE_SIZE)}`);
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(path, 'r');
  } catch (err) {
    throw new FileError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const read = async (at: number, n: number): Promise<Uint8Array> => {
    const out = new Uint8Array(n);
    let got = 0;
    try {
      while (got < n) {
        const { bytesRead } = await fh.read(out, got, n - got, at + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
    } catch (err) {
      throw new FileError(`cannot read ${path}: ${(err as Error).message}`);
    }
    return got === n ? out : out.subarray(0, got);
  };
  const head = await read(0, Math.min(HEAD_BYTES, st.size));
  return { path, size: st.size, head, source: { size: st.size, read, close: () => fh.close() } };
}
