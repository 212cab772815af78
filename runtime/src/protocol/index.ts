/**
 * The protocol layer of @parley/runtime: identities, pair keys, route masking, the handshake
 * state machines, sessions, peer and control frames, envelopes, the replay window, invites,
 * first contact and safety numbers. Every byte layout comes from @parley/generated.
 * Browser-safe: Node-only key files live in ../node/.
 */
export { OpenError, HandshakeError, isOpenError, isHandshakeError } from './errors.ts';
export type { OpenErrorCode, HandshakeErrorCode, HandshakeFailReason, InviteFailReason } from './errors.ts';

export {
  identityFromSeed,
  generateIdentity,
  exportIdentity,
  importIdentity,
  destroyIdentity,
  publicIdentity,
  sameKeys,
  idOf,
  idHex,
} from './identity.ts';
export type { Identity, IdentityJSON, PublicIdentity, PublicKeys } from './identity.ts';

export { PairCache, PAIR_CACHE_SIZE, derivePairKey, derivePairKeys, directionKeys, compareBytes, orderParties, wipePairKeys } from './pair.ts';
export type { PairKeys } from './pair.ts';

export { RouteDirection, copyRouteId, routeIsZero } from './route.ts';
export { FRAME_KIND_OFFSET, FRAME_NONCE_OFFSET, FRAME_PAYLOAD_OFFSET, FRAME_ROUTE_OFFSET, FRAME_SIG_SIZE, buildFrame, frameLengthOk } from './frame.ts';
export type { SessionKind } from './frame.ts';

export { ClientHandshake } from './handshake-client.ts';
export type { ClientHandshakeOptions } from './handshake-client.ts';
export { RelayHandshake, DEFAULT_WELCOME_LIMITS } from './handshake-relay.ts';
export { ChallengeEpochs, ChallengeEpoch } from './handshake-epoch.ts';
export type { ChallengeEpochsOptions } from './handshake-epoch.ts';
export type { RelayHandshakeOptions, HelloResult, WelcomeLimits } from './handshake-relay.ts';
export { deriveSessionKeys, destroySessionKeys } from './handshake.ts';
export type { HandshakeOptions, SessionKeys, Transcript } from './handshake.ts';

export { ClientSession, RelaySession, unmaskFrame } from './session.ts';
export type { IncomingRoute } from './session.ts';
export { sealControlFrame, openControlFrame } from './control.ts';
export type { DirectionCode, OpenControlArgs, SealControlArgs } from './control.ts';

export { sealPeer, openPeer, checkPeerShape } from './peer.ts';
export type { OpenPeerArgs, OpenedPeer, SealPeerArgs } from './peer.ts';
export { PAD_BUCKETS, isBucketSize, padBucket, makeEnvelope, encodeEnvelopePadded, decodeEnvelopeChecked } from './envelope.ts';
export type { EnvelopeInput, EnvelopeOptions } from './envelope.ts';

export { ReplayWindow } from './replay.ts';
export type { ReplayVerdict, ReplayWindowJSON, ReplayWindowOptions } from './replay.ts';

export {
  INVITE_LINK_FRAGMENT,
  INVITE_URI_PREFIX,
  createInvite,
  encodeInviteBytes,
  inviteKeys,
  inviteLink,
  inviteOwner,
  inviteQr,
  inviteToText,
  inviteUri,
  parseInvite,
} from './invite.ts';
export type { CreateInviteArgs, InviteKeys } from './invite.ts';
export { parseAnyInvite } from './invite-any.ts';
export { InviteBook } from './invite-book.ts';
export { InviteProblemError, inviteProblemOf, inviteProblemText } from './invite-words.ts';
export type { InviteProblem } from './invite-words.ts';
export type { InviteBookJSON, InviteRecord } from './invite-book.ts';
export { createFirstContact, openFirstContact } from './first-contact.ts';
export type { CreateFirstContactArgs, OpenFirstContactArgs, OpenedFirstContact } from './first-contact.ts';

export { safetyNumber, safetyNumberGroups, safetyNumbersEqual, safetyQr, verifySafetyQr } from './safety.ts';
export { relayFingerprint } from './relay-fingerprint.ts';
export { WellKnownError, buildWellKnown, isWellKnownError, parseWellKnown } from './well-known.ts';
export type { WellKnownDocument, WellKnownErrorCode, WellKnownRelay } from './well-known.ts';
export { mailboxToken, mailboxTokenKey, mailboxTokensEqual } from './mailbox-token.ts';

export * from './ratchet/index.ts';
