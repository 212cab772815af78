/**
 * Typed errors of the crypto layer.
 *
 * A `CryptoError` means: the arguments had the right shape, but the bytes were
 * rejected by a cryptographic rule (a low-order key, a failed tag, ...).
 * Wrong argument types and lengths are programmer errors and are thrown as
 * plain `TypeError` / `RangeError` by the assertion helpers in `_assert.ts`.
 * `ed25519Verify` never throws for a bad signature: it returns `false`.
 */

/** Stable error codes. Each line says when it is raised. */
export type CryptoErrorCode =
  /** raised if a platform backend refuses to import a key that passed our own checks */
  | 'BAD_KEY'
  /** raised if an X25519 public key is a low-order point, or a DH output is all zero (RFC 7748 §6.1) */
  | 'LOW_ORDER'
  /** raised if an X25519 public key encodes u >= 2^255 - 19, top bit included (see README) */
  | 'NON_CANONICAL'
  /** raised if an AEAD ciphertext fails authentication or is shorter than its 16-byte tag */
  | 'DECRYPT_FAILED'
  /** raised if a requested backend cannot run on this platform */
  | 'UNSUPPORTED';

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * True if `e` is a CryptoError (optionally: with the given code). Recognised by name as well as
 * by class: a loader may hold this module twice (wschat runs under tsx with both CommonJS and ESM
 * hooks, and the crypto backend is loaded with `import()`), and then a backend's CryptoError is
 * not an instance of the class the caller sees; a tag that fails to open must still read as
 * DECRYPT_FAILED (the ratchet tries the next header key on it).
 */
export function isCryptoError(e: unknown, code?: CryptoErrorCode): e is CryptoError {
  const named = e instanceof CryptoError || (e instanceof Error && e.name === 'CryptoError' && typeof (e as { code?: unknown }).code === 'string');
  return named && (code === undefined || (e as CryptoError).code === code);
}
