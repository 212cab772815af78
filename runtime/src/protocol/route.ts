/**
 * Route masking (spec structs.frame.route, derivations.route_mask; spec/DESIGN.md "Route masking"):
 *
 *   route = id XOR route_mask(K_route_dir, counter, nonce)
 *
 * where the counter counts the frames sent in that direction since WELCOME, from 0. One
 * `RouteDirection` holds one direction's key and counter; both ends of a connection keep one
 * per direction and advance it once per frame, in socket order. Everything here works in place
 * on the frame buffer and allocates nothing (the relay calls it for every frame).
 */
import { ID_SIZE, ROUTE_SIZE } from '@parley/generated';
import { RouteKeystream } from '../crypto/index.ts';
import { FRAME_NONCE_OFFSET, FRAME_ROUTE_OFFSET } from './frame.ts';

export class RouteDirection {
  readonly #stream: RouteKeystream;
  #counter: number;

  /** `counter`: the next frame's counter (0 right after WELCOME; other values for vectors). */
  constructor(key: Uint8Array, counter = 0) {
    this.#stream = new RouteKeystream(key);
    this.#counter = counter;
  }

  /** The counter the next frame in this direction uses. */
  get counter(): number {
    return this.#counter;
  }

  /**
   * Takes the next counter value: the caller must put the frame on the socket (or take it off)
   * in the order of these calls.
   */
  next(): number {
    return this.#counter++;
  }

  /**
   * Writes route = id XOR mask(counter, nonce) into the frame (route field, in place) using the
   * given counter. `id` is ID_SIZE bytes; pass null for id 0 (the relay).
   */
  maskWith(counter: number, frame: Uint8Array, id: Uint8Array | null): void {
    if (id === null) frame.fill(0, FRAME_ROUTE_OFFSET, FRAME_ROUTE_OFFSET + ROUTE_SIZE);
    else frame.set(id, FRAME_ROUTE_OFFSET);
    this.#stream.mask8(counter, frame, FRAME_NONCE_OFFSET, frame, FRAME_ROUTE_OFFSET);
  }

  /**
   * Unmasks a received frame's route in place with the given counter: afterwards the route
   * field holds the id (recipient id on the relay, sender id on a client).
   */
  unmaskWith(counter: number, frame: Uint8Array): void {
    this.#stream.mask8(counter, frame, FRAME_NONCE_OFFSET, frame, FRAME_ROUTE_OFFSET);
  }

  /** Wipes the key; the direction is unusable afterwards. */
  destroy(): void {
    this.#stream.destroy();
  }
}

/** True if the route field holds id 0 (after unmasking). */
export function routeIsZero(frame: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < ID_SIZE; i++) acc |= frame[FRAME_ROUTE_OFFSET + i]!;
  return acc === 0;
}

/** Copies the id in the (unmasked) route field into `out` (ID_SIZE bytes). No allocation. */
export function copyRouteId(frame: Uint8Array, out: Uint8Array): Uint8Array {
  for (let i = 0; i < ID_SIZE; i++) out[i] = frame[FRAME_ROUTE_OFFSET + i]!;
  return out;
}
