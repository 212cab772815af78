/**
 * The relay side of the protocol on @parley/runtime, behind the small interfaces of
 * session-port.ts: the handshake (runtime RelayHandshake) and the session (runtime
 * RelaySession: in-place route unmask and re-mask with per-direction counters, control frames
 * sealed and opened, in a few hundred bytes per connection). This file also translates control
 * messages between the spec's codec types and the relay's.
 */
import { ControlType, RelayError, ShutdownReason, WakeReason, type ControlMessage } from '@parley/generated';
import {
  ChallengeEpochs,
  RelayHandshake,
  RelaySession,
  identityFromSeed,
  pickBackend,
  type CryptoBackend,
  type Identity,
} from './runtime.ts';
import type { ControlIn, ControlOut, HandshakePort, Incoming, RelayCrypto, SessionPort, WelcomeInfo } from './session-port.ts';

/** The relay's public keys from its seed. */
export async function deriveRelayKeys(seed: Uint8Array): Promise<{ x: Uint8Array; ed: Uint8Array }> {
  const id = await identityFromSeed(await pickBackend(), seed);
  return { x: id.x, ed: id.ed };
}

/** The relay's protocol layer for the identity of `seed` (the seed is copied). */
export async function createRelayCrypto(seed: Uint8Array, backend?: CryptoBackend): Promise<RelayCrypto> {
  const b = backend ?? (await pickBackend());
  const relay = await identityFromSeed(b, seed);
  // One E_R and one CHALLENGE signature per CHALLENGE_EPOCH_MS for every connection (spec
  // handshake; spec/DESIGN.md "Relay sessions and handshake cost").
  const epochs = new ChallengeEpochs({ backend: b, relay });
  return {
    publicX: relay.x,
    publicEd: relay.ed,
    newHandshake: () => new Handshake(b, relay, epochs),
  };
}

class Handshake implements HandshakePort {
  readonly #hs: RelayHandshake;

  constructor(
    readonly backend: CryptoBackend,
    readonly relay: Identity,
    epochs: ChallengeEpochs,
  ) {
    this.#hs = new RelayHandshake({ backend, relay, epochs });
  }

  challenge(): Promise<Uint8Array> {
    return this.#hs.challenge();
  }

  async hello(frame: Uint8Array) {
    const r = await this.#hs.onHello(frame);
    return { x: r.clientX, ed: r.clientEd };
  }

  async welcome(info: WelcomeInfo) {
    const { frame, session } = await this.#hs.welcome({
      mailboxPending: info.mailboxPending,
      limits: { maxFrameSize: info.maxFrameSize, frameRate: info.frameRate, byteRate: info.byteRate },
    });
    return { frame, session: new Session(new RelaySession(this.backend, session, this.relay.edSeed)) };
  }

  destroy(): void {
    // Erases e_R and k_proof at once when the connection ends before WELCOME (RelayHandshake
    // also erases them itself on failure and after WELCOME).
    this.#hs.destroy();
  }
}

class Session implements SessionPort {
  constructor(readonly s: RelaySession) {}

  unmaskIncoming(frame: Uint8Array): Incoming {
    return this.s.unmaskIncoming(frame);
  }

  deliver(frame: Uint8Array, senderId: Uint8Array): void {
    this.s.deliver(frame, senderId);
  }

  async openControl(frame: Uint8Array, counter: number): Promise<ControlIn> {
    return fromWire(await this.s.openControl(frame, counter));
  }

  sealControl(msg: ControlOut): Promise<Uint8Array> {
    return this.s.sealControl(toWire(msg));
  }

  destroy(): void {
    this.s.destroy();
  }
}

function fromWire(m: ControlMessage): ControlIn {
  switch (m.type) {
    case ControlType.registerWake:
      return { type: 'register_wake', tag: m.body.tag.slice() };
    case ControlType.turnRequest:
      return { type: 'turn_request' };
    case ControlType.ring:
      return { type: 'ring', recipient: m.body.recipient.slice() };
    case ControlType.bye:
      return { type: 'bye' };
    case ControlType.registerMailboxSecret:
      return { type: 'register_mailbox_secret', secret: m.body.secret.slice() };
    case ControlType.presentMailboxTokens:
      return { type: 'present_mailbox_tokens', tokens: m.body.tokens.map((t) => ({ recipient: t.recipient.slice(), token: t.token.slice() })) };
    default:
      return { type: 'wrong_direction', code: m.type };
  }
}

const ERROR_CODE = { rate_limited: RelayError.rateLimited, unavailable: RelayError.unavailable, bad_request: RelayError.badRequest } as const;

function toWire(m: ControlOut): ControlMessage {
  switch (m.type) {
    case 'wake':
      return { type: ControlType.wake, body: { tag: m.tag, reason: m.reason === 'call' ? WakeReason.call : WakeReason.message } };
    case 'turn_credentials':
      return {
        type: ControlType.turnCredentials,
        body: { username: m.username, password: m.password, ttlSeconds: m.ttlSeconds, urls: m.urls.map((url) => ({ url })) },
      };
    case 'shutdown':
      return {
        type: ControlType.shutdown,
        body: { reason: m.reason === 'overload' ? ShutdownReason.overload : ShutdownReason.maintenance, retryAfterMs: m.retryAfterMs },
      };
    case 'error':
      return { type: ControlType.error, body: { code: ERROR_CODE[m.code], request: m.request as ControlMessage['type'] } };
    case 'mailbox_drained':
      return { type: ControlType.mailboxDrained, body: { delivered: m.delivered } };
  }
}
