/**
 * The native backends cache imported keys per secret array (_keycache.ts). The
 * cache must never serve a stale key: overwriting the caller's array in place must
 * change the result exactly as noble's does, and results must not alias cache state.
 */
import { describe, expect, it } from 'vitest';
import { nobleBackend } from '../../src/crypto/noble.ts';
import { clearNodeKeyCaches } from '../../src/crypto/node.ts';
import { clearWebcryptoKeyCaches } from '../../src/crypto/webcrypto.ts';
import { NATIVE_BACKENDS } from './_backends.ts';

const message = new TextEncoder().encode('cache');

describe.each(NATIVE_BACKENDS)('$name key caches', (b) => {
  it('follow in-place changes of a seed array (sign, public keys, x25519)', async () => {
    const secret = new Uint8Array(32).fill(1);
    const peer = await nobleBackend.x25519PublicKey(new Uint8Array(32).fill(9));
    for (let round = 0; round < 4; round++) {
      secret.fill(round + 1);
      expect(await b.ed25519Sign(secret, message)).toEqual(await nobleBackend.ed25519Sign(secret, message));
      expect(await b.ed25519PublicKey(secret)).toEqual(await nobleBackend.ed25519PublicKey(secret));
      expect(await b.x25519PublicKey(secret)).toEqual(await nobleBackend.x25519PublicKey(secret));
      expect(await b.x25519(secret, peer)).toEqual(await nobleBackend.x25519(secret, peer));
      secret[31]! ^= 0x80; // one bit, same array
      expect(await b.ed25519Sign(secret, message)).toEqual(await nobleBackend.ed25519Sign(secret, message));
    }
  });

  it('return fresh arrays: mutating a result does not change the next one', async () => {
    const seed = new Uint8Array(32).fill(42);
    const first = await b.ed25519PublicKey(seed);
    const copy = first.slice();
    first.fill(0);
    expect(await b.ed25519PublicKey(seed)).toEqual(copy);
    const x = await b.x25519PublicKey(seed);
    x.fill(0);
    expect(await b.x25519PublicKey(seed)).toEqual(await nobleBackend.x25519PublicKey(seed));
  });

  it('verify keeps working across many distinct public keys (LRU eviction)', async () => {
    const seeds = Array.from({ length: 40 }, (_, i) => new Uint8Array(32).fill(i + 1));
    for (const s of seeds) {
      const pk = await nobleBackend.ed25519PublicKey(s);
      const sig = await nobleBackend.ed25519Sign(s, message);
      expect(await b.ed25519Verify(pk, message, sig)).toBe(true);
      expect(await b.ed25519Verify(pk, message.subarray(1), sig)).toBe(false);
    }
  });

  it('can be cleared', async () => {
    clearNodeKeyCaches();
    clearWebcryptoKeyCaches();
    const seed = new Uint8Array(32).fill(7);
    expect(await b.ed25519Sign(seed, message)).toEqual(await nobleBackend.ed25519Sign(seed, message));
  });
});
