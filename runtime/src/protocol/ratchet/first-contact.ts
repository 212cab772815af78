/**
 * v2 first contact (spec structs.first_contact on a v2 invite): the frame and its checks are
 * v1's (gate tag, statics, signature: first-contact.ts), but the request is a ratchet payload,
 * message 0 of the sender's first chain, from
 *
 *   RK0 = session_root(X(a,B), X(e_A,B), X(a,E_B), X(e_A,E_B), A, B)     (start.ts)
 *
 * with E_A the frame's sender_ephemeral and E_B the invite's owner_ephemeral. So the contact
 * request already has forward secrecy (e_A is erased by the sender, e_B by the owner when the
 * invite is used up or expires) and both sides leave with a v2 session: the sender as A (it can
 * send at once), the owner as B (it sends after the first message, which is this one).
 */
import {
  FrameKind,
  ID_SIZE,
  KEY_SIZE,
  MessageType,
  NONCE_SIZE,
  TAG_SIZE,
  decodeFirstContactStatics,
  decodeRatchet,
  deriveFirstContactStatics,
  deriveGateTag,
  encodeFirstContact,
  encodeFirstContactStatics,
  fcStaticsAd,
  signatureMessageFirstContact,
  type ContactRequest,
  type Envelope,
  type Frame,
} from '@parley/generated';
import { ed25519PointAcceptable, x25519KeyProblem } from '../../crypto/_rules.ts';
import { equalBytes } from '../../crypto/index.ts';
import { abytes } from '../_assert.ts';
import { H } from '../_blake3.ts';
import { OpenError } from '../errors.ts';
import { buildFrame } from '../frame.ts';
import { sameKeys, type Identity, type PublicIdentity, type PublicKeys } from '../identity.ts';
import type { InviteBook } from '../invite-book.ts';
import { decodeFirstContactFrame } from '../first-contact.ts';
import { inviteKeys } from '../invite.ts';
import { derivePairKeys, dh, wipePairKeys, type PairKeys } from '../pair.ts';
import { decrypt } from '../peer.ts';
import { rand, type RatchetDeps } from './deps.ts';
import { ratchetOpen, ratchetSeal } from './double-ratchet.ts';
import { decodeEnvelopeRatchet, encodeEnvelopeRatchet, isRatchetBucketSize } from './envelope.ts';
import { RatchetError } from './errors.ts';
import type { InviteV2 } from './invite-v2.ts';
import { startAsA, startAsB, type Ephemeral } from './start.ts';
import type { RatchetState } from './state.ts';

export interface CreateFirstContactV2Args {
  deps: RatchetDeps;
  sender: Identity;
  invite: InviteV2;
  /** An envelope of type contact_request. */
  envelope: Envelope;
}

/** The first-contact frame (route zero) and the sender's new session (it is A). */
export async function createFirstContactV2(args: CreateFirstContactV2Args): Promise<{ frame: Uint8Array; state: RatchetState }> {
  const { deps, sender, invite, envelope } = args;
  if (envelope.type !== MessageType.contactRequest) throw new TypeError('a first-contact frame carries a contact_request envelope');
  const owner: PublicKeys = { x: invite.ownerX, ed: invite.ownerEd };
  const { inviteId, gateKey, psk } = inviteKeys(invite.secret);
  const eA: Ephemeral = { secret: rand(deps, KEY_SIZE), publicKey: new Uint8Array(0) };
  const nonce = rand(deps, NONCE_SIZE);
  let dhE: Uint8Array | undefined, kStatics: Uint8Array | undefined, pair: PairKeys | undefined;
  try {
    eA.publicKey = await deps.backend.x25519PublicKey(eA.secret);
    const senderEphemeral = eA.publicKey;
    dhE = await dh(deps.backend, eA.secret, owner.x, "the invite owner's key");
    kStatics = deriveFirstContactStatics(H, { psk, dhE, senderEphemeral, recipientX: owner.x });
    const statics = await deps.backend.xchachaSeal(kStatics, nonce, encodeFirstContactStatics({ senderX: sender.x, senderEd: sender.ed }), fcStaticsAd({ recipientX: owner.x, inviteId, senderEphemeral }));
    const start = await startAsA(deps, sender, eA, owner, invite.ownerEphemeral, envelope.sentAt);
    const sealed = await ratchetSeal(deps, start, encodeEnvelopeRatchet(envelope), { senderX: sender.x, recipientX: owner.x }, nonce);
    const request = sealed.payload;
    const gateTag = deriveGateTag(H, gateKey, { nonce, inviteId, senderEphemeral, statics, request });
    const payload = encodeFirstContact({ inviteId, gateTag, senderEphemeral, statics, request });
    pair = await derivePairKeys(deps.backend, sender, owner);
    const sig = await deps.backend.ed25519Sign(sender.edSeed, signatureMessageFirstContact(H, pair.sendBind, { senderX: sender.x, recipientX: owner.x, nonce, payload }));
    return { frame: buildFrame({ nonce, kind: FrameKind.firstContact, payload, sig }), state: sealed.state };
  } finally {
    for (const a of [eA.secret, dhE, kStatics, gateKey, psk]) a?.fill(0);
    if (pair) wipePairKeys(pair);
  }
}

export interface OpenFirstContactV2Args {
  deps: RatchetDeps;
  me: Identity;
  book: InviteBook;
  /** e_B of the invite the frame names (the owner keeps it with the invite). */
  ephemeralOf: (inviteId: Uint8Array) => Ephemeral | undefined;
  frame: Uint8Array | Frame;
  routeId: Uint8Array;
  contactsWithId: readonly PublicKeys[];
  now?: number;
}

export interface OpenedFirstContactV2 {
  sender: PublicIdentity;
  envelope: Envelope;
  request: ContactRequest;
  inviteId: Uint8Array;
  /** The owner's new session with the sender (it is B). */
  state: RatchetState;
}

/**
 * Opens a first contact on a v2 invite, in the spec's first-contact order (first-contact.ts),
 * with the request opened as the first ratchet message. Throws as openFirstContact does, plus
 * RatchetError DOWNGRADE if the invite has no ephemeral (not a v2 invite) and the ratchet's codes.
 */
export async function openFirstContactV2(args: OpenFirstContactV2Args): Promise<OpenedFirstContactV2> {
  const { deps, me, book } = args;
  const now = args.now ?? Date.now();
  const { f, fc } = decodeFirstContactFrame(args.frame);
  let body: Uint8Array;
  try {
    body = decodeRatchet(fc.request).body;
  } catch (cause) {
    throw new RatchetError('DOWNGRADE', 'a first contact on a v2 invite whose request is not a ratchet message', { cause });
  }
  if (!isRatchetBucketSize(body.length - TAG_SIZE)) throw new OpenError('BAD_LENGTH', `request body of ${body.length} bytes is not a padded v2 envelope`);
  const rec = book.checkLive(fc.inviteId, now);
  const { inviteId, senderEphemeral, statics, request } = fc;
  const expected = deriveGateTag(H, rec.keys.gateKey, { nonce: f.nonce, inviteId, senderEphemeral, statics, request });
  if (!equalBytes(expected, fc.gateTag)) throw new OpenError('GATE_FAILED', 'the gate tag is wrong (the sender does not hold the invite secret)');
  if (book.tagSeen(rec, fc.gateTag)) throw new OpenError('GATE_FAILED', 'the gate tag was already used');
  const eB = args.ephemeralOf(inviteId);
  if (eB === undefined) throw new OpenError('BAD_INVITE', 'no v2 ephemeral is kept for this invite', { reason: 'UNKNOWN' });
  let dhE: Uint8Array | undefined, kStatics: Uint8Array | undefined, pair: PairKeys | undefined;
  try {
    dhE = await dh(deps.backend, me.xSecret, senderEphemeral, "the sender's ephemeral");
    kStatics = deriveFirstContactStatics(H, { psk: rec.keys.psk, dhE, senderEphemeral, recipientX: me.x });
    const s = decodeFirstContactStatics(await decrypt(deps.backend, kStatics, f.nonce, statics, fcStaticsAd({ recipientX: me.x, inviteId, senderEphemeral })));
    if (x25519KeyProblem(s.senderX) !== null) throw new OpenError('BAD_KEY', "the sender's X25519 key is non-canonical or of low order");
    if (!ed25519PointAcceptable(s.senderEd, 0)) throw new OpenError('BAD_KEY', "the sender's Ed25519 key is non-canonical or of small order");
    const sender: PublicKeys = { x: s.senderX.slice(), ed: s.senderEd.slice() };
    if (!equalBytes(sender.x.subarray(0, ID_SIZE), abytes(args.routeId, 'routeId', ID_SIZE))) throw new OpenError('UNKNOWN_SENDER', "the route does not unmask to the sender's id");
    if (args.contactsWithId.some((c) => !sameKeys(c, sender))) throw new OpenError('KEY_CONFLICT', "the sender's id belongs to a contact with other keys");
    pair = await derivePairKeys(deps.backend, me, sender);
    const message = signatureMessageFirstContact(H, pair.recvBind, { senderX: sender.x, recipientX: me.x, nonce: f.nonce, payload: f.payload });
    if (!(await deps.backend.ed25519Verify(sender.ed, message, f.sig))) throw new OpenError('BAD_SIGNATURE', 'the first-contact signature does not verify');
    const start = await startAsB(deps, me, eB, sender, senderEphemeral, 0);
    const opened = await ratchetOpen(deps, start, request, { senderX: sender.x, recipientX: me.x }, f.nonce);
    const envelope = decodeEnvelopeRatchet(opened.plaintext);
    if (envelope.type !== MessageType.contactRequest) throw new OpenError('BAD_MESSAGE', 'a first-contact frame must carry a contact_request');
    opened.state.startedAt = envelope.sentAt;
    book.recordUse(rec, fc.gateTag, now);
    return { sender: { ...sender, id: sender.x.slice(0, ID_SIZE) }, envelope, request: envelope.body, inviteId: inviteId.slice(), state: opened.state };
  } finally {
    for (const a of [dhE, kStatics]) a?.fill(0);
    if (pair) wipePairKeys(pair);
  }
}
