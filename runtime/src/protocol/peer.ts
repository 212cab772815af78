/**
 * Peer frames (spec kinds.peer, signatures.peer, regions peer_ad and peer_signed):
 *
 *   payload = AEAD(pair_direction(sender→recipient), nonce, peer_ad, envelope)
 *   sig     = Ed25519(sender, "parley v1 sig peer" || KH(pair_bind(sender→recipient), peer_signed))
 *
 * Sealing encrypts, then signs; the route stays zero (the session masks it when the frame goes
 * on the socket). Opening follows the spec's receive_order exactly: candidates, kind and
 * length, signature, then decryption, then the envelope. Nothing is decrypted before a
 * signature verifies, and no plaintext leaves before every check passed. The replay window
 * (step 7) is the caller's, per contact (replay.ts).
 */
import {
  FrameKind,
  NONCE_SIZE,
  TAG_SIZE,
  decodeFrame,
  peerAd,
  signatureMessagePeer,
  type Envelope,
  type Frame,
} from '@parley/generated';
import { isCryptoError, randomBytes, type CryptoBackend } from '../crypto/index.ts';
import { abytes } from './_assert.ts';
import { H } from './_blake3.ts';
import { decodeEnvelopeChecked, encodeEnvelopePadded, isBucketSize } from './envelope.ts';
import { OpenError, isOpenError } from './errors.ts';
import { buildFrame } from './frame.ts';
import type { Identity, PublicKeys } from './identity.ts';
import { derivePairKeys, type PairCache, type PairKeys } from './pair.ts';

export interface SealPeerArgs {
  backend: CryptoBackend;
  sender: Identity;
  recipient: PublicKeys;
  /** The message: an envelope (padded here) or an already padded encoding. */
  envelope: Envelope | Uint8Array;
  /** The sender's pair keys for the recipient (from a PairCache); derived if absent. */
  pair?: PairKeys;
  /** NONCE_SIZE bytes; random if absent. Inject only for test vectors. */
  nonce?: Uint8Array;
}

/** Seals a peer frame: encrypt, then sign. The route is zero until the session masks it. */
export async function sealPeer(args: SealPeerArgs): Promise<Uint8Array> {
  const { backend, sender, recipient } = args;
  const pair = args.pair ?? (await derivePairKeys(backend, sender, recipient));
  const plaintext = args.envelope instanceof Uint8Array ? args.envelope : encodeEnvelopePadded(args.envelope);
  if (!isBucketSize(plaintext.length)) throw new RangeError(`envelope of ${plaintext.length} bytes is not padded to a bucket`);
  const nonce = args.nonce === undefined ? randomBytes(NONCE_SIZE) : abytes(args.nonce, 'nonce', NONCE_SIZE);
  const ad = peerAd({ senderX: sender.x, recipientX: recipient.x });
  const payload = await backend.xchachaSeal(pair.sendKey, nonce, plaintext, ad);
  const message = signatureMessagePeer(H, pair.sendBind, { senderX: sender.x, recipientX: recipient.x, nonce, payload });
  const sig = await backend.ed25519Sign(sender.edSeed, message);
  return buildFrame({ nonce, kind: FrameKind.peer, payload, sig });
}

export interface OpenPeerArgs<C extends PublicKeys> {
  backend: CryptoBackend;
  me: Identity;
  /** Every contact whose id matches the unmasked route (the session gives the id). */
  candidates: readonly C[];
  /** The frame as received (its route may already be unmasked; the route is not used here). */
  frame: Uint8Array | Frame;
  /** Pair keys per contact; derived per candidate if absent. */
  pairs?: PairCache;
}

export interface OpenedPeer<C extends PublicKeys> {
  /** The candidate whose signature verified. */
  sender: C;
  envelope: Envelope;
  /** The decrypted, padded envelope bytes (the envelope's byte fields are views of it). */
  plaintext: Uint8Array;
}

/**
 * Payload check of a peer frame (receive_order step 3): kind peer (BAD_KIND), and the
 * ciphertext of an envelope of a bucket size (BAD_LENGTH).
 */
export function checkPeerShape(f: Frame): void {
  if (f.kind !== FrameKind.peer) throw new OpenError('BAD_KIND', `kind ${f.kind} where a peer frame was expected`);
  if (!isBucketSize(f.payload.length - TAG_SIZE)) {
    throw new OpenError('BAD_LENGTH', `payload of ${f.payload.length} bytes is not a padded envelope`);
  }
}

/**
 * Opens a peer frame in the spec's receive order. Throws CodecError (frame does not decode),
 * OpenError UNKNOWN_SENDER (no candidate), BAD_KIND, BAD_LENGTH, BAD_SIGNATURE (no candidate's
 * signature verifies; BAD_KEY if every candidate's key is rejected), DECRYPT_FAILED, then
 * OpenError BAD_LENGTH or CodecError for the envelope.
 */
export async function openPeer<C extends PublicKeys>(args: OpenPeerArgs<C>): Promise<OpenedPeer<C>> {
  const { backend, me, candidates } = args;
  const f = args.frame instanceof Uint8Array ? decodeFrame(args.frame) : args.frame; // step 1
  if (candidates.length === 0) throw new OpenError('UNKNOWN_SENDER', 'the route does not unmask to a known contact'); // step 2
  checkPeerShape(f); // step 3
  // step 4: the first candidate whose signature verifies
  let sender: C | undefined;
  let keys: PairKeys | undefined;
  let badKeys = 0;
  for (const c of candidates) {
    let pair: PairKeys;
    try {
      pair = await (args.pairs ? args.pairs.get(c) : derivePairKeys(backend, me, c));
    } catch (e) {
      if (!isOpenError(e, 'BAD_KEY')) throw e;
      badKeys++;
      continue;
    }
    const message = signatureMessagePeer(H, pair.recvBind, { senderX: c.x, recipientX: me.x, nonce: f.nonce, payload: f.payload });
    if (await backend.ed25519Verify(c.ed, message, f.sig)) {
      sender = c;
      keys = pair;
      break;
    }
  }
  if (sender === undefined || keys === undefined) {
    if (badKeys === candidates.length) throw new OpenError('BAD_KEY', 'every candidate contact has a rejected X25519 key');
    throw new OpenError('BAD_SIGNATURE', `no signature of ${candidates.length} candidate(s) verifies`);
  }
  // step 5
  const ad = peerAd({ senderX: sender.x, recipientX: me.x });
  const plaintext = await decrypt(backend, keys.recvKey, f.nonce, f.payload, ad);
  // step 6
  return { sender, envelope: decodeEnvelopeChecked(plaintext), plaintext };
}

/** AEAD open, mapping an authentication failure to OpenError DECRYPT_FAILED. */
export async function decrypt(backend: CryptoBackend, key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Promise<Uint8Array> {
  try {
    return await backend.xchachaOpen(key, nonce, ciphertext, ad);
  } catch (e) {
    if (isCryptoError(e, 'DECRYPT_FAILED')) throw new OpenError('DECRYPT_FAILED', 'the AEAD does not open', { cause: e });
    throw e;
  }
}
