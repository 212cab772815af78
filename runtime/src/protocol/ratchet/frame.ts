/**
 * Ratchet frames (spec kinds.ratchet, signatures.ratchet, regions ratchet_signed):
 *
 *   payload = ratchet { header, body }            (double-ratchet.ts)
 *   sig     = Ed25519(sender, "parley v1 sig ratchet" || KH(pair_bind(sender→recipient), ratchet_signed))
 *
 * The signature covers the whole ciphertext region (header and body) and is keyed by the
 * pair's binding key, so a receiver verifies it before it touches the ratchet state: a frame
 * the relay or a stranger made never costs a header attempt, and never changes a state.
 * Receive order as for peer frames: candidates, kind and length, signature, then the ratchet,
 * then the envelope; the replay window by message id stays the caller's.
 */
import {
  FrameKind,
  NONCE_SIZE,
  TAG_SIZE,
  decodeFrame,
  decodeRatchet,
  encodeRatchetInto,
  encodedSizeRatchet,
  signatureMessageRatchet,
  type Ratchet,
  type Envelope,
  type Frame,
} from '@parley/generated';
import { abytes } from '../_assert.ts';
import { H } from '../_blake3.ts';
import { OpenError, isOpenError } from '../errors.ts';
import { allocFrame } from '../frame.ts';
import type { Identity, PublicKeys } from '../identity.ts';
import { derivePairKeys, type PairCache, type PairKeys } from '../pair.ts';
import { rand, type RatchetDeps } from './deps.ts';
import { beginSeal, ratchetOpen, sealBody, sealHeader, type OpenStep } from './double-ratchet.ts';
import { decodeEnvelopeRatchet, encodeEnvelopeRatchet, isRatchetBucketSize } from './envelope.ts';
import { RatchetError } from './errors.ts';
import { discardState, type RatchetState } from './state.ts';
import type { RatchetHeader } from '@parley/generated';

export interface SealRatchetArgs {
  deps: RatchetDeps;
  sender: Identity;
  recipient: PublicKeys;
  state: RatchetState;
  /** The message: an envelope (padded here to a v2 bucket) or an already padded encoding. */
  envelope: Envelope | Uint8Array;
  pair?: PairKeys;
  /** NONCE_SIZE bytes; from deps.random if absent. */
  nonce?: Uint8Array;
}

/** Seals a ratchet frame (route zero until the session masks it) and returns the new state. */
export async function sealRatchetFrame(args: SealRatchetArgs): Promise<{ frame: Uint8Array; state: RatchetState; header: RatchetHeader }> {
  const { deps, sender, recipient } = args;
  const plaintext = args.envelope instanceof Uint8Array ? args.envelope : encodeEnvelopeRatchet(args.envelope);
  if (!isRatchetBucketSize(plaintext.length)) throw new RangeError(`envelope of ${plaintext.length} bytes is not padded to a v2 bucket`);
  const nonce = args.nonce === undefined ? rand(deps, NONCE_SIZE) : abytes(args.nonce, 'nonce', NONCE_SIZE);
  const pair = args.pair ?? (await derivePairKeys(deps.backend, sender, recipient));
  const parties = { senderX: sender.x, recipientX: recipient.x };
  const step = beginSeal(args.state);
  try {
    const header = sealHeader(deps, step, nonce);
    const body = await sealBody(deps, step, plaintext, parties, nonce, header);
    step.messageKey.fill(0);
    const parts = { header, body };
    const shell = allocFrame(nonce, FrameKind.ratchet, encodedSizeRatchet(parts));
    encodeRatchetInto(parts, shell.payload);
    const message = signatureMessageRatchet(H, pair.sendBind, { senderX: sender.x, recipientX: recipient.x, nonce, payload: shell.payload });
    shell.sig.set(await deps.backend.ed25519Sign(sender.edSeed, message));
    return { frame: shell.frame, state: step.state, header: step.header };
  } catch (e) {
    step.messageKey.fill(0);
    discardState(step.state, args.state);
    throw e;
  }
}

/** A contact the route names, with its session state (undefined: no v2 session). */
export interface RatchetCandidate<C extends PublicKeys> {
  contact: C;
  state: RatchetState | undefined;
}

export interface OpenRatchetArgs<C extends PublicKeys> {
  deps: RatchetDeps;
  me: Identity;
  candidates: readonly RatchetCandidate<C>[];
  frame: Uint8Array | Frame;
  pairs?: PairCache;
}

export interface OpenedRatchet<C extends PublicKeys> {
  sender: C;
  /** The new state: commit it with the record this message produces, then wipe the old one. */
  state: RatchetState;
  envelope: Envelope;
  plaintext: Uint8Array;
  header: RatchetHeader;
  step: OpenStep;
}

/** Kind ratchet (BAD_KIND); a payload that decodes with a body of a v2 bucket (BAD_LENGTH). Returns the decoded payload. */
export function checkRatchetShape(f: Frame): Ratchet {
  if (f.kind !== FrameKind.ratchet) throw new OpenError('BAD_KIND', `kind ${f.kind} where a ratchet frame was expected`);
  let decoded: Ratchet;
  try {
    decoded = decodeRatchet(f.payload);
  } catch (e) {
    throw new OpenError('BAD_LENGTH', 'the payload is not a ratchet header and body', { cause: e });
  }
  if (!isRatchetBucketSize(decoded.body.length - TAG_SIZE)) throw new OpenError('BAD_LENGTH', `body of ${decoded.body.length} bytes is not a padded v2 envelope`);
  return decoded;
}

/**
 * Opens a ratchet frame. Throws CodecError (the frame does not decode), OpenError
 * UNKNOWN_SENDER, BAD_KIND, BAD_LENGTH, BAD_SIGNATURE (BAD_KEY), then RatchetError NO_SESSION,
 * HEADER_FAILED, JUMP_TOO_LARGE, KEM_MISSING, BAD_KEM, KEY_USED, OpenError DECRYPT_FAILED, then the
 * envelope's BAD_LENGTH or CodecError. The candidate's state is never modified.
 */
export async function openRatchetFrame<C extends PublicKeys>(args: OpenRatchetArgs<C>): Promise<OpenedRatchet<C>> {
  const { deps, me, candidates } = args;
  const f = args.frame instanceof Uint8Array ? decodeFrame(args.frame) : args.frame;
  if (candidates.length === 0) throw new OpenError('UNKNOWN_SENDER', 'the route does not unmask to a known contact');
  const parts = checkRatchetShape(f);
  let found: RatchetCandidate<C> | undefined;
  let badKeys = 0;
  for (const c of candidates) {
    let pair: PairKeys;
    try {
      pair = await (args.pairs ? args.pairs.get(c.contact) : derivePairKeys(deps.backend, me, c.contact));
    } catch (e) {
      if (!isOpenError(e, 'BAD_KEY')) throw e;
      badKeys++;
      continue;
    }
    const message = signatureMessageRatchet(H, pair.recvBind, { senderX: c.contact.x, recipientX: me.x, nonce: f.nonce, payload: f.payload });
    if (await deps.backend.ed25519Verify(c.contact.ed, message, f.sig)) {
      found = c;
      break;
    }
  }
  if (found === undefined) {
    if (badKeys === candidates.length) throw new OpenError('BAD_KEY', 'every candidate contact has a rejected X25519 key');
    throw new OpenError('BAD_SIGNATURE', `no signature of ${candidates.length} candidate(s) verifies`);
  }
  if (found.state === undefined) throw new RatchetError('NO_SESSION', 'a ratchet frame from a contact without a v2 session');
  const opened = await ratchetOpen(deps, found.state, parts, { senderX: found.contact.x, recipientX: me.x }, f.nonce);
  let envelope: Envelope;
  try {
    envelope = decodeEnvelopeRatchet(opened.plaintext);
  } catch (e) {
    discardState(opened.state, found.state); // never committed: its keys must not outlive the refusal
    throw e;
  }
  return { sender: found.contact, state: opened.state, envelope, plaintext: opened.plaintext, header: opened.header, step: opened.step };
}
