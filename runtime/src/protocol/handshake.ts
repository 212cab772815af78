/**
 * What both sides of the handshake share (spec `handshake`, derivations session, route_*,
 * control_*): the session keys the handshake ends with, the options both state machines take,
 * and the check that a frame is a handshake frame with a zero route.
 */
import {
  FrameKind,
  ID_SIZE,
  KEY_SIZE,
  deriveControlBind,
  deriveControlC2r,
  deriveControlR2c,
  deriveRouteC2r,
  deriveRouteR2c,
  deriveSession,
  type Frame,
} from '@parley/generated';
import { randomBytes, type CryptoBackend, type X25519Ephemeral } from '../crypto/index.ts';
import { H } from './_blake3.ts';
import type { PublicKeys } from './identity.ts';

/**
 * The keys of one connection after WELCOME. The route and control keys are secret
 * (`destroySessionKeys` wipes them); the rest is public.
 */
export interface SessionKeys {
  /** The protocol version both sides chose. */
  readonly version: number;
  readonly clientX: Uint8Array;
  readonly clientEd: Uint8Array;
  /** The client's id (first ID_SIZE bytes of clientX). */
  readonly clientId: Uint8Array;
  readonly relayX: Uint8Array;
  readonly relayEd: Uint8Array;
  readonly routeC2r: Uint8Array;
  readonly routeR2c: Uint8Array;
  readonly controlC2r: Uint8Array;
  readonly controlR2c: Uint8Array;
  readonly controlBind: Uint8Array;
  /** The transcript hash after WELCOME (public; identifies the session, e.g. in logs or vectors). */
  readonly th2: Uint8Array;
}

/** Transcript hashes th0, th1, th2 as they become known (public: hashes of public frames). */
export interface Transcript {
  th0?: Uint8Array;
  th1?: Uint8Array;
  th2?: Uint8Array;
}

/** Options of both handshake state machines. Inject `now` and `random` only for tests and vectors. */
export interface HandshakeOptions {
  /** Clock, ms since the Unix epoch (default Date.now). */
  now?: () => number;
  /** Secure randomness (default crypto randomBytes): ephemeral secrets and nonces. */
  random?: (n: number) => Uint8Array;
}

export function defaults(o: HandshakeOptions): Required<HandshakeOptions> {
  return { now: o.now ?? Date.now, random: o.random ?? randomBytes };
}

/**
 * ss = session(th2, k_welcome), then the five connection keys from ss; ss is wiped. The
 * caller wipes k_welcome.
 */
export function deriveSessionKeys(
  version: number,
  client: PublicKeys,
  relay: PublicKeys,
  th2: Uint8Array,
  kWelcome: Uint8Array,
): SessionKeys {
  const ss = deriveSession(H, { th2, kWelcome });
  const key = { key: ss };
  try {
    return Object.freeze({
      version,
      clientX: client.x.slice(),
      clientEd: client.ed.slice(),
      clientId: client.x.slice(0, ID_SIZE),
      relayX: relay.x.slice(),
      relayEd: relay.ed.slice(),
      routeC2r: deriveRouteC2r(H, key),
      routeR2c: deriveRouteR2c(H, key),
      controlC2r: deriveControlC2r(H, key),
      controlR2c: deriveControlR2c(H, key),
      controlBind: deriveControlBind(H, key),
      th2: th2.slice(),
    });
  } finally {
    ss.fill(0);
  }
}

/** Wipes the secret keys of a session. */
export function destroySessionKeys(k: SessionKeys): void {
  for (const a of [k.routeC2r, k.routeR2c, k.controlC2r, k.controlR2c, k.controlBind]) a.fill(0);
}

/** True if the decoded frame is a handshake frame with an all-zero route. */
export function isHandshakeFrame(f: Frame): boolean {
  if (f.kind !== FrameKind.handshake) return false;
  let acc = 0;
  for (const b of f.route) acc |= b;
  return acc === 0;
}

/** Fills arrays with zeros (ephemeral secrets, intermediate keys). */
export function erase(...arrays: (Uint8Array | undefined)[]): void {
  for (const a of arrays) a?.fill(0);
}

/**
 * A new ephemeral key pair (e_R or e_C): from `random` (KEY_SIZE bytes, wiped once
 * imported) when the caller injected randomness for vectors, else generated inside the
 * backend (a non-extractable platform key on webcrypto).
 */
export async function newEphemeral(backend: CryptoBackend, random: ((n: number) => Uint8Array) | undefined): Promise<X25519Ephemeral> {
  if (random === undefined) return backend.x25519Ephemeral();
  const secret = random(KEY_SIZE);
  try {
    return await backend.x25519Ephemeral(secret);
  } finally {
    secret.fill(0);
  }
}
