/**
 * Pair keys (spec derivations pair, pair_direction, pair_bind; spec/DESIGN.md "Pair keys"):
 *
 *   K_pair = DK(pair, X(a, B_x) || lo.x || lo.ed || hi.x || hi.ed)   parties ordered by X25519 bytes
 *   AEAD key  sender→recipient = DK(pair direction, K_pair || sender_x || recipient_x)
 *   bind key  sender→recipient = DK(pair bind,      K_pair || sender_x || recipient_x)
 *
 * Both parties compute the same K_pair; each direction has its own AEAD and binding keys, so a
 * frame cannot be reflected. Derivation costs one X25519, so `PairCache` keeps them per contact.
 */
import { KEY_SIZE, derivePair, derivePairBind, derivePairDirection } from '@parley/generated';
import { equalBytes, isCryptoError, toHex, type CryptoBackend } from '../crypto/index.ts';
import { abytes } from './_assert.ts';
import { H } from './_blake3.ts';
import { OpenError } from './errors.ts';
import type { Identity, PublicKeys } from './identity.ts';

/** The keys one party holds for one contact. Secret; `wipePairKeys` erases them. */
export interface PairKeys {
  /** K_pair (also mixed into first-contact requests). */
  readonly pairKey: Uint8Array;
  /** AEAD key of frames I send to the contact. */
  readonly sendKey: Uint8Array;
  /** Signature binding key of frames I send to the contact. */
  readonly sendBind: Uint8Array;
  /** AEAD key of frames the contact sends to me. */
  readonly recvKey: Uint8Array;
  /** Signature binding key of frames the contact sends to me. */
  readonly recvBind: Uint8Array;
}

/** -1, 0 or 1 as a sorts before, equal to or after b, bytewise (public keys: not constant time). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** The two parties ordered by their X25519 keys: [lo, hi]. */
export function orderParties<T extends PublicKeys>(a: T, b: T): [T, T] {
  return compareBytes(a.x, b.x) <= 0 ? [a, b] : [b, a];
}

/**
 * X(secret, publicKey), mapping a rejected key (non-canonical, low order, all-zero output) to
 * OpenError BAD_KEY.
 */
export async function dh(backend: CryptoBackend, secret: Uint8Array, publicKey: Uint8Array, what: string): Promise<Uint8Array> {
  try {
    return await backend.x25519(secret, publicKey);
  } catch (e) {
    if (isCryptoError(e)) throw new OpenError('BAD_KEY', `${what}: ${e.code.toLowerCase().replace('_', ' ')} X25519 key`, { cause: e });
    throw e;
  }
}

/** K_pair of `me` and `them` (one X25519). Throws OpenError BAD_KEY for a rejected X25519 key. */
export async function derivePairKey(backend: CryptoBackend, me: Identity, them: PublicKeys): Promise<Uint8Array> {
  abytes(them.x, 'them.x', KEY_SIZE);
  abytes(them.ed, 'them.ed', KEY_SIZE);
  const shared = await dh(backend, me.xSecret, them.x, 'contact');
  const [lo, hi] = orderParties<PublicKeys>(me, them);
  try {
    return derivePair(H, { dh: shared, loX: lo.x, loEd: lo.ed, hiX: hi.x, hiEd: hi.ed });
  } finally {
    shared.fill(0);
  }
}

/** The direction keys of K_pair from `sender` to `recipient` (X25519 keys). */
export function directionKeys(pairKey: Uint8Array, senderX: Uint8Array, recipientX: Uint8Array): { key: Uint8Array; bind: Uint8Array } {
  const parts = { pairKey, senderX, recipientX };
  return { key: derivePairDirection(H, parts), bind: derivePairBind(H, parts) };
}

/** All keys `me` holds for `them`. Throws OpenError BAD_KEY for a rejected X25519 key. */
export async function derivePairKeys(backend: CryptoBackend, me: Identity, them: PublicKeys): Promise<PairKeys> {
  const pairKey = await derivePairKey(backend, me, them);
  const send = directionKeys(pairKey, me.x, them.x);
  const recv = directionKeys(pairKey, them.x, me.x);
  return Object.freeze({ pairKey, sendKey: send.key, sendBind: send.bind, recvKey: recv.key, recvBind: recv.bind });
}

export function wipePairKeys(k: PairKeys): void {
  k.pairKey.fill(0);
  k.sendKey.fill(0);
  k.sendBind.fill(0);
  k.recvKey.fill(0);
  k.recvBind.fill(0);
}

/** Pair keys kept at most; covers a contact list (one X25519 per miss). */
export const PAIR_CACHE_SIZE = 4096;

/** Pair keys of one identity with its contacts, derived once each (bounded, least recently used out). */
export class PairCache {
  readonly backend: CryptoBackend;
  readonly me: Identity;
  readonly #max: number;
  readonly #map = new Map<string, Promise<PairKeys>>();

  constructor(backend: CryptoBackend, me: Identity, max = PAIR_CACHE_SIZE) {
    this.backend = backend;
    this.me = me;
    this.#max = max;
  }

  /** The keys for `them`; a rejected key (OpenError BAD_KEY) is not cached. */
  get(them: PublicKeys): Promise<PairKeys> {
    const k = keyOf(them);
    const hit = this.#map.get(k);
    if (hit !== undefined) {
      this.#map.delete(k);
      this.#map.set(k, hit);
      return hit;
    }
    const p = derivePairKeys(this.backend, this.me, them);
    this.#map.set(k, p);
    p.catch(() => {
      if (this.#map.get(k) === p) this.#map.delete(k);
    });
    // Evicted keys are only dropped (a frame being opened may still use them), not wiped.
    while (this.#map.size > this.#max) this.#drop(this.#map.keys().next().value!, false);
    return p;
  }

  /** Forgets and wipes the keys for `them`, e.g. when a contact is removed. */
  forget(them: PublicKeys): void {
    this.#drop(keyOf(them), true);
  }

  /** Forgets and wipes everything (when the identity is closed). */
  clear(): void {
    for (const k of [...this.#map.keys()]) this.#drop(k, true);
  }

  get size(): number {
    return this.#map.size;
  }

  #drop(k: string, wipe: boolean): void {
    const p = this.#map.get(k);
    this.#map.delete(k);
    if (wipe) p?.then(wipePairKeys, () => undefined);
  }
}

const keyMemo = new WeakMap<PublicKeys, { x: Uint8Array; ed: Uint8Array; key: string }>();

/** The cache key of a contact's keys, remembered per contact object while its keys stay the same. */
function keyOf(them: PublicKeys): string {
  const hit = keyMemo.get(them);
  if (hit !== undefined && equalBytes(hit.x, them.x) && equalBytes(hit.ed, them.ed)) return hit.key;
  const key = toHex(them.x) + toHex(them.ed);
  keyMemo.set(them, { x: them.x.slice(), ed: them.ed.slice(), key });
  return key;
}
