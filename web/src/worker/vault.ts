/**
 * The identity at rest (the `vault` object store, key `identity`).
 *
 * Without a passphrase the 32-byte seed is stored as is: anyone with the unlocked device has it
 * (spec/THREAT-MODEL.md "Someone with your unlocked device"). With a passphrase it is sealed:
 *
 *   key    = scrypt(NFKC(passphrase), salt, N = 2^17, r = 8, p = 1, dkLen = 32)   (RFC 7914)
 *   sealed = XChaCha20-Poly1305(key, nonce, seed, ad = x25519 public || ed25519 public)
 *
 * scrypt with N = 2^17, r = 8 needs 128 MiB and about a second per guess on a laptop (OWASP's
 * recommended minimum for scrypt). The parameters are stored with the record, so they can be
 * raised later without breaking old records. The associated data binds the sealed seed to the
 * public keys next to it: a swapped record fails to open. Only the seed is sealed; contacts and
 * history are not encrypted at rest (see web/README.md).
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { SEED_SIZE } from '@parley/generated';
import { XCHACHA_NONCE_LENGTH, concatBytes, randomBytes, wipe, type CryptoBackend } from '@parley/runtime';
import { MIN_PASSPHRASE, passphraseLength } from '../shared/passphrase.ts';
import type { RelayInfo } from '../messages/protocol.ts';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** Default cost: 128 MiB of memory (128 * N * r bytes), about 1 s in a browser worker. */
export const SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });
/** Bounds accepted from a stored record, so a tampered record cannot ask for absurd work. */
export const SCRYPT_MAX_N = 2 ** 20;
export const SALT_SIZE = 16;
const KEY_LENGTH = 32;

export interface Protection {
  kdf: 'scrypt';
  params: ScryptParams;
  salt: Uint8Array;
  nonce: Uint8Array;
  /** The sealed seed (ciphertext || tag). */
  sealed: Uint8Array;
}

export interface IdentityRecord {
  v: 1;
  name: string;
  /** Public keys and id, hex. */
  x: string;
  ed: string;
  id: string;
  /** The plain seed, when there is no passphrase. */
  seed?: Uint8Array;
  protection?: Protection;
  /** The relay pinned when the identity was created (trust on first use). */
  relay: RelayInfo;
  createdAt: number;
}

export class VaultError extends Error {
  override readonly name = 'VaultError';
  constructor(
    readonly code: 'BAD_PASSPHRASE' | 'WEAK_PASSPHRASE' | 'CORRUPT_VAULT',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Throws VaultError WEAK_PASSPHRASE unless `passphrase` may seal a new identity (at least
 * MIN_PASSPHRASE characters). Checked here, in the worker, whatever the UI checked before.
 */
export function checkNewPassphrase(passphrase: unknown): asserts passphrase is string {
  if (typeof passphrase !== 'string' || passphraseLength(passphrase) < MIN_PASSPHRASE) {
    throw new VaultError('WEAK_PASSPHRASE', `the passphrase needs at least ${MIN_PASSPHRASE} characters`);
  }
}

async function passKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  return scryptAsync(new TextEncoder().encode(passphrase.normalize('NFKC')), salt, { ...params, dkLen: KEY_LENGTH, maxmem: 2 * 128 * params.N * params.r + 4096 });
}

/** Seals a seed under a passphrase (VaultError WEAK_PASSPHRASE if it is too short). */
export async function sealSeed(
  backend: CryptoBackend,
  seed: Uint8Array,
  passphrase: string,
  pub: { x: Uint8Array; ed: Uint8Array },
  params: ScryptParams = SCRYPT_PARAMS,
  random: (n: number) => Uint8Array = randomBytes,
): Promise<Protection> {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_SIZE) throw new RangeError(`seed must be ${SEED_SIZE} bytes`);
  checkNewPassphrase(passphrase);
  const salt = random(SALT_SIZE);
  const nonce = random(XCHACHA_NONCE_LENGTH);
  const key = await passKey(passphrase, salt, params);
  try {
    const sealed = await backend.xchachaSeal(key, nonce, seed, concatBytes(pub.x, pub.ed));
    return { kdf: 'scrypt', params: { ...params }, salt, nonce, sealed };
  } finally {
    wipe(key);
  }
}

/** Opens a sealed seed; VaultError BAD_PASSPHRASE if the passphrase (or the record) is wrong. */
export async function openSeed(backend: CryptoBackend, p: Protection, passphrase: string, pub: { x: Uint8Array; ed: Uint8Array }): Promise<Uint8Array> {
  const { N, r, p: par } = p.params ?? ({} as ScryptParams);
  const sane = p.kdf === 'scrypt' && Number.isInteger(N) && N >= 2 && N <= SCRYPT_MAX_N && (N & (N - 1)) === 0 && Number.isInteger(r) && r >= 1 && r <= 32 && par === 1;
  if (!sane || !(p.salt instanceof Uint8Array) || !(p.nonce instanceof Uint8Array) || !(p.sealed instanceof Uint8Array)) {
    throw new VaultError('CORRUPT_VAULT', 'the stored identity record is not readable');
  }
  // No length rule here: the record decides. An empty or missing passphrase is simply wrong.
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new VaultError('BAD_PASSPHRASE', 'wrong passphrase');
  const key = await passKey(passphrase, p.salt, { N, r, p: par });
  try {
    return await backend.xchachaOpen(key, p.nonce, p.sealed, concatBytes(pub.x, pub.ed));
  } catch {
    throw new VaultError('BAD_PASSPHRASE', 'wrong passphrase');
  } finally {
    wipe(key);
  }
}
