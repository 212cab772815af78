/**
 * Message framing of the conformance protocol (spec/conformance/PROTOCOL.md, "Framing"): every
 * message, in both directions, is a u32 little-endian byte length followed by that many bytes of
 * UTF-8 JSON holding one object. Shared by the runner and the reference adapter.
 */

/** Default bound on one message, both ways: a frame vector is at most 64 KiB, its JSON a few times that. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export type FramingErrorCode =
  /** Raised if a message announces more bytes than the reader's limit (checked before buffering). */
  | 'MESSAGE_TOO_LARGE'
  /** Raised if a message body is not UTF-8 JSON holding an object. */
  | 'BAD_MESSAGE';

export class FramingError extends Error {
  override readonly name = 'FramingError';
  constructor(
    readonly code: FramingErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isFramingError(e: unknown): e is FramingError {
  return e instanceof Error && e.name === 'FramingError';
}

/** One message as bytes: u32 LE length, then the JSON text. */
export function encodeMessage(message: object, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > maxBytes) throw new FramingError('MESSAGE_TOO_LARGE', `message of ${body.length} bytes exceeds the limit of ${maxBytes}`);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** Splits a byte stream into messages. Feed it chunks; it returns every message they complete. */
export class MessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(readonly maxBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  /** Bytes received but not yet returned as a message. */
  get pending(): number {
    return this.buffered;
  }

  /**
   * Returns the complete messages, parsed. A message whose JSON does not parse is returned as a
   * FramingError('BAD_MESSAGE') in its place, so one bad message does not lose the stream; a
   * length over the limit throws, since the stream cannot be trusted after it.
   */
  push(chunk: Buffer): (Record<string, unknown> | FramingError)[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: (Record<string, unknown> | FramingError)[] = [];
    for (;;) {
      if (this.buffered < 4) return out;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.chunks = [all];
      const length = all.readUInt32LE(0);
      if (length > this.maxBytes) throw new FramingError('MESSAGE_TOO_LARGE', `message announces ${length} bytes, over the limit of ${this.maxBytes}`);
      if (all.length < 4 + length) return out;
      out.push(parse(all.subarray(4, 4 + length)));
      const rest = all.subarray(4 + length);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
    }
  }
}

function parse(body: Buffer): Record<string, unknown> | FramingError {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return new FramingError('BAD_MESSAGE', 'a message must be a JSON object');
    return value as Record<string, unknown>;
  } catch (e) {
    return new FramingError('BAD_MESSAGE', `message is not UTF-8 JSON: ${(e as Error).message}`);
  }
}
