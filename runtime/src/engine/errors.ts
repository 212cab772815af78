/**
 * Typed errors of the client engine.
 *
 * An `EngineError` is thrown (or a Promise rejects with it) when an engine call cannot do what
 * it was asked. Frames the engine receives and drops are never thrown: they are reported as
 * `dropped` events with the protocol's open-error code (spec/protocol.yaml `errors.open`).
 */

/** Stable error codes. Each line says when it is raised. */
export type EngineErrorCode =
  /** raised if a send would hold more than OUTBOX_MAX_MESSAGES unacknowledged messages */
  | 'OUTBOX_FULL'
  /** raised if a request needs a live relay session (TURN, ring, ephemeral sends) and there is none */
  | 'NOT_CONNECTED'
  /** raised if a contact key names no contact, or the contact is not in a state that allows the call */
  | 'UNKNOWN_CONTACT'
  /** raised if the relay did not answer a request (TURN credentials) in time */
  | 'TIMEOUT'
  /** raised if the relay answered a control request with a control ERROR */
  | 'RELAY_ERROR'
  /** raised if the engine is stopped, or stops while a request waits */
  | 'STOPPED'
  /** raised if an invite does not parse, fails its checksum, has expired, or is for another relay */
  | 'BAD_INVITE'
  /** raised if adding a contact that already exists with the same keys */
  | 'CONTACT_EXISTS'
  /** raised if an action is not allowed: editing or deleting a message that is not yours,
   * accepting a request that is not pending, a message type the engine sends itself */
  | 'NOT_ALLOWED'
  /** raised if a text, file or name exceeds its protocol limit */
  | 'TOO_LARGE'
  /** raised if the store holds a record the engine cannot read */
  | 'CORRUPT_STORE';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  readonly code: EngineErrorCode;

  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True if `e` is an EngineError (with `code`, if given). */
export function isEngineError(e: unknown, code?: EngineErrorCode): e is EngineError {
  return e instanceof EngineError && (code === undefined || e.code === code);
}
