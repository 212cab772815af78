/**
 * What the ratchet needs from outside: the crypto backend, randomness and a clock. `dh` exists
 * so that one test can simulate a break of X25519 (every DH output known to the attacker) and
 * show the ML-KEM secret still protects what follows; production code never sets it.
 */
import { randomBytes, type CryptoBackend } from '../../crypto/index.ts';
import { dh as checkedDh } from '../pair.ts';

export interface RatchetDeps {
  backend: CryptoBackend;
  /** Randomness: ratchet keys, KEM seeds, encapsulations, nonces (default: the secure generator). */
  random?: (n: number) => Uint8Array;
  /** Clock in ms (default Date.now): skipped-key ages. */
  now?: () => number;
  /** Test seam only: replaces X25519 inside the ratchet (see above). */
  dh?: (secret: Uint8Array, publicKey: Uint8Array) => Promise<Uint8Array>;
}

export function rand(d: RatchetDeps, n: number): Uint8Array {
  return (d.random ?? randomBytes)(n);
}

export function nowOf(d: RatchetDeps): number {
  return (d.now ?? Date.now)();
}

/** X25519 with the spec's key checks (OpenError BAD_KEY), or the test seam. */
export function dhOf(d: RatchetDeps, secret: Uint8Array, publicKey: Uint8Array, what: string): Promise<Uint8Array> {
  return d.dh ? d.dh(secret, publicKey) : checkedDh(d.backend, secret, publicKey, what);
}

/** A fresh X25519 key pair from KEY_SIZE random bytes. */
export async function newDhKeyPair(d: RatchetDeps, size: number): Promise<{ secret: Uint8Array; publicKey: Uint8Array }> {
  const secret = rand(d, size);
  return { secret, publicKey: await d.backend.x25519PublicKey(secret) };
}
