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
 * and allocates nothing; the relay forwards everything but the route verbatim. The relay keeps
 * one RelaySession per connection, so it is compact: both route keys in one array of words
 * (masked with `routeMask8`, one compression per frame), every other key in one byte array.
 */
import { Direction, FrameKind, ID_SIZE, KEY_SIZE, type ControlMessage } from '@parley/generated';
import { blake3KeyWordsInto, routeMask8, type CryptoBackend } from '../crypto/index.ts';
import { abytes } from './_assert.ts';
import { openControlFrame, sealControlFrame } from './control.ts';
import { OpenError } from './errors.ts';
import { FRAME_KIND_OFFSET, FRAME_NONCE_OFFSET, FRAME_ROUTE_OFFSET, frameLengthOk, isForwardedKind, type SessionKind } from './frame.ts';
import { destroySessionKeys, type SessionKeys } from './handshake.ts';
import { RouteDirection, copyRouteId, routeIsZero } from './route.ts';

/** What unmasking a received frame tells. */
export interface IncomingRoute {
  /** control, peer, first_contact or ratchet. */
  kind: SessionKind;
  /** The frame's counter in its direction (pass it to openControl). */
  counter: number;
  /** The unmasked id: the recipient on the relay, the sender on a client; zeros for control. */
  id: Uint8Array;
}

/** Length (BAD_LENGTH) and kind (BAD_KIND: only control, peer, first_contact, ratchet) of a received frame. */
function incomingKind(frame: Uint8Array): SessionKind {
  if (!frameLengthOk(frame.length)) throw new OpenError('BAD_LENGTH', `frame of ${frame.length} bytes`);
  const kind = frame[FRAME_KIND_OFFSET]!;
  if (kind !== FrameKind.control && !isForwardedKind(kind)) {
    throw new OpenError('BAD_KIND', `kind ${kind} after the handshake`);
  }
  return kind;
}

/** After unmasking: control frames and only they carry id 0 (BAD_KIND). Fills `out`. */
function incomingRoute(frame: Uint8Array, kind: SessionKind, counter: number, out: IncomingRoute): IncomingRoute {
  if (routeIsZero(frame) !== (kind === FrameKind.control)) {
    throw new OpenError('BAD_KIND', kind === FrameKind.control ? 'control frame not addressed to id 0' : 'frame of a peer kind addressed to id 0');
  }
  out.kind = kind;
  out.counter = counter;
  copyRouteId(frame, out.id);
  return out;
}

/**
 * Unmasks a received frame in place with the direction's next counter and checks its length
 * (BAD_LENGTH), kind (BAD_KIND: only control, peer, first_contact, ratchet) and that control frames
 * and only they carry id 0 (BAD_KIND). Writes into `out` (a new object if absent). The
 * counter is taken even when a check fails: the sender counted the frame.
 */
export function unmaskFrame(dir: RouteDirection, frame: Uint8Array, out: IncomingRoute = newRoute()): IncomingRoute {
  const counter = dir.next(); // the sender counted this frame whatever it holds
  const kind = incomingKind(frame);
  dir.unmaskWith(counter, frame);
  return incomingRoute(frame, kind, counter, out);
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

  /** Masks a sealed peer, first-contact or ratchet frame in place for `recipientId`, taking the next counter. */
  route(frame: Uint8Array, recipientId: Uint8Array): Uint8Array {
    abytes(recipientId, 'recipientId', ID_SIZE);
    const kind = frame[FRAME_KIND_OFFSET];
    if (!isForwardedKind(kind)) throw new TypeError(`route() takes peer, first-contact and ratchet frames, got kind ${kind}`);
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

// RelaySession layout. Route key words: client to relay, then relay to client.
const WORDS = KEY_SIZE / 4;
const ROUTE_C2R = 0;
const ROUTE_R2C = WORDS;
// Bytes: the three secret control keys first (wiped by destroy), then public values.
const CONTROL_C2R = 0;
const CONTROL_R2C = KEY_SIZE;
const CONTROL_BIND = 2 * KEY_SIZE;
const SECRET_END = 3 * KEY_SIZE;
const CLIENT_X = 3 * KEY_SIZE;
const CLIENT_ED = 4 * KEY_SIZE;
const RELAY_X = 5 * KEY_SIZE;
const RELAY_ED = 6 * KEY_SIZE;
const TH2 = 7 * KEY_SIZE;
const BYTES = 8 * KEY_SIZE;

/** The result of RelaySession.unmaskIncoming, shared by every RelaySession (see there). */
const RELAY_INCOMING: IncomingRoute = newRoute();

/**
 * The relay's end of a connection. The relay holds one per connection, so it keeps its keys
 * compactly: two typed arrays and two counters (memory per idle connection is a target).
 */
export class RelaySession {
  /** route_c2r words in [0, 8), route_r2c words in [8, 16). */
  readonly #route = new Uint32Array(2 * WORDS);
  /** control_c2r ‖ control_r2c ‖ control_bind ‖ C_x ‖ C_ed ‖ R_x ‖ R_ed ‖ th2. */
  readonly #bytes = new Uint8Array(BYTES);
  readonly #version: number;
  readonly #backend: CryptoBackend;
  readonly #edSeed: Uint8Array;
  #rx = 0;
  #tx = 0;
  #destroyed = false;

  /**
   * Takes over the handshake's session keys: copies them into its own storage and wipes the
   * secret ones in `keys`. `relayEdSeed`: the relay's Ed25519 seed, to sign control frames
   * (kept by reference: the relay's identity outlives its sessions).
   */
  constructor(backend: CryptoBackend, keys: SessionKeys, relayEdSeed: Uint8Array) {
    this.#backend = backend;
    this.#edSeed = relayEdSeed;
    this.#version = keys.version;
    blake3KeyWordsInto(keys.routeC2r, this.#route, ROUTE_C2R);
    blake3KeyWordsInto(keys.routeR2c, this.#route, ROUTE_R2C);
    const b = this.#bytes;
    b.set(keys.controlC2r, CONTROL_C2R);
    b.set(keys.controlR2c, CONTROL_R2C);
    b.set(keys.controlBind, CONTROL_BIND);
    b.set(keys.clientX, CLIENT_X);
    b.set(keys.clientEd, CLIENT_ED);
    b.set(keys.relayX, RELAY_X);
    b.set(keys.relayEd, RELAY_ED);
    b.set(keys.th2, TH2);
    destroySessionKeys(keys);
  }

  /**
   * The session's keys as SessionKeys (views of its storage, made per call; the route keys
   * are not kept as bytes and read as zeros). After `destroy()` the secret ones read as zeros.
   */
  get keys(): SessionKeys {
    const b = this.#bytes;
    const view = (at: number) => b.subarray(at, at + KEY_SIZE);
    return Object.freeze({
      version: this.#version,
      clientX: view(CLIENT_X),
      clientEd: view(CLIENT_ED),
      clientId: b.subarray(CLIENT_X, CLIENT_X + ID_SIZE),
      relayX: view(RELAY_X),
      relayEd: view(RELAY_ED),
      routeC2r: new Uint8Array(KEY_SIZE),
      routeR2c: new Uint8Array(KEY_SIZE),
      controlC2r: view(CONTROL_C2R),
      controlR2c: view(CONTROL_R2C),
      controlBind: view(CONTROL_BIND),
      th2: view(TH2),
    });
  }

  /** The client's id (first ID_SIZE bytes of its X25519 key). */
  get clientId(): Uint8Array {
    return this.#bytes.slice(CLIENT_X, CLIENT_X + ID_SIZE);
  }

  /**
   * Unmasks a frame received from this client in place: afterwards its route holds the
   * recipient id (zeros for a control frame). Throws OpenError BAD_LENGTH or BAD_KIND (close the
   * connection with malformed_frame or too_large). The returned object is shared by every
   * RelaySession and overwritten by the next call on any of them: read it first.
   */
  unmaskIncoming(frame: Uint8Array): Readonly<IncomingRoute> {
    this.#live();
    const counter = this.#rx++; // the client counted this frame whatever it holds
    const kind = incomingKind(frame);
    routeMask8(this.#route, ROUTE_C2R, counter, frame, FRAME_NONCE_OFFSET, frame, FRAME_ROUTE_OFFSET);
    return incomingRoute(frame, kind, counter, RELAY_INCOMING);
  }

  /**
   * Rewrites the route of a frame for delivery to this session's client, in place: route =
   * senderId XOR mask(route_r2c, next counter, nonce). Everything else stays verbatim. Copy the
   * frame first when delivering it to several sessions.
   */
  deliver(frame: Uint8Array, senderId: Uint8Array): Uint8Array {
    if (senderId.length !== ID_SIZE) throw new RangeError(`senderId must be ${ID_SIZE} bytes, got ${senderId.length}`);
    this.#live();
    for (let i = 0; i < ID_SIZE; i++) frame[FRAME_ROUTE_OFFSET + i] = senderId[i]!;
    routeMask8(this.#route, ROUTE_R2C, this.#tx++, frame, FRAME_NONCE_OFFSET, frame, FRAME_ROUTE_OFFSET);
    return frame;
  }

  /** Seals and masks a control frame to the client, taking the next counter now. */
  async sealControl(message: ControlMessage, nonce?: Uint8Array): Promise<Uint8Array> {
    this.#live();
    const counter = this.#tx++;
    const frame = await sealControlFrame({
      backend: this.#backend,
      keys: this.keys,
      direction: Direction.relayToClient,
      counter,
      message,
      signerSeed: this.#edSeed,
      ...(nonce ? { nonce } : {}),
    });
    this.#live();
    frame.fill(0, FRAME_ROUTE_OFFSET, FRAME_ROUTE_OFFSET + ID_SIZE); // id 0: the relay
    routeMask8(this.#route, ROUTE_R2C, counter, frame, FRAME_NONCE_OFFSET, frame, FRAME_ROUTE_OFFSET);
    return frame;
  }

  /** Opens a control frame from the client (after `unmaskIncoming`, with the counter it gave). */
  openControl(frame: Uint8Array, counter: number): Promise<ControlMessage> {
    return openControlFrame({ backend: this.#backend, keys: this.keys, direction: Direction.clientToRelay, counter, frame });
  }

  get counters(): { sent: number; received: number } {
    return { sent: this.#tx, received: this.#rx };
  }

  /** Wipes the session's secret keys; the session is unusable afterwards. */
  destroy(): void {
    this.#destroyed = true;
    this.#route.fill(0);
    this.#bytes.fill(0, 0, SECRET_END);
  }

  #live(): void {
    if (this.#destroyed) throw new Error('RelaySession: used after destroy()');
  }
}
