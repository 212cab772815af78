/**
 * Received files land in the downloads folder (0700), each written once (O_EXCL, 0600) under a
 * name that cannot leave the folder; a taken name gets " (1)", " (2)" ... before its extension.
 */
import { constants, promises as fs } from 'node:fs';
import { extname, join } from 'node:path';
import { FILE_CHUNK_SIZE, MAX_FILENAME_BYTES } from '@parley/generated';
import { FileError } from './errors.ts';

/** Attempts at a free name before giving up: bounds the loop on a folder full of copies. */
const MAX_NAME_ATTEMPTS = 1000;

/** A file name without folders, control characters or leading dots; never empty. */
export function safeFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  let base = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').replace(/^[.\s]+/, '').trim();
  if (base === '' || base === '.' || base === '..') base = 'file';
  while (new TextEncoder().encode(base).length > MAX_FILENAME_BYTES) base = base.slice(0, -1);
  return base;
}

/** Bytes copied per read while saving (the protocol's chunk size: what a part file is read in). */
const COPY_BYTES = FILE_CHUNK_SIZE;

/** Writes a received file, read in pieces (`read`) or whole (`bytes`). */
export async function saveDownload(dir: string, name: string, file: { size: number; read(offset: number, length: number): Promise<Uint8Array> } | Uint8Array): Promise<string> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new FileError(`cannot create the downloads folder ${dir}: ${(err as Error).message}`);
  }
  const safe = safeFileName(name);
  const ext = extname(safe);
  const stem = ext && ext !== safe ? safe.slice(0, -ext.length) : safe;
  for (let n = 0; n < MAX_NAME_ATTEMPTS; n++) {
    const path = join(dir, n === 0 ? safe : `${stem} (${n})${ext === safe ? '' : ext}`);
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new FileError(`cannot write ${path}: ${(err as Error).message}`);
    }
    try {
      if (file instanceof Uint8Array) await fh.writeFile(file);
      else {
        for (let at = 0; at < file.size; at += COPY_BYTES) {
          const piece = await file.read(at, Math.min(COPY_BYTES, file.size - at));
          if (piece.length === 0) throw new Error(`the received file ended at ${at} of ${file.size} bytes`);
          await fh.write(piece, 0, piece.length, at);
        }
      }
    } catch (err) {
      await fh.close();
      await fs.rm(path, { force: true });
      throw new FileError(`cannot write ${path}: ${(err as Error).message}`);
    }
    await fh.close();
    return path;
  }
  throw new FileError(`no free name for ${safe} in ${dir}`);
}
