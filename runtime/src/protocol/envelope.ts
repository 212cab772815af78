/**
 * Envelopes (spec structs.envelope): the plaintext of peer frames and first-contact requests.
 * A random message id, the sender's clock, the message, extensions, then zero padding up to the
 * smallest size bucket (PAD_BUCKET_1..PAD_BUCKET_5) that holds it, so sizes do not reveal types.
 */
import {
  MSG_ID_SIZE,
  PAD_BUCKET_1,
  PAD_BUCKET_2,
  PAD_BUCKET_3,
  PAD_BUCKET_4,
  PAD_BUCKET_5,
  decodeEnvelope,
  encodeEnvelope,
  encodedSizeEnvelope,
  type Envelope,
  type EnvelopeBody,
  type EnvelopeCommon,
} from '@parley/generated';
import { randomBytes } from '../crypto/index.ts';
import { OpenError } from './errors.ts';

/** The envelope size buckets, smallest first. */
export const PAD_BUCKETS: readonly number[] = Object.freeze([PAD_BUCKET_1, PAD_BUCKET_2, PAD_BUCKET_3, PAD_BUCKET_4, PAD_BUCKET_5]);

/** True if `n` is one of the bucket sizes. */
export function isBucketSize(n: number): boolean {
  return PAD_BUCKETS.includes(n);
}

/** The smallest bucket that holds `size` bytes; RangeError if none does. */
export function padBucket(size: number): number {
  for (const b of PAD_BUCKETS) if (size <= b) return b;
  throw new RangeError(`envelope of ${size} bytes is larger than the largest bucket (${PAD_BUCKET_5})`);
}

/** What a caller gives to build an envelope: the message, and optionally the common fields. */
export type EnvelopeInput = EnvelopeBody & Partial<Omit<EnvelopeCommon, 'padding'>>;

export interface EnvelopeOptions {
  /** Clock, ms since the Unix epoch (default Date.now). */
  now?: () => number;
  /** Randomness for the message id (default crypto randomBytes). */
  random?: (n: number) => Uint8Array;
}

/**
 * A complete envelope: a random msg id and the current time unless given, no flags, no
 * extensions, and the padding that fills the smallest bucket.
 */
export function makeEnvelope(input: EnvelopeInput, options: EnvelopeOptions = {}): Envelope {
  const env = {
    ...input,
    msgId: input.msgId ?? (options.random ?? randomBytes)(MSG_ID_SIZE),
    sentAt: input.sentAt ?? (options.now ?? Date.now)(),
    flags: input.flags ?? 0,
    extensions: input.extensions ?? [],
    padding: 0,
  } as Envelope;
  const size = encodedSizeEnvelope(env);
  env.padding = padBucket(size) - size;
  return env;
}

/** Encodes an envelope padded to its bucket (any `padding` in `env` is recomputed). */
export function encodeEnvelopePadded(env: Envelope): Uint8Array {
  const unpadded = { ...env, padding: 0 } as Envelope;
  const size = encodedSizeEnvelope(unpadded);
  return encodeEnvelope({ ...unpadded, padding: padBucket(size) - size } as Envelope);
}

/**
 * Decodes a received envelope: its size must be a bucket (OpenError BAD_LENGTH); the codec
 * checks the rest, zero padding included (CodecError).
 */
export function decodeEnvelopeChecked(bytes: Uint8Array): Envelope {
  if (!isBucketSize(bytes.length)) throw new OpenError('BAD_LENGTH', `envelope of ${bytes.length} bytes is not a bucket size`);
  return decodeEnvelope(bytes);
}
