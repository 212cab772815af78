/**
 * A connection after the handshake, on either side: one route direction per way, each with
 * its frame counter, and the control keys. Built from the SessionKeys the handshake returns.
 *
 * Counters: every frame in a direction takes the next counter, in socket order. Methods that
 * take a counter (`route`, `sealControl`, `unmask`, `deliver`) do so synchronously when called,
 * so frames must go on (or come off) the socket in the order of these calls. A control frame's
 * counter is also in its signature and associated data: send it before any frame whose counter
 * was taken after it.
 *
 * The relay's per-frame path (`unmaskIncoming`, `deliver`) works in place on the frame buffer
 * and allocates nothing; the relay forwards everything but the route verbatim.
 */
import { Direction, FrameKind, ID_SIZE, type ControlMessage } from '@parley/generated';
import type { CryptoBackend } from '../crypto/index.ts';
import { abytes } from './_assert.ts';
import { openControlFrame, sealControlFrame } from './control.ts';
import { OpenError } from './errors.ts';
import { FRAME_KIND_OFFSET, frameLengthOk, type SessionKind } from './frame.ts';
import { destroySessionKeys, type SessionKeys } from './handshake.ts';
import { RouteDirection, copyRouteId, routeIsZero } from './route.ts';

/** What unmasking a received frame tells. */
export interface IncomingRoute {
  /** control, peer or first_contact. */
  kind: SessionKind;
  /** The frame's counter in its direction (pass it to openControl). */
  counter: number;
  /** The unmasked id: the recipient on the relay, the sender on a client; zeros for control. */
  id: Uint8Array;
}

/**
 * Unmasks a received frame in place with the direction's next counter and checks its length
 * (BAD_LENGTH), kind (BAD_KIND: only control, peer, first_contact) and that control frames
 * and only they carry id 0 (BAD_KIND). Writes into `out` (a new object if absent). The
 * counter is taken even when a check fails: the sender counted the frame.
 */
export function unmaskFrame(dir: RouteDirection, frame: Uint8Array, out: IncomingRoute = newRoute()): IncomingRoute {
  const counter = dir.next(); // the sender counted this frame whatever it holds
  if (!frameLengthOk(frame.length)) throw new OpenError('BAD_LENGTH', `frame of ${frame.length} bytes`);
  const kind = frame[FRAME_KIND_OFFSET]!;
  if (kind !== FrameKind.control && kind !== FrameKind.peer && kind !== FrameKind.firstContact) {
    throw new OpenError('BAD_KIND', `kind ${kind} after the handshake`);
  }
  dir.unmaskWith(counter, frame);
  if (routeIsZero(frame) !== (kind === FrameKind.control)) {
    throw new OpenError('BAD_KIND', kind === FrameKind.control ? 'control frame not addressed to id 0' : 'frame of a peer kind addressed to id 0');
  }
  out.kind = kind;
  out.counter = counter;
  copyRouteId(frame, out.id);
  return out;
}

function newRoute(): IncomingRoute {
  return { kind: FrameKind.control, counter: 0, id: new Uint8Array(ID_SIZE) };
}

/** The client's end of a connection. */
export class ClientSession {
  readonly keys: SessionKeys;
  readonly #backend: CryptoBackend;
  readonly #edSeed: Uint8Array;
  readonly #out: RouteDirection;
  readonly #in: RouteDirection;

  /** `edSeed`: the client's Ed25519 seed (identity.edSeed), to sign control frames. */
  constructor(backend: CryptoBackend, keys: SessionKeys, edSeed: Uint8Array) {
    this.keys = keys;
    this.#backend = backend;
    this.#edSeed = edSeed;
    this.#out = new RouteDirection(keys.routeC2r);
    this.#in = new RouteDirection(keys.routeR2c);
  }

  /** Masks a sealed peer or first-contact frame in place for `recipientId`, taking the next counter. */
  route(frame: Uint8Array, recipientId: Uint8Array): Uint8Array {
    abytes(recipientId, 'recipientId', ID_SIZE);
    const kind = frame[FRAME_KIND_OFFSET];
    if (kind !== FrameKind.peer && kind !== FrameKind.firstContact) throw new TypeError(`route() takes peer and first-contact frames, got kind ${kind}`);
    this.#out.maskWith(this.#out.next(), frame, recipientId);
    return frame;
  }

  /** Seals and masks a control frame to the relay, taking the next counter now. */
  async sealControl(message: ControlMessage, nonce?: Uint8Array): Promise<Uint8Array> {
    const counter = this.#out.next();
    const frame = await sealControlFrame({
      backend: this.#backend,
      keys: this.keys,
      direction: Direction.clientToRelay,
      counter,
      message,
      signerSeed: this.#edSeed,
      ...(nonce ? { nonce } : {}),
    });
    this.#out.maskWith(counter, frame, null);
    return frame;
  }

  /** Unmasks a received frame in place (its route becomes the sender id), taking the next counter. */
  unmask(frame: Uint8Array): IncomingRoute {
    return unmaskFrame(this.#in, frame);
  }

  /** Opens a control frame from the relay (after `unmask`, with the counter it gave). */
  openControl(frame: Uint8Array, counter: number): Promise<ControlMessage> {
    return openControlFrame({ backend: this.#backend, keys: this.keys, direction: Direction.relayToClient, counter, frame });
  }

  /** Frames sent and received so far. */
  get counters(): { sent: number; received: number } {
    return { sent: this.#out.counter, received: this.#in.counter };
  }

  /** Wipes the session's keys. */
  destroy(): void {
    this.#out.destroy();
    this.#in.destroy();
    destroySessionKeys(this.keys);
  }
}

/** The relay's end of a connection. */
export class RelaySession {
  readonly keys: SessionKeys;
  /** The client's id (first ID_SIZE bytes of its X25519 key). */
  readonly clientId: Uint8Array;
  readonly #backend: CryptoBackend;
  readonly #edSeed: Uint8Array;
  readonly #in: RouteDirection;
  readonly #out: RouteDirection;
  readonly #result: IncomingRoute = newRoute();

  /** `relayEdSeed`: the relay's Ed25519 seed, to sign control frames. */
  constructor(backend: CryptoBackend, keys: SessionKeys, relayEdSeed: Uint8Array) {
    this.keys = keys;
    this.clientId = keys.clientId;
    this.#backend = backend;
    this.#edSeed = relayEdSeed;
    this.#in = new RouteDirection(keys.routeC2r);
    this.#out = new RouteDirection(keys.routeR2c);
  }

  /**
   * Unmasks a frame received from this client in place: afterwards its route holds the
   * recipient id (zeros for a control frame). Throws OpenError BAD_LENGTH or BAD_KIND (close the
   * connection with malformed_frame or too_large). The returned object is reused by the next
   * call: read it before unmasking another frame.
   */
  unmaskIncoming(frame: Uint8Array): Readonly<IncomingRoute> {
    return unmaskFrame(this.#in, frame, this.#result);
  }

  /**
   * Rewrites the route of a frame for delivery to this session's client, in place: route =
   * senderId XOR mask(route_r2c, next counter, nonce). Everything else stays verbatim. Copy the
   * frame first when delivering it to several sessions.
   */
  deliver(frame: Uint8Array, senderId: Uint8Array): Uint8Array {
    if (senderId.length !== ID_SIZE) throw new RangeError(`senderId must be ${ID_SIZE} bytes, got ${senderId.length}`);
    this.#out.maskWith(this.#out.next(), frame, senderId);
    return frame;
  }

  /** Seals and masks a control frame to the client, taking the next counter now. */
  async sealControl(message: ControlMessage, nonce?: Uint8Array): Promise<Uint8Array> {
    const counter = this.#out.next();
    const frame = await sealControlFrame({
      backend: this.#backend,
      keys: this.keys,
      direction: Direction.relayToClient,
      counter,
      message,
      signerSeed: this.#edSeed,
      ...(nonce ? { nonce } : {}),
    });
    this.#out.maskWith(counter, frame, null);
    return frame;
  }

  /** Opens a control frame from the client (after `unmaskIncoming`, with the counter it gave). */
  openControl(frame: Uint8Array, counter: number): Promise<ControlMessage> {
    return openControlFrame({ backend: this.#backend, keys: this.keys, direction: Direction.clientToRelay, counter, frame });
  }

  get counters(): { sent: number; received: number } {
    return { sent: this.#out.counter, received: this.#in.counter };
  }

  destroy(): void {
    this.#in.destroy();
    this.#out.destroy();
    destroySessionKeys(this.keys);
  }
}
