/**
 * v2 sessions: the post-quantum hybrid double ratchet (spec SESSION_VERSION, kinds.ratchet,
 * structs ratchet, ratchet_header, ratchet_state, session_control).
 */
export { RatchetError, isRatchetError } from './errors.ts';
export type { RatchetErrorCode } from './errors.ts';
export type { RatchetDeps } from './deps.ts';
export { kdfRoot, kdfChain, kdfSessionStart } from './kdf.ts';
export { loadKem, kemPublicKey, kemEncapsulate, kemDecapsulate } from './kem.ts';
export { cloneState, shareState, wipeState, supersedeState, discardState, serializeState, parseState, protectionOf } from './state.ts';
export type { RatchetState, SessionProtection } from './state.ts';
export { ratchetSeal, ratchetOpen } from './double-ratchet.ts';
export type { OpenStep, Opened, Sealed, RatchetParties } from './double-ratchet.ts';
export { newEphemeral, startAsA, startAsB } from './start.ts';
export type { Ephemeral } from './start.ts';
export { RATCHET_PAD_BUCKETS, isRatchetBucketSize, encodeEnvelopeRatchet, decodeEnvelopeRatchet } from './envelope.ts';
export { sealRatchetFrame, openRatchetFrame, checkRatchetShape } from './frame.ts';
export type { SealRatchetArgs, OpenRatchetArgs, OpenedRatchet, RatchetCandidate } from './frame.ts';
export { createOffer, answerOffer, acceptAnswer, checkV1Message } from './control.ts';
export type { AnswerResult, ControlEnvelope, PendingOffer, SessionPolicyState } from './control.ts';
export { createInviteV2, encodeInviteV2Bytes, inviteV2ToText, parseInviteV2, inviteFields } from './invite-v2.ts';
export type { InviteV2 } from './invite-v2.ts';
export { createFirstContactV2, openFirstContactV2 } from './first-contact.ts';
export type { CreateFirstContactV2Args, OpenFirstContactV2Args, OpenedFirstContactV2 } from './first-contact.ts';
