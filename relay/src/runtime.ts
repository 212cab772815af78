/**
 * The one place the relay imports @parley/runtime: crypto helpers and the protocol layer.
 */
export {
  RouteKeystream,
  keyedHash,
  hash,
  pickBackend,
  randomBytes,
  toHex,
  type CryptoBackend,
} from '@parley/runtime/crypto';
export {
  FRAME_KIND_OFFSET,
  FRAME_NONCE_OFFSET,
  ChallengeEpochs,
  RelayHandshake,
  RelaySession,
  buildWellKnown,
  identityFromSeed,
  isWellKnownError,
  mailboxToken,
  mailboxTokenKey,
  mailboxTokensEqual,
  relayFingerprint,
  type Identity,
  type WellKnownDocument,
} from '@parley/runtime/protocol';
