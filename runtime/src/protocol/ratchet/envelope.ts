/**
 * v2 envelope padding: PAD_BUCKET_1..PAD_BUCKET_4, then RATCHET_MAX_ENVELOPE_SIZE instead of
 * PAD_BUCKET_5, so the largest ratchet header still fits in MAX_FRAME_SIZE. The header's size
 * depends on the ratchet's step, never on the message type, so types stay hidden.
 */
import {
  PAD_BUCKET_1,
  PAD_BUCKET_2,
  PAD_BUCKET_3,
  PAD_BUCKET_4,
  RATCHET_MAX_ENVELOPE_SIZE,
  decodeEnvelope,
  encodeEnvelope,
  encodedSizeEnvelope,
  type Envelope,
} from '@parley/generated';
import { OpenError } from '../errors.ts';

/** The v2 envelope size buckets, smallest first. */
export const RATCHET_PAD_BUCKETS: readonly number[] = Object.freeze([PAD_BUCKET_1, PAD_BUCKET_2, PAD_BUCKET_3, PAD_BUCKET_4, RATCHET_MAX_ENVELOPE_SIZE]);

export function isRatchetBucketSize(n: number): boolean {
  return RATCHET_PAD_BUCKETS.includes(n);
}

/** Encodes an envelope padded to its v2 bucket; RangeError if it is larger than the largest. */
export function encodeEnvelopeRatchet(env: Envelope): Uint8Array {
  const unpadded = { ...env, padding: 0 } as Envelope;
  const size = encodedSizeEnvelope(unpadded);
  const bucket = RATCHET_PAD_BUCKETS.find((b) => size <= b);
  if (bucket === undefined) throw new RangeError(`envelope of ${size} bytes is larger than the largest v2 bucket (${RATCHET_MAX_ENVELOPE_SIZE})`);
  return encodeEnvelope({ ...unpadded, padding: bucket - size } as Envelope);
}

/** Decodes a received v2 envelope: a v2 bucket size (OpenError BAD_LENGTH), then the codec. */
export function decodeEnvelopeRatchet(bytes: Uint8Array): Envelope {
  if (!isRatchetBucketSize(bytes.length)) throw new OpenError('BAD_LENGTH', `envelope of ${bytes.length} bytes is not a v2 bucket size`);
  return decodeEnvelope(bytes);
}
