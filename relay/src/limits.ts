/**
 * Every bound the relay enforces, with the reason it exists. Defaults come from the spec
 * (`spec/protocol.yaml` constants, imported from @parley/generated); the few bounds the spec
 * does not name are relay-local and marked so. An operator may override any of them
 * (config.ts); `validateLimits` rejects combinations that cannot work.
 */
import {
  BYTE_BURST,
  BYTE_RATE_PER_SECOND,
  FRAME_BURST,
  FRAME_RATE_PER_SECOND,
  HANDSHAKES_PER_ADDRESS_PER_MINUTE,
  HANDSHAKE_TIMEOUT_MS,
  IDLE_TIMEOUT_MS,
  MAILBOX_GLOBAL_MAX_BYTES,
  MAILBOX_IDENTITY_MAX_BYTES,
  MAILBOX_SOURCE_MAX_BYTES,
  MAILBOX_STRANGER_SHARE_DIVISOR,
  MAILBOX_TOKENS_PER_SESSION,
  MAILBOX_MAX_BYTES,
  MAILBOX_MAX_FRAMES,
  MAILBOX_SENDER_SHARE_DIVISOR,
  MAILBOX_TTL_MS,
  MAX_CONNECTIONS_PER_ADDRESS,
  MAX_FRAME_SIZE,
  MAX_KEYPAIRS_PER_ID,
  MIN_FRAME_SIZE,
  PING_INTERVAL_MS,
  RINGS_PER_MINUTE,
  SEND_BUFFER_MAX_BYTES,
  TURN_CREDENTIAL_TTL_S,
  TURN_REQUESTS_PER_ADDRESS_PER_MINUTE,
  TURN_REQUESTS_PER_MINUTE,
  WAKE_MIN_INTERVAL_MS,
} from '@parley/generated';

export interface Limits {
  /** Largest frame accepted (ws maxPayload): bounds per-frame memory and the cost of a flood. */
  maxFrameSize: number;
  /** Frames per second per connection (token bucket refill): one client cannot starve others. */
  frameRate: number;
  /** Frame token bucket size per connection: allows bursts (mailbox resends) within the rate. */
  frameBurst: number;
  /** Bytes per second per connection (token bucket refill). */
  byteRate: number;
  /** Byte token bucket size per connection. */
  byteBurst: number;
  /** Unsent bytes to one client before it is dropped as a slow reader: bounds memory per connection. */
  sendBufferMaxBytes: number;
  /** CHALLENGE to HELLO: bounds half-open sessions. */
  handshakeTimeoutMs: number;
  /** WebSocket ping interval. */
  pingIntervalMs: number;
  /** A connection silent this long (no pong, no frame) is closed: frees dead sockets. */
  idleTimeoutMs: number;
  /** Simultaneous connections from one address: one host cannot take every socket. */
  maxConnectionsPerAddress: number;
  /** Handshakes started from one address per minute: handshakes cost curve operations. */
  handshakesPerAddressPerMinute: number;
  /** Relay-local: simultaneous connections in total, so memory stays bounded under any input. Counted at accept time, kept below the descriptor limit by `fdReserve`. */
  maxConnections: number;
  /** Relay-local: descriptors kept free below the process's limit (files, the metrics listener, the next accept): silent sockets can never take the last one. */
  fdReserve: number;
  /** Relay-local: accepted sockets that have not completed an HTTP request or the upgrade; the oldest makes room for a new one, so silent sockets cannot lock new clients out. */
  maxPendingConnections: number;
  /** Relay-local: accept (or a response on a kept-alive connection) to a complete HTTP request or WebSocket upgrade; a socket silent longer is destroyed (it held a descriptor for nothing). */
  pendingTimeoutMs: number;
  /** Distinct key pairs bound to one id (ids can be ground; frames go to each holder). */
  maxKeypairsPerId: number;
  /** Frames held for one offline id. */
  mailboxMaxFrames: number;
  /** Bytes held for one offline id. */
  mailboxMaxBytes: number;
  /** Age at which a queued frame is dropped. */
  mailboxTtlMs: number;
  /** Bytes held in all mailboxes. */
  mailboxGlobalMaxBytes: number;
  /** One sender holds at most 1/divisor of a recipient's mailbox. */
  mailboxSenderShareDivisor: number;
  /** Senders the recipient has not vouched for together hold at most 1/divisor of its mailbox: strangers cannot push out a contact's frames. */
  mailboxStrangerShareDivisor: number;
  /** Bytes (with the per-frame charge) one sender key pair holds across all mailboxes: one identity cannot fill the global cap. */
  mailboxIdentityMaxBytes: number;
  /** Bytes (with the per-frame charge) all senders from one source address (IPv4, IPv6 /64) hold across all mailboxes: fresh key pairs from one address cannot fill the global cap. */
  mailboxSourceMaxBytes: number;
  /** Relay-local: bytes charged per queued frame on top of its length, against every byte bound, measured as the real memory of a queued frame (test mailbox-memory): many tiny frames cannot exceed the caps in RSS. */
  mailboxEntryOverhead: number;
  /** Mailbox tokens checked per session (present_mailbox_tokens): bounds the vouched set a session holds. */
  mailboxTokensPerSession: number;
  /** Relay-local: mailbox secrets remembered (per key pair, for MAILBOX_TTL_MS after its last session); the oldest are forgotten beyond it. */
  maxMailboxSecrets: number;
  /** One wake per tag per interval (calls excepted: one per RING). */
  wakeMinIntervalMs: number;
  /** Relay-local: wake registrations remembered (id -> tag); the oldest are forgotten beyond it. */
  wakeMaxRegistrations: number;
  /** Relay-local: how long a registration outlives its connection, so an offline client can still be woken. */
  wakeRegistrationTtlMs: number;
  /** Lifetime of TURN credentials handed out. */
  turnCredentialTtlS: number;
  /** TURN credential requests per key pair per minute, across its connections (reconnecting does not reset it). */
  turnRequestsPerMinute: number;
  /** TURN credential requests per source address (IPv4, IPv6 /64) per minute: fresh key pairs do not multiply credentials. */
  turnRequestsPerAddressPerMinute: number;
  /** RING requests per connection per minute. */
  ringsPerMinute: number;
  /** Relay-local: control frames from one connection being verified at once; more is a flood. */
  maxPendingControl: number;
  /** Relay-local: how long a closing socket may take to flush its close frame before it is destroyed. */
  closeGraceMs: number;
  /** Relay-local: the retry delay a SHUTDOWN tells clients. */
  shutdownRetryAfterMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxFrameSize: MAX_FRAME_SIZE,
  frameRate: FRAME_RATE_PER_SECOND,
  frameBurst: FRAME_BURST,
  byteRate: BYTE_RATE_PER_SECOND,
  byteBurst: BYTE_BURST,
  sendBufferMaxBytes: SEND_BUFFER_MAX_BYTES,
  handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
  pingIntervalMs: PING_INTERVAL_MS,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  maxConnectionsPerAddress: MAX_CONNECTIONS_PER_ADDRESS,
  handshakesPerAddressPerMinute: HANDSHAKES_PER_ADDRESS_PER_MINUTE,
  maxConnections: 50_000,
  fdReserve: 128,
  maxPendingConnections: 4096,
  pendingTimeoutMs: 5_000,
  maxKeypairsPerId: MAX_KEYPAIRS_PER_ID,
  mailboxMaxFrames: MAILBOX_MAX_FRAMES,
  mailboxMaxBytes: MAILBOX_MAX_BYTES,
  mailboxTtlMs: MAILBOX_TTL_MS,
  mailboxGlobalMaxBytes: MAILBOX_GLOBAL_MAX_BYTES,
  mailboxSenderShareDivisor: MAILBOX_SENDER_SHARE_DIVISOR,
  mailboxStrangerShareDivisor: MAILBOX_STRANGER_SHARE_DIVISOR,
  mailboxIdentityMaxBytes: MAILBOX_IDENTITY_MAX_BYTES,
  mailboxSourceMaxBytes: MAILBOX_SOURCE_MAX_BYTES,
  mailboxEntryOverhead: 1024,
  mailboxTokensPerSession: MAILBOX_TOKENS_PER_SESSION,
  maxMailboxSecrets: 100_000,
  wakeMinIntervalMs: WAKE_MIN_INTERVAL_MS,
  wakeMaxRegistrations: 100_000,
  wakeRegistrationTtlMs: MAILBOX_TTL_MS,
  turnCredentialTtlS: TURN_CREDENTIAL_TTL_S,
  turnRequestsPerMinute: TURN_REQUESTS_PER_MINUTE,
  turnRequestsPerAddressPerMinute: TURN_REQUESTS_PER_ADDRESS_PER_MINUTE,
  ringsPerMinute: RINGS_PER_MINUTE,
  maxPendingControl: 32,
  closeGraceMs: 2_000,
  shutdownRetryAfterMs: 1_000,
});

/** Lower and upper bound of each limit; a value outside names the setting (config.ts). */
export const LIMIT_RANGES: { readonly [K in keyof Limits]: readonly [number, number] } = {
  maxFrameSize: [MIN_FRAME_SIZE, MAX_FRAME_SIZE],
  frameRate: [1, 0xffff_ffff],
  frameBurst: [1, Number.MAX_SAFE_INTEGER],
  byteRate: [1, 0xffff_ffff],
  byteBurst: [1, Number.MAX_SAFE_INTEGER],
  sendBufferMaxBytes: [1, Number.MAX_SAFE_INTEGER],
  handshakeTimeoutMs: [1, 3_600_000],
  pingIntervalMs: [1, 3_600_000],
  idleTimeoutMs: [1, 86_400_000],
  maxConnectionsPerAddress: [1, Number.MAX_SAFE_INTEGER],
  handshakesPerAddressPerMinute: [1, Number.MAX_SAFE_INTEGER],
  maxConnections: [1, Number.MAX_SAFE_INTEGER],
  fdReserve: [0, 1_000_000],
  maxPendingConnections: [1, Number.MAX_SAFE_INTEGER],
  pendingTimeoutMs: [1, 3_600_000],
  maxKeypairsPerId: [1, MAX_KEYPAIRS_PER_ID],
  mailboxMaxFrames: [0, MAILBOX_MAX_FRAMES],
  mailboxMaxBytes: [0, Number.MAX_SAFE_INTEGER],
  mailboxTtlMs: [1, Number.MAX_SAFE_INTEGER],
  mailboxGlobalMaxBytes: [0, Number.MAX_SAFE_INTEGER],
  mailboxSenderShareDivisor: [1, 1024],
  mailboxStrangerShareDivisor: [1, 1024],
  mailboxIdentityMaxBytes: [0, Number.MAX_SAFE_INTEGER],
  mailboxSourceMaxBytes: [0, Number.MAX_SAFE_INTEGER],
  mailboxEntryOverhead: [0, 65_536],
  mailboxTokensPerSession: [0, 1_000_000],
  maxMailboxSecrets: [0, Number.MAX_SAFE_INTEGER],
  wakeMinIntervalMs: [0, Number.MAX_SAFE_INTEGER],
  wakeMaxRegistrations: [0, Number.MAX_SAFE_INTEGER],
  wakeRegistrationTtlMs: [1, Number.MAX_SAFE_INTEGER],
  turnCredentialTtlS: [1, TURN_CREDENTIAL_TTL_S],
  turnRequestsPerMinute: [1, Number.MAX_SAFE_INTEGER],
  turnRequestsPerAddressPerMinute: [1, Number.MAX_SAFE_INTEGER],
  ringsPerMinute: [1, Number.MAX_SAFE_INTEGER],
  maxPendingControl: [1, 1024],
  closeGraceMs: [0, 60_000],
  shutdownRetryAfterMs: [0, 0xffff_ffff],
};

/** Checks combinations; throws RangeError naming the settings. */
export function validateLimits(l: Limits): void {
  for (const key of Object.keys(LIMIT_RANGES) as (keyof Limits)[]) {
    const [lo, hi] = LIMIT_RANGES[key];
    const v = l[key];
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${key} must be an integer in [${lo}, ${hi}], got ${v}`);
  }
  if (l.frameBurst < 1) throw new RangeError('frameBurst must allow at least one frame');
  if (l.byteBurst < l.maxFrameSize) {
    throw new RangeError(`byteBurst (${l.byteBurst}) must be at least maxFrameSize (${l.maxFrameSize}), or a full frame could never pass`);
  }
  if (l.idleTimeoutMs <= l.pingIntervalMs) {
    throw new RangeError(`idleTimeoutMs (${l.idleTimeoutMs}) must exceed pingIntervalMs (${l.pingIntervalMs}), or live clients would time out`);
  }
}
