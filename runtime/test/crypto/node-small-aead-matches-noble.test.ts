/**
 * The node backend's JS ChaCha20-Poly1305 for short messages (`_chacha_small.ts`, used up to
 * SMALL_AEAD_MAX plaintext bytes instead of OpenSSL) computes exactly RFC 8439 §2.8: the
 * §2.8.2 vector, noble's output on random keys, nonces, lengths and associated data (across the
 * block and padding boundaries and past the threshold), every Wycheproof chacha20_poly1305 case
 * with a 96-bit nonce (their special cases hit Poly1305's final reduction), a tag that fails
 * on any changed bit, and Poly1305 itself against noble with r, s and every message byte at
 * their largest (the bound that keeps the 22-bit limb products exact).
 */
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SMALL_AEAD_MAX, chachaSmallOpen, chachaSmallSeal, poly1305WholeBlocks } from '../../src/crypto/_chacha_small.ts';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { nodeBackend } from '../../src/crypto/node.ts';
import { readVectors, wycheproofCases, type AeadCase, type WycheproofFile } from './_vectors.ts';

const wycheproof = wycheproofCases(readVectors<WycheproofFile<{ tests: AeadCase[] }>>('wycheproof/chacha20_poly1305_test.json')).filter((t) => t.iv.length === 24);

const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });

describe('small-message ChaCha20-Poly1305', () => {
  it('matches RFC 8439 §2.8.2', () => {
    const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = fromHex('070000004041424344454647');
    const ad = fromHex('50515253c0c1c2c3c4c5c6c7');
    const pt = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    const out = chachaSmallSeal(key, nonce, pt, ad);
    expect(toHex(out.subarray(pt.length))).toBe('1ae10b594f09e26a7e902ecbd0600691');
    expect(toHex(out.subarray(0, 16))).toBe('d31a8d34648e60db7b86afbc53ef7ec2');
    expect(chachaSmallOpen(key, nonce, out, ad)).toEqual(pt);
  });

  it.each(wycheproof)('passes Wycheproof tcId $tcId $result $comment', (t) => {
    const [key, iv, aad, msg] = [fromHex(t.key), fromHex(t.iv), fromHex(t.aad), fromHex(t.msg)];
    const sealed = fromHex(t.ct + t.tag);
    if (t.result === 'valid') {
      expect(toHex(chachaSmallSeal(key, iv, msg, aad))).toBe(t.ct + t.tag);
      expect(chachaSmallOpen(key, iv, sealed, aad)).toEqual(msg);
    } else {
      expect(chachaSmallOpen(key, iv, sealed, aad)).toBeNull();
    }
  });

  it('matches noble on random keys, nonces, plaintexts and associated data', () => {
    fc.assert(
      fc.property(bytes(32, 32), bytes(12, 12), bytes(0, SMALL_AEAD_MAX + 70), bytes(0, 200), (key, nonce, pt, ad) => {
        const expected = chacha20poly1305(key, nonce, ad).encrypt(pt);
        const got = chachaSmallSeal(key, nonce, pt, ad);
        expect(toHex(got)).toBe(toHex(expected));
        expect(chachaSmallOpen(key, nonce, expected, ad)).toEqual(pt);
      }),
      { numRuns: 400 },
    );
  });

  it('refuses a ciphertext, tag or associated data with one bit changed', () => {
    fc.assert(
      fc.property(bytes(32, 32), bytes(12, 12), bytes(1, SMALL_AEAD_MAX), bytes(1, 80), fc.nat(), fc.boolean(), (key, nonce, pt, ad, pos, inAd) => {
        const ct = chachaSmallSeal(key, nonce, pt, ad);
        const target = inAd ? ad.slice() : ct.slice();
        const i = pos % target.length;
        target[i]! ^= 1 << (pos % 8);
        expect(inAd ? chachaSmallOpen(key, nonce, ct, target) : chachaSmallOpen(key, nonce, target, ad)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('computes Poly1305 as noble does with r, s and the message at their largest', () => {
    const ones = new Uint8Array(32).fill(0xff); // r clamps to its largest value, s = 2^128 - 1
    for (let blocks = 0; blocks <= 12; blocks++) {
      const msg = new Uint8Array(16 * blocks).fill(0xff);
      expect(toHex(poly1305WholeBlocks(ones, msg))).toBe(toHex(poly1305(msg, ones)));
    }
    fc.assert(
      fc.property(bytes(32, 32), fc.integer({ min: 0, max: 16 }), fc.boolean(), (key, blocks, high) => {
        const msg = new Uint8Array(16 * blocks).map((_, i) => (high ? 0xff - (i % 3) : (key[i % 32]! * 31 + i) & 0xff));
        expect(toHex(poly1305WholeBlocks(key, msg))).toBe(toHex(poly1305(msg, key)));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the node backend the XChaCha20-Poly1305 of noble on both sides of the threshold', async () => {
    await fc.assert(
      fc.asyncProperty(bytes(32, 32), bytes(24, 24), fc.integer({ min: 0, max: 2 * SMALL_AEAD_MAX }), bytes(0, 100), async (key, nonce, n, ad) => {
        const pt = new Uint8Array(n).map((_, i) => (i * 7 + key[0]!) & 0xff);
        const expected = xchacha20poly1305(key, nonce, ad).encrypt(pt);
        expect(toHex(await nodeBackend.xchachaSeal(key, nonce, pt, ad))).toBe(toHex(expected));
        expect(await nodeBackend.xchachaOpen(key, nonce, expected, ad)).toEqual(pt);
        const bad = expected.slice();
        bad[bad.length - 1]! ^= 0x80;
        await expect(nodeBackend.xchachaOpen(key, nonce, bad, ad)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
      }),
      { numRuns: 200 },
    );
  });
});
