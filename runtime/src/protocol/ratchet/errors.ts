/**
 * Typed errors of v2 sessions (spec `errors.ratchet`); each code's "raised if" line is
 * `ErrorDocs[code]` in @parley/generated. Frame-level failures before the ratchet (kind,
 * length, signature, body AEAD) stay `OpenError` with the spec's open codes.
 */
import type { RatchetErrorCode } from '@parley/generated';

export type { RatchetErrorCode };

export class RatchetError extends Error {
  override readonly name = 'RatchetError';
  readonly code: RatchetErrorCode;

  constructor(code: RatchetErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
  }
}

/** True if `e` is a RatchetError (optionally: with the given code). */
export function isRatchetError(e: unknown, code?: RatchetErrorCode): e is RatchetError {
  return e instanceof RatchetError && (code === undefined || e.code === code);
}
