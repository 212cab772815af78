/**
 * The one place the relay imports the spec's generated constants and enums. Offsets used
 * on the hot path come from the generated frame layout, never written as numbers.
 */
import {
  CloseCode,
  FrameKind,
  ID_SIZE,
  KEY_SIZE,
  KIND_SIZE,
  MAX_FRAME_SIZE,
  MAX_RELAY_ENDPOINTS,
  MAX_TURN_FIELD_BYTES,
  MAX_TURN_URLS,
  MAX_URL_BYTES,
  MIN_FRAME_SIZE,
  NONCE_SIZE,
  NOTIFIER_JSON_PATH,
  PROTOCOL_VERSION,
  ROUTE_SIZE,
  SEED_SIZE,
  SIG_SIZE,
  WAKE_TAG_SIZE,
  WELL_KNOWN_PATH,
  WELL_KNOWN_PROTOCOL,
  ControlType,
} from '@parley/generated';
import { FRAME_KIND_OFFSET, FRAME_NONCE_OFFSET } from './runtime.ts';

export {
  ID_SIZE,
  KEY_SIZE,
  KIND_SIZE,
  MAX_FRAME_SIZE,
  MAX_RELAY_ENDPOINTS,
  MAX_TURN_FIELD_BYTES,
  MAX_TURN_URLS,
  MAX_URL_BYTES,
  MIN_FRAME_SIZE,
  NONCE_SIZE,
  NOTIFIER_JSON_PATH,
  PROTOCOL_VERSION,
  ROUTE_SIZE,
  SEED_SIZE,
  SIG_SIZE,
  WAKE_TAG_SIZE,
  WELL_KNOWN_PATH,
  WELL_KNOWN_PROTOCOL,
};

/** Offset of the nonce in a frame (from the generated frame layout, via the runtime). */
export const NONCE_OFFSET = FRAME_NONCE_OFFSET;
/** Offset of the kind byte. */
export const KIND_OFFSET = FRAME_KIND_OFFSET;

export const KIND = {
  handshake: FrameKind.handshake,
  control: FrameKind.control,
  peer: FrameKind.peer,
  firstContact: FrameKind.firstContact,
} as const;

/** Control message type codes (spec enum control_type). */
export const CONTROL_CODE = {
  register_wake: ControlType.registerWake,
  turn_request: ControlType.turnRequest,
  ring: ControlType.ring,
  bye: ControlType.bye,
  register_mailbox_secret: ControlType.registerMailboxSecret,
  present_mailbox_tokens: ControlType.presentMailboxTokens,
} as const;

/** Close codes by name (spec enum close_code). */
export const CLOSE = {
  handshake_failed: CloseCode.handshakeFailed,
  malformed_frame: CloseCode.malformedFrame,
  rate_limited: CloseCode.rateLimited,
  too_large: CloseCode.tooLarge,
  replaced: CloseCode.replaced,
  idle_timeout: CloseCode.idleTimeout,
  slow_reader: CloseCode.slowReader,
  shutting_down: CloseCode.shuttingDown,
  too_many_connections: CloseCode.tooManyConnections,
  reconnect_elsewhere: CloseCode.reconnectElsewhere,
} as const;
export type CloseName = keyof typeof CLOSE;

/** The WebSocket close code of a normal close (RFC 6455 section 7.4.1), e.g. after BYE. */
export const WS_NORMAL_CLOSURE = 1000;
/** RFC 6455 codes `ws` closes with on protocol errors, mapped to the spec's codes (connection.ts). */
export const WS_ABNORMAL_CLOSURE = 1006;
export const WS_POLICY_VIOLATION = 1008;
export const WS_PROTOCOL_ERROR = 1002;
export const WS_INVALID_DATA = 1007;
export const WS_MESSAGE_TOO_BIG = 1009;
