/**
 * What the relay needs from the protocol layer, as small interfaces: the relay's side of the
 * handshake and a session's keys. `protocol.ts` implements them on @parley/runtime's protocol
 * layer; tests and the rest of the relay see only these.
 */
/** A control message from a client, as the relay acts on it. */
export type ControlIn =
  | { type: 'register_wake'; tag: Uint8Array }
  | { type: 'turn_request' }
  | { type: 'ring'; recipient: Uint8Array }
  | { type: 'bye' }
  | { type: 'register_mailbox_secret'; secret: Uint8Array }
  | { type: 'present_mailbox_tokens'; tokens: { recipient: Uint8Array; token: Uint8Array }[] }
  /** A relay-to-client type sent by a client: answered with relay_error bad_request. */
  | { type: 'wrong_direction'; code: number };

/** A control message the relay sends. */
export type ControlOut =
  | { type: 'wake'; tag: Uint8Array; reason: 'message' | 'call' }
  | { type: 'turn_credentials'; username: string; password: string; ttlSeconds: number; urls: string[] }
  | { type: 'shutdown'; reason: 'maintenance' | 'overload'; retryAfterMs: number }
  | { type: 'error'; code: 'rate_limited' | 'unavailable' | 'bad_request'; request: number }
  | { type: 'mailbox_drained'; delivered: number };

/** What WELCOME tells the client (spec struct welcome_body). */
export interface WelcomeInfo {
  relayTime: number;
  maxFrameSize: number;
  frameRate: number;
  byteRate: number;
  mailboxPending: number;
}

export interface ClientKeys {
  x: Uint8Array;
  ed: Uint8Array;
}

/** One connection's handshake, relay side. Any failure rejects; the reason goes to the log only. */
export interface HandshakePort {
  /** The CHALLENGE frame. */
  challenge(nowMs: number): Promise<Uint8Array>;
  /** Checks HELLO; resolves the client's proven static keys. */
  hello(frame: Uint8Array): Promise<ClientKeys>;
  /** The WELCOME frame and the session keys; the handshake's secrets are erased. */
  welcome(info: WelcomeInfo): Promise<{ frame: Uint8Array; session: SessionPort }>;
  /** Erases whatever the handshake still holds (on failure). */
  destroy(): void;
}

/** What unmasking a frame from the client tells (runtime IncomingRoute). */
export interface Incoming {
  /** control, peer or first_contact. */
  readonly kind: number;
  /** The frame's counter, client to relay (for openControl). */
  readonly counter: number;
}

/**
 * A session, relay side (runtime RelaySession). Each method that takes a counter does so
 * synchronously when called, so frames go on (or come off) the socket in call order.
 */
export interface SessionPort {
  /**
   * Unmasks a frame from the client in place with the next counter (its route then holds the
   * recipient id, or zeros for control) and checks its length and kind, and that control
   * frames and only they carry id 0. Throws for anything else (close with malformed_frame).
   * The result may be reused by the next call.
   */
  unmaskIncoming(frame: Uint8Array): Incoming;
  /** Writes `senderId` into the route and masks it for this client with the next counter, in place. */
  deliver(frame: Uint8Array, senderId: Uint8Array): void;
  /** Verifies, decrypts and decodes a control frame unmasked with `counter`; rejects if anything fails. */
  openControl(frame: Uint8Array, counter: number): Promise<ControlIn>;
  /** Seals a control message and masks its route, taking the next counter now (synchronously). */
  sealControl(msg: ControlOut): Promise<Uint8Array>;
  destroy(): void;
}

export interface RelayCrypto {
  readonly publicX: Uint8Array;
  readonly publicEd: Uint8Array;
  newHandshake(): HandshakePort;
}
