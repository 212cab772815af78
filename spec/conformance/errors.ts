/**
 * Errors of `npm run conformance` that stop the run (exit status 2). A failing case is not an
 * error: it is reported per case, with one of the FailureCode reasons below.
 */

export type ConformanceErrorCode =
  /** Raised if the command line is wrong (no implementation command, a bad option value). */
  | 'CONF_USAGE'
  /** Raised if the implementation cannot be started (command not found, not executable). */
  | 'CONF_SPAWN'
  /** Raised if the implementation does not answer `hello` correctly within the startup timeout. */
  | 'CONF_HANDSHAKE'
  /** Raised if no vector file is found, or a vector file is not valid JSON of a known shape. */
  | 'CONF_VECTORS'
  /** Raised if the known-failures file cannot be read. */
  | 'CONF_KNOWN_FAILURES';

export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';
  constructor(
    readonly code: ConformanceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isConformanceError(e: unknown): e is ConformanceError {
  return e instanceof Error && e.name === 'ConformanceError';
}

/** Why one case failed. */
export type FailureCode =
  /** The implementation did not list the case's op in its hello answer. */
  | 'UNSUPPORTED'
  /** No answer within the per-request timeout; the implementation is killed and restarted. */
  | 'TIMEOUT'
  /** The implementation exited (or closed stdout) before answering. */
  | 'CRASHED'
  /** The answer announced more bytes than the maximum message size. */
  | 'RESPONSE_TOO_LARGE'
  /** The answer is not a well-formed response (bad JSON, wrong id, missing members). */
  | 'BAD_RESPONSE'
  /** ok: true, but the fields, hex or result differ from the vector. */
  | 'MISMATCH'
  /** ok: false where the vector expects success. */
  | 'UNEXPECTED_ERROR'
  /** ok: true where the vector expects an error. */
  | 'UNEXPECTED_OK'
  /** ok: false with another error code or offset than the vector's. */
  | 'WRONG_ERROR'
  /** Too many restarts: the remaining cases are not sent. */
  | 'ABANDONED';
