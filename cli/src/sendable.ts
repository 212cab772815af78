/**
 * Reading a file to send (`file send`, the bridge's `file`, chat's `/file`): one place for the
 * checks, so each refuses a missing, unreadable, non-regular or too large file with the same
 * FILE_ERROR (exit 8) before anything is queued.
 */
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { MAX_FILE_SIZE } from '@parley/generated';
import { FileError } from './errors.ts';
import { size } from './output.ts';

export async function readSendable(file: string): Promise<{ path: string; bytes: Uint8Array }> {
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
  try {
    return { path, bytes: new Uint8Array(await fs.readFile(path)) };
  } catch (err) {
    throw new FileError(`cannot read ${path}: ${(err as Error).message}`);
  }
}
