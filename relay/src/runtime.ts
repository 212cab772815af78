/**
 * The one place the relay imports @parley/runtime: crypto helpers and the protocol layer.
 */
export {
  RouteKeystream,
  blake3KeyWords,
  keyedHashShort,
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
  FRAME_ROUTE_OFFSET,
  RelayHandshake,
  destroySessionKeys,
  frameLengthOk,
  identityFromSeed,
  openControlFrame,
  routeIsZero,
  sealControlFrame,
  type Identity,
  type SessionKeys,
} from '@parley/runtime/protocol';
