/**
 * Session control (spec structs.session_control, message type `session`): how a v1 contact
 * upgrades to v2, and how a device that lost or restored its state starts a new session.
 * Control messages travel only in peer frames, signed by the sender's identity and encrypted
 * under the v1 pair keys, and pass the replay window there: neither the relay nor a stranger
 * can forge or replay one. This module decides what a received one may do:
 *
 * - upgrade: once. An offer from a contact that already has a v2 session is refused
 *   (UPGRADE_REFUSED); two crossing offers are settled by the X25519 keys (the lower key's
 *   offer stands, the other side answers it).
 * - reset: only newer than the session it replaces (sent_at > started_at) and at most once per
 *   SESSION_RESET_INTERVAL_MS per contact (RESET_REFUSED). The receiver starts a new session
 *   and shows a notice; so does the sender when the answer arrives.
 * - downgrade: once a ratchet message from the contact opened, its v1 peer frames carry only
 *   session control (DOWNGRADE).
 * - an offer is answered at most within SESSION_OFFER_TTL_MS; then its ephemeral is erased.
 */
import { MSG_ID_SIZE, MessageType, SESSION_OFFER_TTL_MS, SESSION_RESET_INTERVAL_MS, SessionOp, type SessionControl } from '@parley/generated';
import { equalBytes } from '../../crypto/index.ts';
import type { Identity, PublicKeys } from '../identity.ts';
import { compareBytes } from '../pair.ts';
import type { RatchetDeps } from './deps.ts';
import { RatchetError } from './errors.ts';
import { newEphemeral, startAsA, startAsB, type Ephemeral } from './start.ts';
import type { RatchetState } from './state.ts';

/** The envelope fields of a received or sent control message that the rules use. */
export interface ControlEnvelope {
  msgId: Uint8Array;
  sentAt: number;
}

/** An offer this side sent and keeps until it is answered or expires. Secret (the ephemeral). */
export interface PendingOffer {
  op: typeof SessionOp.upgradeOffer | typeof SessionOp.resetOffer;
  ephemeral: Ephemeral;
  msgId: Uint8Array;
  sentAt: number;
}

/** What this side knows about one contact's session, for the rules above. */
export interface SessionPolicyState {
  /** The current v2 session, if any. */
  session: RatchetState | undefined;
  /** This side's unanswered offer, if any. */
  pending: PendingOffer | undefined;
  /** When the last reset of this contact was accepted (ms), if ever. */
  lastResetAt: number | undefined;
}

/** Makes an offer (upgrade or reset): the body to send in a peer frame and what to keep. */
export async function createOffer(
  d: RatchetDeps,
  op: PendingOffer['op'],
  envelope: ControlEnvelope,
): Promise<{ body: SessionControl; pending: PendingOffer }> {
  const ephemeral = await newEphemeral(d);
  return {
    body: { op, ephemeral: ephemeral.publicKey.slice(), answers: new Uint8Array(MSG_ID_SIZE) },
    pending: { op, ephemeral, msgId: envelope.msgId.slice(), sentAt: envelope.sentAt },
  };
}

export interface AnswerResult {
  /** The answer's body (send it in a peer frame, then the first ratchet frame). */
  body: SessionControl;
  /** The new session (this side is A: it can send at once). */
  state: RatchetState;
  /** True for a reset: show the user that the contact's session was reset. */
  reset: boolean;
  /** True if this side's own crossing offer lost the tie-break and must be erased. */
  dropOwnOffer: boolean;
}

/**
 * Answers a received offer, or refuses it (UPGRADE_REFUSED, RESET_REFUSED). `now` is the
 * receiver's clock; the offer's envelope has passed the replay window.
 */
export async function answerOffer(
  d: RatchetDeps,
  me: Identity,
  them: PublicKeys,
  offer: SessionControl,
  envelope: ControlEnvelope,
  policy: SessionPolicyState,
  now: number,
): Promise<AnswerResult> {
  let dropOwnOffer = false;
  if (offer.op === SessionOp.upgradeOffer) {
    if (policy.session !== undefined) throw new RatchetError('UPGRADE_REFUSED', 'the contact is already at v2; an upgrade happens once');
    if (policy.pending?.op === SessionOp.upgradeOffer) {
      // Crossing offers: the lower X25519 key's offer stands.
      if (compareBytes(me.x, them.x) < 0) throw new RatchetError('UPGRADE_REFUSED', 'crossing upgrade offers: ours stands (lower key), the contact answers it');
      dropOwnOffer = true;
    }
  } else if (offer.op === SessionOp.resetOffer) {
    if (policy.session !== undefined && envelope.sentAt <= policy.session.startedAt) {
      throw new RatchetError('RESET_REFUSED', 'the reset is not newer than the current session');
    }
    if (policy.lastResetAt !== undefined && now - policy.lastResetAt < SESSION_RESET_INTERVAL_MS) {
      throw new RatchetError('RESET_REFUSED', `a reset was accepted less than ${SESSION_RESET_INTERVAL_MS} ms ago`);
    }
    if (policy.pending?.op === SessionOp.resetOffer) {
      if (compareBytes(me.x, them.x) < 0) throw new RatchetError('RESET_REFUSED', 'crossing reset offers: ours stands (lower key), the contact answers it');
      dropOwnOffer = true;
    }
  } else {
    throw new RatchetError(offer.op === SessionOp.upgradeAnswer ? 'UPGRADE_REFUSED' : 'RESET_REFUSED', 'an answer where an offer was expected');
  }
  const mine = await newEphemeral(d);
  try {
    const state = await startAsA(d, me, mine, them, offer.ephemeral, envelope.sentAt);
    const op = offer.op === SessionOp.upgradeOffer ? SessionOp.upgradeAnswer : SessionOp.resetAnswer;
    return { body: { op, ephemeral: mine.publicKey.slice(), answers: envelope.msgId.slice() }, state, reset: offer.op === SessionOp.resetOffer, dropOwnOffer };
  } finally {
    mine.secret.fill(0);
  }
}

/**
 * Takes a received answer to this side's pending offer: the new session (this side is B; it
 * sends after the contact's first ratchet frame). Refused if it answers no pending offer, the
 * wrong kind of offer, or one older than SESSION_OFFER_TTL_MS.
 */
export async function acceptAnswer(
  d: RatchetDeps,
  me: Identity,
  them: PublicKeys,
  answer: SessionControl,
  policy: SessionPolicyState,
  now: number,
): Promise<{ state: RatchetState; reset: boolean }> {
  const isUpgrade = answer.op === SessionOp.upgradeAnswer;
  const code = isUpgrade ? 'UPGRADE_REFUSED' : 'RESET_REFUSED';
  if (answer.op !== SessionOp.upgradeAnswer && answer.op !== SessionOp.resetAnswer) throw new RatchetError(code, 'an offer where an answer was expected');
  const p = policy.pending;
  const wanted = isUpgrade ? SessionOp.upgradeOffer : SessionOp.resetOffer;
  if (p === undefined || p.op !== wanted || !equalBytes(p.msgId, answer.answers)) throw new RatchetError(code, 'the answer matches no pending offer');
  if (now - p.sentAt > SESSION_OFFER_TTL_MS) throw new RatchetError(code, 'the offer it answers expired');
  if (isUpgrade && policy.session !== undefined) throw new RatchetError('UPGRADE_REFUSED', 'the contact is already at v2');
  const state = await startAsB(d, me, p.ephemeral, them, answer.ephemeral, p.sentAt);
  p.ephemeral.secret.fill(0);
  return { state, reset: !isUpgrade };
}

/**
 * Downgrade rule for a v1 peer frame from a contact: once its first ratchet message opened,
 * only session control may still come in v1 (DOWNGRADE).
 */
export function checkV1Message(session: RatchetState | undefined, type: number): void {
  if (session !== undefined && session.peerSeen === 1 && type !== MessageType.session) {
    throw new RatchetError('DOWNGRADE', 'a v1 peer frame from a contact whose v2 session is running');
  }
}
