/**
 * A secret sealed under a passphrase, for keys at rest (the web app's identity seed):
 *
 *   key    = scrypt(NFKC(passphrase), salt, N, r, p, dkLen = 32)        (RFC 7914, @noble/hashes)
 *   sealed = XChaCha20-Poly1305(key, nonce, secret, ad)                  (the CryptoBackend)
 *
 * KDF cost (SCRYPT_PARAMS): N = 2^17, r = 8, p = 1 needs 128 * N * r = 128 MiB of memory and
 * about a second per guess in a browser worker on a laptop, OWASP's recommended minimum for
 * scrypt; an attacker with the sealed record pays that per passphrase tried. The parameters are
 * stored with the record, so they can be raised later without breaking old records, and a
 * record's parameters are bounded (SCRYPT_MAX_N, r ≤ 32, p = 1) so a tampered record cannot ask
 * for absurd work. The associated data binds the sealed secret to what is stored next to it (the
 * web app passes the identity's public keys): a swapped record fails to open.
 *
 * scrypt is imported when a passphrase is first used, not with the module: a bundler then puts it
 * in a chunk of its own, which the web app's crypto worker fetches only when a passphrase is set
 * or typed, never before its first screen.
 */
import { SEED_SIZE } from '@parley/generated';
import { XCHACHA_NONCE_LENGTH, type CryptoBackend } from '../crypto/backend.ts';
import { randomBytes } from '../crypto/random.ts';
import { concatBytes, wipe } from '../crypto/bytes.ts';
import { MIN_PASSPHRASE, passphraseLength } from './passphrase.ts';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** Default cost: 128 MiB of memory (128 * N * r bytes), about 1 s in a browser worker. */
export const SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });
/** Largest N accepted from a stored record (1 GiB at r = 8): a tampered record cannot ask for more. */
export const SCRYPT_MAX_N = 2 ** 20;
/** Largest r accepted from a stored record. */
export const SCRYPT_MAX_R = 32;
export const SALT_SIZE = 16;
/** The derived key: an XChaCha20-Poly1305 key. */
export const PASSPHRASE_KEY_SIZE = 32;

export interface Protection {
  kdf: 'scrypt';
  params: ScryptParams;
  salt: Uint8Array;
  nonce: Uint8Array;
  /** The sealed secret (ciphertext || tag). */
  sealed: Uint8Array;
}

export type VaultErrorCode =
  /** The passphrase (or the associated data) is not the one the record was sealed with. */
  | 'BAD_PASSPHRASE'
  /** A new passphrase shorter than MIN_PASSPHRASE characters. */
  | 'WEAK_PASSPHRASE'
  /** The stored record is not one this code can read (or asks for more work than allowed). */
  | 'CORRUPT_VAULT';

export class VaultError extends Error {
  override readonly name = 'VaultError';
  constructor(
    readonly code: VaultErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Throws VaultError WEAK_PASSPHRASE unless `passphrase` may seal a new secret. */
export function checkNewPassphrase(passphrase: unknown): asserts passphrase is string {
  if (typeof passphrase !== 'string' || passphraseLength(passphrase) < MIN_PASSPHRASE) {
    throw new VaultError('WEAK_PASSPHRASE', `the passphrase needs at least ${MIN_PASSPHRASE} characters`);
  }
}

/** scrypt of the passphrase's NFKC form (the same passphrase typed with composed or decomposed accents). */
export async function passphraseKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  const { scryptAsync } = await import('@noble/hashes/scrypt.js');
  return scryptAsync(new TextEncoder().encode(passphrase.normalize('NFKC')), salt, { ...params, dkLen: PASSPHRASE_KEY_SIZE, maxmem: 2 * 128 * params.N * params.r + 4096 });
}

/** Seals `secret` under a passphrase (VaultError WEAK_PASSPHRASE if it is too short). */
export async function sealWithPassphrase(
  backend: CryptoBackend,
  secret: Uint8Array,
  passphrase: string,
  ad: Uint8Array,
  params: ScryptParams = SCRYPT_PARAMS,
  random: (n: number) => Uint8Array = randomBytes,
): Promise<Protection> {
  checkNewPassphrase(passphrase);
  const salt = random(SALT_SIZE);
  const nonce = random(XCHACHA_NONCE_LENGTH);
  const key = await passphraseKey(passphrase, salt, params);
  try {
    const sealed = await backend.xchachaSeal(key, nonce, secret, ad);
    return { kdf: 'scrypt', params: { ...params }, salt, nonce, sealed };
  } finally {
    wipe(key);
  }
}

/** Opens a sealed secret; VaultError BAD_PASSPHRASE if the passphrase (or `ad`) is wrong, CORRUPT_VAULT if the record is. */
export async function openWithPassphrase(backend: CryptoBackend, p: Protection, passphrase: string, ad: Uint8Array): Promise<Uint8Array> {
  const { N, r, p: par } = p?.params ?? ({} as ScryptParams);
  const sane =
    p?.kdf === 'scrypt' && Number.isInteger(N) && N >= 2 && N <= SCRYPT_MAX_N && (N & (N - 1)) === 0 && Number.isInteger(r) && r >= 1 && r <= SCRYPT_MAX_R && par === 1;
  if (!sane || !(p.salt instanceof Uint8Array) || !(p.nonce instanceof Uint8Array) || !(p.sealed instanceof Uint8Array)) {
    throw new VaultError('CORRUPT_VAULT', 'the stored record is not readable');
  }
  // No length rule here: the record decides. An empty or missing passphrase is simply wrong.
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new VaultError('BAD_PASSPHRASE', 'wrong passphrase');
  const key = await passphraseKey(passphrase, p.salt, { N, r, p: par });
  try {
    return await backend.xchachaOpen(key, p.nonce, p.sealed, ad);
  } catch {
    throw new VaultError('BAD_PASSPHRASE', 'wrong passphrase');
  } finally {
    wipe(key);
  }
}

/**
 * An identity's seed sealed under a passphrase, bound to its public keys (ad = x25519 public ||
 * ed25519 public): a seed record swapped next to other keys does not open.
 */
export async function sealSeed(
  backend: CryptoBackend,
  seed: Uint8Array,
  passphrase: string,
  pub: { x: Uint8Array; ed: Uint8Array },
  params: ScryptParams = SCRYPT_PARAMS,
  random: (n: number) => Uint8Array = randomBytes,
): Promise<Protection> {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_SIZE) throw new RangeError(`seed must be ${SEED_SIZE} bytes`);
  return sealWithPassphrase(backend, seed, passphrase, concatBytes(pub.x, pub.ed), params, random);
}

/** Opens a seed sealed by sealSeed next to the same public keys. */
export async function openSeed(backend: CryptoBackend, p: Protection, passphrase: string, pub: { x: Uint8Array; ed: Uint8Array }): Promise<Uint8Array> {
  return openWithPassphrase(backend, p, passphrase, concatBytes(pub.x, pub.ed));
}
