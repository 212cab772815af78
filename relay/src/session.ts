/**
 * The relay's end of one connection, compact: the same behaviour as the runtime's
 * RelaySession (spec structs.frame route, derivations route_mask, kinds.control), but holding
 * its keys in two small typed arrays instead of a dozen, because the relay keeps one per
 * connection (memory per idle connection is a target). Route masking is the runtime's
 * one-compression keyed hash; control frames are sealed and opened by the runtime.
 *
 *   route = id XOR KH(K_route_dir, u64le(counter) || nonce)[0..ROUTE_SIZE]
 */
import { Direction, FrameKind, ID_SIZE, KEY_SIZE, NONCE_SIZE, ROUTE_SIZE, type ControlMessage } from '@parley/generated';
import {
  FRAME_KIND_OFFSET,
  FRAME_NONCE_OFFSET,
  FRAME_ROUTE_OFFSET,
  destroySessionKeys,
  frameLengthOk,
  keyedHashShort,
  openControlFrame,
  routeIsZero,
  sealControlFrame,
  type CryptoBackend,
  type SessionKeys,
} from './runtime.ts';
import type { Incoming } from './session-port.ts';

const COUNTER_SIZE = 8;
const MASK_INPUT_SIZE = COUNTER_SIZE + NONCE_SIZE;
const WORDS = KEY_SIZE / 4;
const TWO_32 = 0x1_0000_0000;

// Scratch shared by every session: JavaScript runs each call to completion.
const KEY = new Uint32Array(WORDS);
const INPUT = new Uint8Array(MASK_INPUT_SIZE);
const MASK = new Uint8Array(ROUTE_SIZE);
const EMPTY = new Uint8Array(KEY_SIZE);

/** Control key slots in `#control`. */
const C2R = 0;
const R2C = 1;
const BIND = 2;

export class CompactSession {
  /** Route key words: client to relay in [0, 8), relay to client in [8, 16). */
  readonly #route = new Uint32Array(2 * WORDS);
  /** control_c2r ‖ control_r2c ‖ control_bind. */
  readonly #control = new Uint8Array(3 * KEY_SIZE);
  readonly #clientX: Uint8Array;
  readonly #clientEd: Uint8Array;
  #rx = 0;
  #tx = 0;
  /** Reused by every unmaskIncoming call: read it before the next frame. */
  readonly #result = { kind: 0, counter: 0 };

  /** Takes the handshake's session keys and wipes them (the relay keys are shared, not copied). */
  constructor(
    keys: SessionKeys,
    readonly backend: CryptoBackend,
    readonly relayX: Uint8Array,
    readonly relayEd: Uint8Array,
    readonly relayEdSeed: Uint8Array,
  ) {
    const dv = new DataView(keys.routeC2r.buffer, keys.routeC2r.byteOffset, KEY_SIZE);
    const dv2 = new DataView(keys.routeR2c.buffer, keys.routeR2c.byteOffset, KEY_SIZE);
    for (let i = 0; i < WORDS; i++) {
      this.#route[i] = dv.getUint32(4 * i, true);
      this.#route[WORDS + i] = dv2.getUint32(4 * i, true);
    }
    this.#control.set(keys.controlC2r, C2R * KEY_SIZE);
    this.#control.set(keys.controlR2c, R2C * KEY_SIZE);
    this.#control.set(keys.controlBind, BIND * KEY_SIZE);
    this.#clientX = keys.clientX;
    this.#clientEd = keys.clientEd;
    destroySessionKeys(keys);
  }

  /** XORs the route mask of direction `base` (0: c2r, WORDS: r2c) for `counter` onto the frame's route. */
  #xor(base: number, counter: number, frame: Uint8Array): void {
    const r = this.#route;
    for (let i = 0; i < WORDS; i++) KEY[i] = r[base + i]!;
    INPUT[0] = counter;
    INPUT[1] = counter >>> 8;
    INPUT[2] = counter >>> 16;
    INPUT[3] = counter >>> 24;
    const hi = (counter / TWO_32) >>> 0;
    INPUT[4] = hi;
    INPUT[5] = hi >>> 8;
    INPUT[6] = hi >>> 16;
    INPUT[7] = hi >>> 24;
    for (let i = 0; i < NONCE_SIZE; i++) INPUT[COUNTER_SIZE + i] = frame[FRAME_NONCE_OFFSET + i]!;
    keyedHashShort(KEY, INPUT, MASK, 0, ROUTE_SIZE);
    for (let i = 0; i < ROUTE_SIZE; i++) frame[FRAME_ROUTE_OFFSET + i]! ^= MASK[i]!;
    KEY.fill(0);
  }

  /**
   * As RelaySession.unmaskIncoming: next counter, length and kind checks, unmask in place. The
   * result object is reused by the next call.
   */
  unmaskIncoming(frame: Uint8Array): Incoming {
    const counter = this.#rx++; // the client counted this frame whatever it holds
    if (!frameLengthOk(frame.length)) throw new Error(`frame of ${frame.length} bytes`);
    const kind = frame[FRAME_KIND_OFFSET]!;
    if (kind !== FrameKind.control && kind !== FrameKind.peer && kind !== FrameKind.firstContact) {
      throw new Error(`kind ${kind} after the handshake`);
    }
    this.#xor(0, counter, frame);
    if (routeIsZero(frame) !== (kind === FrameKind.control)) {
      throw new Error(kind === FrameKind.control ? 'control frame not addressed to id 0' : 'peer frame addressed to id 0');
    }
    const r = this.#result;
    r.kind = kind;
    r.counter = counter;
    return r;
  }

  /** As RelaySession.deliver: route = senderId masked for the client with the next counter. */
  deliver(frame: Uint8Array, senderId: Uint8Array): void {
    for (let i = 0; i < ID_SIZE; i++) frame[FRAME_ROUTE_OFFSET + i] = senderId[i]!;
    this.#xor(WORDS, this.#tx++, frame);
  }

  /** Seals a control message and masks its route, taking the next counter now. */
  async sealControl(message: ControlMessage): Promise<Uint8Array> {
    const counter = this.#tx++;
    const frame = await sealControlFrame({
      backend: this.backend,
      keys: this.#keys(),
      direction: Direction.relayToClient,
      counter,
      message,
      signerSeed: this.relayEdSeed,
    });
    this.#xor(WORDS, counter, frame);
    return frame;
  }

  /** Opens a control frame from the client, unmasked with `counter`. */
  openControl(frame: Uint8Array, counter: number): Promise<ControlMessage> {
    return openControlFrame({ backend: this.backend, keys: this.#keys(), direction: Direction.clientToRelay, counter, frame });
  }

  /** The SessionKeys view the runtime's control functions read (built per control frame: they are rare). */
  #keys(): SessionKeys {
    const c = this.#control;
    return {
      version: 0,
      clientX: this.#clientX,
      clientEd: this.#clientEd,
      clientId: this.#clientX.subarray(0, ID_SIZE),
      relayX: this.relayX,
      relayEd: this.relayEd,
      routeC2r: EMPTY,
      routeR2c: EMPTY,
      controlC2r: c.subarray(C2R * KEY_SIZE, (C2R + 1) * KEY_SIZE),
      controlR2c: c.subarray(R2C * KEY_SIZE, (R2C + 1) * KEY_SIZE),
      controlBind: c.subarray(BIND * KEY_SIZE, (BIND + 1) * KEY_SIZE),
      th2: EMPTY,
    };
  }

  destroy(): void {
    this.#route.fill(0);
    this.#control.fill(0);
  }
}
