/**
 * Key files in Node (never imported by browser entry points). A key file is written with mode
 * 0600 into a fresh temporary file (O_CREAT | O_EXCL), flushed, then renamed over the target,
 * so a reader sees the old file or the new one, never half of one. Reading refuses a file that
 * group or others may read or write (KeyFileError INSECURE_PERMISSIONS), like ssh does.
 */
import { constants, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes, toHex } from '../crypto/index.ts';
import { exportIdentity, importIdentity, type Identity } from '../protocol/identity.ts';
import type { CryptoBackend } from '../crypto/index.ts';

/** Mode of every key file: owner read and write only. */
export const KEY_FILE_MODE = 0o600;
/** Permission bits a key file must not have: any access for group or others. */
const FORBIDDEN_BITS = 0o077;
/** Largest key file read; bounds a mistaken path (key files are a few hundred bytes). */
export const MAX_KEY_FILE_BYTES = 1 << 16;

export type KeyFileErrorCode =
  /** raised if group or others may access the file (mode & 0o077 is not 0) */
  | 'INSECURE_PERMISSIONS'
  /** raised if the path is not a regular file (a directory, a symlink, a device, ...) */
  | 'NOT_A_FILE'
  /** raised if the file is larger than MAX_KEY_FILE_BYTES */
  | 'TOO_LARGE'
  /** raised if the file does not hold a valid key (see the cause) */
  | 'BAD_CONTENT';

export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
  readonly code: KeyFileErrorCode;
  readonly path: string;

  constructor(code: KeyFileErrorCode, path: string, message: string, options?: { cause?: unknown }) {
    super(`${path}: ${message}`, options);
    this.code = code;
    this.path = path;
  }
}

export function isKeyFileError(e: unknown, code?: KeyFileErrorCode): e is KeyFileError {
  return e instanceof KeyFileError && (code === undefined || e.code === code);
}

const onPosix = process.platform !== 'win32';

/**
 * Writes `data` to `path` atomically with mode 0600, replacing any existing file. The folder
 * must exist. The temporary file lives next to the target (same file system for the rename).
 */
export async function writeKeyFile(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${toHex(randomBytes(8))}.tmp`);
  const handle = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, KEY_FILE_MODE);
  try {
    // The umask can only remove bits from 0600; chmod makes the mode exact anyway.
    if (onPosix) await handle.chmod(KEY_FILE_MODE);
    await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  if (onPosix) await syncDir(dirname(path));
}

async function syncDir(dir: string): Promise<void> {
  const d = await fs.open(dir, constants.O_RDONLY);
  try {
    await d.sync();
  } catch {
    // some file systems refuse fsync on a directory; the rename itself is still atomic
  } finally {
    await d.close();
  }
}

/**
 * Reads a key file. Throws KeyFileError NOT_A_FILE for anything but a regular file (symlinks
 * are not followed), INSECURE_PERMISSIONS if group or others have any access, TOO_LARGE above
 * MAX_KEY_FILE_BYTES. The checks use the opened descriptor, so the file cannot be swapped
 * between the check and the read.
 */
export async function readKeyFile(path: string): Promise<Uint8Array> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new KeyFileError('NOT_A_FILE', path, 'is a symbolic link', { cause: e });
    throw e;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new KeyFileError('NOT_A_FILE', path, 'not a regular file');
    if (onPosix && (st.mode & FORBIDDEN_BITS) !== 0) {
      throw new KeyFileError(
        'INSECURE_PERMISSIONS',
        path,
        `mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} lets group or others access a key file; run chmod 600`,
      );
    }
    if (st.size > MAX_KEY_FILE_BYTES) throw new KeyFileError('TOO_LARGE', path, `larger than ${MAX_KEY_FILE_BYTES} bytes`);
    return new Uint8Array(await handle.readFile());
  } finally {
    await handle.close();
  }
}

/** Writes an identity (its seed and public keys, JSON) as a 0600 key file. */
export async function saveIdentityFile(path: string, identity: Identity): Promise<void> {
  await writeKeyFile(path, exportIdentity(identity));
}

/** Reads an identity key file written by `saveIdentityFile`, with the checks of `readKeyFile`. */
export async function loadIdentityFile(backend: CryptoBackend, path: string): Promise<Identity> {
  const bytes = await readKeyFile(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new KeyFileError('BAD_CONTENT', path, 'not UTF-8 text', { cause });
  }
  try {
    return await importIdentity(backend, text);
  } catch (cause) {
    throw new KeyFileError('BAD_CONTENT', path, `not a Parley identity: ${(cause as Error).message}`, { cause });
  }
}
