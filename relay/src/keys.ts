/**
 * The relay's key file: a 32-byte identity seed (hex, one line), mode 0600, from which both
 * key pairs derive (runtime `identityFromSeed`). `relay keygen` writes it; the relay refuses
 * to start with a missing, malformed or all-zero key, except in the documented local default:
 * the key lives in the data folder (PARLEY_DATA, or ./.data on a loopback HOST) and does not
 * exist yet, so it is generated there and the log says so.
 */
import { constants, promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import type { RelayConfig } from './config.ts';
import { KeyError } from './errors.ts';
import { SEED_SIZE } from './wire.ts';

export const KEY_FILE_NAME = 'relay.key';
/** The data folder of the local default (`npm start` on a loopback HOST without PARLEY_DATA). */
export const LOCAL_DATA_DIR = '.data';
const KEY_FILE_MODE = 0o600;

export interface KeyLocation {
  path: string;
  /** True when a missing file may be generated (the local default). */
  mayGenerate: boolean;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Where the key file is, and whether the local default may create it. */
export function keyLocation(config: Pick<RelayConfig, 'keyFile' | 'dataDir' | 'host'>): KeyLocation {
  if (config.keyFile !== undefined) return { path: resolve(config.keyFile), mayGenerate: false };
  if (config.dataDir !== undefined) return { path: resolve(config.dataDir, KEY_FILE_NAME), mayGenerate: true };
  if (isLoopback(config.host)) return { path: resolve(LOCAL_DATA_DIR, KEY_FILE_NAME), mayGenerate: true };
  throw new KeyError(
    `no relay key: HOST ${config.host} is not a loopback address, so the local default does not apply; ` +
      'run `relay keygen --key-file PATH` and set RELAY_KEY_FILE, or set PARLEY_DATA',
  );
}

/** Parses key file content: 64 hex digits (one line) or 32 raw bytes. */
export function parseSeed(content: Uint8Array, path: string): Uint8Array {
  let seed: Uint8Array;
  const text = Buffer.from(content).toString('latin1').trim();
  if (/^[0-9a-fA-F]+$/.test(text) && text.length === SEED_SIZE * 2) seed = Uint8Array.from(Buffer.from(text, 'hex'));
  else if (content.length === SEED_SIZE) seed = Uint8Array.from(content);
  else throw new KeyError(`${path}: not a relay key (expected ${SEED_SIZE * 2} hex digits)`);
  if (seed.every((b) => b === 0)) throw new KeyError(`${path}: the relay key is all zero; run \`relay keygen\``);
  return seed;
}

/** Reads the seed, refusing files others may read (like ssh) and all-zero keys. */
export async function readSeed(path: string): Promise<Uint8Array> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KeyError(`${path}: no relay key file; run \`relay keygen\``);
    throw new KeyError(`${path}: cannot open the relay key file (${code ?? (e as Error).message})`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new KeyError(`${path}: not a regular file`);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new KeyError(`${path}: mode ${(st.mode & 0o777).toString(8)} lets others read the relay key; run chmod 600`);
    }
    if (st.size > 1024) throw new KeyError(`${path}: too large for a relay key`);
    return parseSeed(new Uint8Array(await handle.readFile()), path);
  } finally {
    await handle.close();
  }
}

/** Writes a fresh random seed to `path` with mode 0600 (atomically: temp file, then rename). */
export async function writeNewSeed(path: string, overwrite = false): Promise<Uint8Array> {
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  if (!overwrite) {
    const exists = await fs.stat(path).then(() => true, () => false);
    if (exists) throw new KeyError(`${path}: a relay key already exists; pass --force to replace it`);
  }
  const seed = new Uint8Array(randomBytes(SEED_SIZE));
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const h = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, KEY_FILE_MODE);
  try {
    await h.chmod(KEY_FILE_MODE);
    await h.writeFile(Buffer.from(seed).toString('hex') + '\n');
    await h.sync();
  } finally {
    await h.close();
  }
  await fs.rename(tmp, path);
  return seed;
}

/**
 * Loads the relay seed per `keyLocation`: the file if it exists, a new one in the data
 * folder if the local default applies (reported through `onGenerated`), else KeyError.
 */
export async function loadOrCreateSeed(
  config: Pick<RelayConfig, 'keyFile' | 'dataDir' | 'host'>,
  onGenerated: (path: string) => void,
): Promise<Uint8Array> {
  const loc = keyLocation(config);
  const exists = await fs.lstat(loc.path).then(() => true, () => false);
  if (exists || !loc.mayGenerate) return readSeed(loc.path);
  const seed = await writeNewSeed(loc.path);
  onGenerated(loc.path);
  return seed;
}

/** The relay fingerprint people compare (spec derivation relay_fingerprint). */
export { relayFingerprint } from './runtime.ts';
