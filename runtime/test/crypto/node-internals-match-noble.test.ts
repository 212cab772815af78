/**
 * The node backend's JS half of XChaCha20, HChaCha20 (draft-irtf-cfrg-xchacha-03
 * §2.2), matches noble's hchacha, including the draft's §2.2.1 test vector.
 */
import { hchacha } from '@noble/ciphers/chacha.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hchacha20 } from '../../src/crypto/_hchacha.ts';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';

const SIGMA = Uint32Array.of(0x61707865, 0x3320646e, 0x79622d32, 0x6b206574);
const words = (b: Uint8Array): Uint32Array => new Uint32Array(b.slice().buffer); // little-endian hosts

function nobleHChaCha(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const out = new Uint32Array(8);
  hchacha(SIGMA, words(key), words(nonce16), out);
  return new Uint8Array(out.buffer);
}

describe('hchacha20', () => {
  it('matches draft-irtf-cfrg-xchacha-03 §2.2.1', () => {
    const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const nonce = fromHex('000000090000004a0000000031415927');
    const out = new Uint8Array(32);
    hchacha20(key, nonce, out);
    expect(toHex(out)).toBe('82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc');
  });

  it('matches noble hchacha on random keys and nonces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 24, maxLength: 24 }), (key, nonce) => {
        const out = new Uint8Array(32);
        hchacha20(key, nonce, out); // reads nonce[0..16)
        expect(out).toEqual(nobleHChaCha(key, nonce.slice(0, 16)));
      }),
      { numRuns: 200 },
    );
  });
});
