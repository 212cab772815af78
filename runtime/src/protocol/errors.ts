/**
 * Typed errors of the protocol layer. Codes come from the spec (`errors.open`,
 * `errors.handshake`); each code's "raised if" line is `ErrorDocs[code]` in @parley/generated.
 *
 * - `OpenError`: a received frame, envelope, invite or key was rejected (spec receive_order).
 * - `HandshakeError`: the handshake failed. On the relay side the public code is always
 *   HANDSHAKE_FAILED (one generic answer, so a prober learns nothing); `reason` says which
 *   check failed, for logs only.
 * Codec errors (`CodecError` from @parley/generated) pass through unchanged where the spec says
 * "codec errors".
 */
import type { HandshakeErrorCode, OpenErrorCode } from '@parley/generated';

export type { HandshakeErrorCode, OpenErrorCode };

/** Why an invite was refused (OpenError BAD_INVITE). */
export type InviteFailReason =
  | 'MALFORMED' // does not parse (link, base64url or codec)
  | 'CHECKSUM' // the checksum does not match (a typing or copy error)
  | 'EXPIRED' // past expires_at
  | 'USED_UP' // max_uses reached (a single-use invite after its first use)
  | 'RATE' // more than INVITE_FIRST_CONTACTS_PER_MINUTE first contacts in a minute
  | 'UNKNOWN' // no invite of ours has this id (or it was revoked)
  | 'BAD_KEY'; // a key in the invite is non-canonical or of low/small order

export class OpenError extends Error {
  override readonly name = 'OpenError';
  readonly code: OpenErrorCode;
  /** BAD_INVITE: which check failed. */
  readonly reason: InviteFailReason | undefined;

  constructor(code: OpenErrorCode, message: string, options?: { cause?: unknown; reason?: InviteFailReason }) {
    super(`${code}: ${message}`, options);
    this.code = code;
    this.reason = options?.reason;
  }
}

/** True if `e` is an OpenError (optionally: with the given code). */
export function isOpenError(e: unknown, code?: OpenErrorCode): e is OpenError {
  return e instanceof OpenError && (code === undefined || e.code === code);
}

/**
 * Why a relay-side handshake failed: one value per check of the spec's hello step, for logs.
 * Never sent to the client.
 */
export type HandshakeFailReason =
  | 'OUT_OF_ORDER' // a call that the state does not allow (e.g. a second HELLO)
  | 'TIMEOUT' // HELLO later than HANDSHAKE_TIMEOUT_MS after CHALLENGE
  | 'MALFORMED' // the frame does not decode, or its kind, route or type is wrong
  | 'BAD_EPHEMERAL' // E_C is non-canonical or of low order
  | 'STATICS' // the statics AEAD does not open
  | 'VERSION' // the chosen version was not offered
  | 'BAD_STATIC_KEY' // C_x non-canonical or low order, or C_ed of small order
  | 'PROOF' // the proof AEAD does not open: the client does not hold c_x
  | 'SIGNATURE'; // the HELLO signature does not verify with C_ed

export class HandshakeError extends Error {
  override readonly name = 'HandshakeError';
  readonly code: HandshakeErrorCode;
  /** Relay side: which check failed (for logs; the client only ever sees the close code). */
  readonly reason: HandshakeFailReason | undefined;

  constructor(code: HandshakeErrorCode, message: string, options?: { cause?: unknown; reason?: HandshakeFailReason }) {
    super(`${code}: ${message}`, options);
    this.code = code;
    this.reason = options?.reason;
  }
}

/** True if `e` is a HandshakeError (optionally: with the given code). */
export function isHandshakeError(e: unknown, code?: HandshakeErrorCode): e is HandshakeError {
  return e instanceof HandshakeError && (code === undefined || e.code === code);
}
