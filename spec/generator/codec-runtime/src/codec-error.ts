/**
 * The error every generated decoder, encoder and region builder raises. Its codes (type
 * CodecErrorCode) are the spec's `errors.codec`, written into errors.ts, which re-exports this class.
 */
import type { CodecErrorCode } from './errors.ts';

/**
 * Raised by every generated decoder and encoder, and by the region builders. `code` is stable
 * (see ErrorDocs); `offset` is the byte offset of the problem in the decoder's input (-1 for
 * encoders); `path` names the spec element, e.g. `envelope.body(text).text` or
 * `turn_credentials.urls[1].url`.
 */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  readonly code: CodecErrorCode;
  /** Byte offset in the decoded input where the problem is; -1 when raised by an encoder. */
  readonly offset: number;
  /** Spec path of the field, from the outermost struct (prefixed as the error leaves nested readers). */
  path: string;
  /** What the field must hold. */
  readonly expected: string;
  /** What it held. */
  readonly actual: string;

  constructor(code: CodecErrorCode, offset: number, path: string, expected: string, actual: string) {
    super(CodecError.format(code, offset, path, expected, actual));
    this.code = code;
    this.offset = offset;
    this.path = path;
    this.expected = expected;
    this.actual = actual;
  }

  /** The message of an error with these fields. */
  static format(code: CodecErrorCode, offset: number, path: string, expected: string, actual: string): string {
    const where = (path ? ' at ' + path : '') + (offset >= 0 ? ' (byte ' + offset + ')' : '');
    return code + where + ': expected ' + expected + ', got ' + actual;
  }
}

/** True if e is a CodecError (optionally: with the given code). */
export function isCodecError(e: unknown, code?: CodecErrorCode): e is CodecError {
  const ok = e instanceof CodecError || (e instanceof Error && e.name === 'CodecError' && typeof (e as { code?: unknown }).code === 'string');
  return ok && (code === undefined || (e as CodecError).code === code);
}
