/** Errors of `npm run spec:diff`. Each is a user-facing problem, printed without a stack trace. */

export type DiffErrorCode =
  /** Raised if the command line is wrong (missing or extra arguments, unknown flags). */
  | 'DIFF_USAGE'
  /** Raised if a spec file cannot be read. */
  | 'DIFF_READ'
  /** Raised if git cannot produce the file at the requested revision. */
  | 'DIFF_GIT'
  /** Raised if one side does not load (parse or validation errors, listed in the message). */
  | 'DIFF_SPEC_INVALID';

export class DiffError extends Error {
  override readonly name = 'DiffError';
  constructor(
    readonly code: DiffErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isDiffError(e: unknown): e is DiffError {
  return e instanceof Error && e.name === 'DiffError' && typeof (e as DiffError).code === 'string';
}
