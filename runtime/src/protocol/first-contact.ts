/**
 * First-contact frames (spec kinds.first_contact, structs.first_contact, regions fc_* and
 * gate_input, signatures.first_contact): a contact request to an invite's owner B from a sender
 * A that B does not know yet.
 *
 *   k_statics = DK(first contact statics, psk || X(e_A, B_x) || E_A || B_x)
 *   statics   = AEAD(k_statics, nonce, fc_statics_ad, A_x || A_ed)
 *   k_request = DK(first contact request, k_statics || K_pair)
 *   request   = AEAD(k_request, nonce, fc_request_ad, envelope carrying contact_request)
 *   gate_tag  = KH(gate key, gate_input)[0..GATE_TAG_SIZE]     covers everything after the tag
 *   sig       = Ed25519(A_ed, "parley v1 sig first contact" || KH(pair_bind(A→B), fc_signed))
 *
 * The recipient checks cheapest first: invite live, gate tag valid and unseen (a hash, no curve
 * operation, for anyone without s), sender keys, id matches the route, no existing contact with
 * that id and other keys, signature, then the request. Nothing is sent back automatically.
 */
import {
  FrameKind,
  ID_SIZE,
  KEY_SIZE,
  MessageType,
  NONCE_SIZE,
  TAG_SIZE,
  decodeFirstContact,
  decodeFirstContactStatics,
  decodeFrame,
  deriveFirstContactRequest,
  deriveFirstContactStatics,
  deriveGateTag,
  encodeFirstContact,
  encodeFirstContactStatics,
  fcRequestAd,
  fcStaticsAd,
  signatureMessageFirstContact,
  type ContactRequest,
  type Envelope,
  type FirstContact,
  type Frame,
  type Invite,
} from '@parley/generated';
import { ed25519PointAcceptable, x25519KeyProblem } from '../crypto/_rules.ts';
import { equalBytes, randomBytes, type CryptoBackend } from '../crypto/index.ts';
import { abytes } from './_assert.ts';
import { H } from './_blake3.ts';
import { decodeEnvelopeChecked, encodeEnvelopePadded, isBucketSize } from './envelope.ts';
import { OpenError } from './errors.ts';
import { buildFrame } from './frame.ts';
import { sameKeys, type Identity, type PublicIdentity, type PublicKeys } from './identity.ts';
import type { InviteBook } from './invite-book.ts';
import { inviteKeys, inviteOwner } from './invite.ts';
import { derivePairKeys, dh, wipePairKeys, type PairKeys } from './pair.ts';
import { decrypt } from './peer.ts';

export interface CreateFirstContactArgs {
  backend: CryptoBackend;
  sender: Identity;
  /** The parsed invite (parseInvite checked it). */
  invite: Invite;
  /** An envelope of type contact_request, or its padded encoding. */
  envelope: Envelope | Uint8Array;
  /** Inject only for vectors: the ephemeral X25519 secret e_A and the nonce. */
  ephemeralSecret?: Uint8Array;
  nonce?: Uint8Array;
}

/** Builds a first-contact frame (route zero: the session masks it for the invite owner's id). */
export async function createFirstContact(args: CreateFirstContactArgs): Promise<Uint8Array> {
  const { backend, sender, invite } = args;
  const plaintext = args.envelope instanceof Uint8Array ? args.envelope : encodeEnvelopePadded(args.envelope);
  if (!(args.envelope instanceof Uint8Array) && args.envelope.type !== MessageType.contactRequest) {
    throw new TypeError('a first-contact frame carries a contact_request envelope');
  }
  const recipient = inviteOwner(invite);
  const { inviteId, gateKey, psk } = inviteKeys(invite.secret);
  const eA = args.ephemeralSecret?.slice() ?? randomBytes(KEY_SIZE);
  const nonce = args.nonce === undefined ? randomBytes(NONCE_SIZE) : abytes(args.nonce, 'nonce', NONCE_SIZE);
  let dhE, kStatics, kRequest, pair: PairKeys | undefined;
  try {
    const senderEphemeral = await backend.x25519PublicKey(eA);
    dhE = await dh(backend, eA, recipient.x, "the invite owner's key");
    kStatics = deriveFirstContactStatics(H, { psk, dhE, senderEphemeral, recipientX: recipient.x });
    const statics = await backend.xchachaSeal(
      kStatics,
      nonce,
      encodeFirstContactStatics({ senderX: sender.x, senderEd: sender.ed }),
      fcStaticsAd({ recipientX: recipient.x, inviteId, senderEphemeral }),
    );
    pair = await derivePairKeys(backend, sender, recipient);
    kRequest = deriveFirstContactRequest(H, { kStatics, pairKey: pair.pairKey });
    const request = await backend.xchachaSeal(
      kRequest,
      nonce,
      plaintext,
      fcRequestAd({ senderX: sender.x, recipientX: recipient.x, inviteId, senderEphemeral }),
    );
    const gateTag = deriveGateTag(H, gateKey, { nonce, inviteId, senderEphemeral, statics, request });
    const payload = encodeFirstContact({ inviteId, gateTag, senderEphemeral, statics, request });
    const message = signatureMessageFirstContact(H, pair.sendBind, { senderX: sender.x, recipientX: recipient.x, nonce, payload });
    const sig = await backend.ed25519Sign(sender.edSeed, message);
    return buildFrame({ nonce, kind: FrameKind.firstContact, payload, sig });
  } finally {
    for (const a of [eA, dhE, kStatics, kRequest, gateKey, psk]) a?.fill(0);
    if (pair) wipePairKeys(pair);
  }
}

export interface OpenFirstContactArgs {
  backend: CryptoBackend;
  /** The invite owner (the recipient). */
  me: Identity;
  /** Our invites. A successful open records one use and the gate tag. */
  book: InviteBook;
  /** The frame as received. */
  frame: Uint8Array | Frame;
  /** The sender id the route unmasked to (IncomingRoute.id). */
  routeId: Uint8Array;
  /** Existing contacts whose id is `routeId` (for KEY_CONFLICT). */
  contactsWithId: readonly PublicKeys[];
  /** Clock, ms (default Date.now()). */
  now?: number;
}

export interface OpenedFirstContact {
  /** The sender's keys and id, proven by the signature. */
  sender: PublicIdentity;
  envelope: Envelope;
  request: ContactRequest;
  inviteId: Uint8Array;
}

/**
 * A first-contact frame and its payload, decoded (steps 1-2 of the first-contact order, shared by
 * the v1 and v2 openers). Throws CodecError (frame), OpenError BAD_KIND, BAD_LENGTH (payload).
 */
export function decodeFirstContactFrame(frame: Uint8Array | Frame): { f: Frame; fc: FirstContact } {
  const f = frame instanceof Uint8Array ? decodeFrame(frame) : frame;
  if (f.kind !== FrameKind.firstContact) throw new OpenError('BAD_KIND', `kind ${f.kind} where a first-contact frame was expected`);
  try {
    return { f, fc: decodeFirstContact(f.payload) };
  } catch (cause) {
    throw new OpenError('BAD_LENGTH', 'the first-contact payload does not decode', { cause });
  }
}

/**
 * Opens a first-contact frame. Throws CodecError (frame), OpenError BAD_KIND, BAD_LENGTH,
 * BAD_INVITE (with reason), GATE_FAILED, BAD_KEY, DECRYPT_FAILED (statics), UNKNOWN_SENDER (the
 * sender's id is not the route's), KEY_CONFLICT, BAD_SIGNATURE, DECRYPT_FAILED (request),
 * BAD_LENGTH/CodecError (envelope), BAD_MESSAGE (not a contact_request).
 */
export async function openFirstContact(args: OpenFirstContactArgs): Promise<OpenedFirstContact> {
  const { backend, me, book } = args;
  const now = args.now ?? Date.now();
  const { f, fc } = decodeFirstContactFrame(args.frame);
  if (!isBucketSize(fc.request.length - TAG_SIZE)) throw new OpenError('BAD_LENGTH', `request of ${fc.request.length} bytes is not a padded envelope`);
  // 1. invite live
  const rec = book.checkLive(fc.inviteId, now);
  // 2. gate tag valid and unseen: one keyed hash, no curve operation
  const { inviteId, senderEphemeral, statics, request } = fc;
  const expected = deriveGateTag(H, rec.keys.gateKey, { nonce: f.nonce, inviteId, senderEphemeral, statics, request });
  if (!equalBytes(expected, fc.gateTag)) throw new OpenError('GATE_FAILED', 'the gate tag is wrong (the sender does not hold the invite secret)');
  if (book.tagSeen(rec, fc.gateTag)) throw new OpenError('GATE_FAILED', 'the gate tag was already used');
  // 3. sender keys
  let dhE, kStatics, kRequest, pair: PairKeys | undefined;
  try {
    dhE = await dh(backend, me.xSecret, senderEphemeral, "the sender's ephemeral");
    kStatics = deriveFirstContactStatics(H, { psk: rec.keys.psk, dhE, senderEphemeral, recipientX: me.x });
    const staticsPlain = await decrypt(backend, kStatics, f.nonce, statics, fcStaticsAd({ recipientX: me.x, inviteId, senderEphemeral }));
    const s = decodeFirstContactStatics(staticsPlain);
    if (x25519KeyProblem(s.senderX) !== null) throw new OpenError('BAD_KEY', "the sender's X25519 key is non-canonical or of low order");
    if (!ed25519PointAcceptable(s.senderEd, 0)) throw new OpenError('BAD_KEY', "the sender's Ed25519 key is non-canonical or of small order");
    const sender: PublicKeys = { x: s.senderX.slice(), ed: s.senderEd.slice() };
    // 4. the id matches the route
    if (!equalBytes(sender.x.subarray(0, ID_SIZE), abytes(args.routeId, 'routeId', ID_SIZE))) {
      throw new OpenError('UNKNOWN_SENDER', "the route does not unmask to the sender's id");
    }
    // 5. no existing contact with that id and other keys
    if (args.contactsWithId.some((c) => !sameKeys(c, sender))) {
      throw new OpenError('KEY_CONFLICT', "the sender's id belongs to a contact with other keys");
    }
    // 6. signature
    pair = await derivePairKeys(backend, me, sender);
    const message = signatureMessageFirstContact(H, pair.recvBind, { senderX: sender.x, recipientX: me.x, nonce: f.nonce, payload: f.payload });
    if (!(await backend.ed25519Verify(sender.ed, message, f.sig))) throw new OpenError('BAD_SIGNATURE', 'the first-contact signature does not verify');
    // 7. the request
    kRequest = deriveFirstContactRequest(H, { kStatics, pairKey: pair.pairKey });
    const plain = await decrypt(backend, kRequest, f.nonce, request, fcRequestAd({ senderX: sender.x, recipientX: me.x, inviteId, senderEphemeral }));
    const envelope = decodeEnvelopeChecked(plain);
    if (envelope.type !== MessageType.contactRequest) throw new OpenError('BAD_MESSAGE', 'a first-contact frame must carry a contact_request');
    book.recordUse(rec, fc.gateTag, now);
    return { sender: { ...sender, id: sender.x.slice(0, ID_SIZE) }, envelope, request: envelope.body, inviteId: inviteId.slice() };
  } finally {
    for (const a of [dhE, kStatics, kRequest]) a?.fill(0);
    if (pair) wipePairKeys(pair);
  }
}
