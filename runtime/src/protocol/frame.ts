/**
 * The outer frame (spec structs.frame): `[route][nonce][kind][payload][sig]`. Offsets of the
 * fixed fields are computed from the generated layout (`Layouts.frame`), never written here, so
 * the fast in-place paths (route masking on the relay) stay in step with the spec.
 */
import { FrameKind, Layouts, MAX_FRAME_SIZE, MIN_FRAME_SIZE, encodeFrame, type Frame } from '@parley/generated';

function offsetOf(fieldId: string): number {
  let at = 0;
  for (const f of Layouts.frame.fields) {
    if (f.id === fieldId) return at;
    if (f.size === null) break;
    at += f.size;
  }
  throw new Error(`frame layout: field ${fieldId} has no fixed offset`);
}

function sizeOf(fieldId: string): number {
  const f = Layouts.frame.fields.find((x) => x.id === fieldId);
  if (f?.size == null) throw new Error(`frame layout: field ${fieldId} has no fixed size`);
  return f.size;
}

/** Byte offset of the route field. */
export const FRAME_ROUTE_OFFSET = offsetOf('route');
/** Byte offset of the nonce field. */
export const FRAME_NONCE_OFFSET = offsetOf('nonce');
/** Byte offset of the kind byte. */
export const FRAME_KIND_OFFSET = offsetOf('kind');
/** Byte offset of the payload. */
export const FRAME_PAYLOAD_OFFSET = offsetOf('payload');
/** Bytes of the signature at the end of every frame. */
export const FRAME_SIG_SIZE = sizeOf('sig');

/** The kinds a client or relay accepts after the handshake (never handshake, never reserved). */
export type SessionKind = typeof FrameKind.control | typeof FrameKind.peer | typeof FrameKind.firstContact | typeof FrameKind.ratchet;

/** The kinds the relay forwards between clients verbatim (only the route is rewritten). */
export function isForwardedKind(kind: number | undefined): kind is typeof FrameKind.peer | typeof FrameKind.firstContact | typeof FrameKind.ratchet {
  return kind === FrameKind.peer || kind === FrameKind.firstContact || kind === FrameKind.ratchet;
}

const ROUTE_BYTES = sizeOf('route');

/** Builds a frame's bytes from its parts (route zero when omitted). */
export function buildFrame(parts: Omit<Frame, 'route'> & { route?: Uint8Array }): Uint8Array {
  const { nonce, kind, payload, sig } = parts;
  return encodeFrame({ route: parts.route ?? new Uint8Array(ROUTE_BYTES), nonce, kind, payload, sig });
}

const KIND_BYTES = sizeOf('kind');
if (KIND_BYTES !== 1) throw new Error('frame layout: allocFrame writes the kind as one byte');

/** A frame allocated around its payload: the caller writes the payload, signs it, sets the signature. */
export interface FrameShell {
  frame: Uint8Array;
  /** The payload's bytes inside `frame` (a view: write it in place, sign over it). */
  payload: Uint8Array;
  /** The signature's bytes inside `frame`. */
  sig: Uint8Array;
}

/**
 * One allocation for a whole frame (route zero), where buildFrame copies a payload built
 * beforehand: the sender of a ratchet frame writes its header and body straight into it.
 * RangeError if the frame would be outside MIN_FRAME_SIZE..MAX_FRAME_SIZE.
 */
export function allocFrame(nonce: Uint8Array, kind: SessionKind, payloadLength: number): FrameShell {
  const size = FRAME_PAYLOAD_OFFSET + payloadLength + FRAME_SIG_SIZE;
  if (!frameLengthOk(size)) throw new RangeError(`a frame of ${size} bytes (${MIN_FRAME_SIZE}..${MAX_FRAME_SIZE})`);
  if (nonce.length !== FRAME_PAYLOAD_OFFSET - FRAME_NONCE_OFFSET - KIND_BYTES) throw new RangeError(`nonce of ${nonce.length} bytes`);
  const frame = new Uint8Array(size);
  frame.set(nonce, FRAME_NONCE_OFFSET);
  frame[FRAME_KIND_OFFSET] = kind;
  return { frame, payload: frame.subarray(FRAME_PAYLOAD_OFFSET, FRAME_PAYLOAD_OFFSET + payloadLength), sig: frame.subarray(size - FRAME_SIG_SIZE) };
}

/** True if `n` is a length a frame may have (MIN_FRAME_SIZE..MAX_FRAME_SIZE). */
export function frameLengthOk(n: number): boolean {
  return n >= MIN_FRAME_SIZE && n <= MAX_FRAME_SIZE;
}
