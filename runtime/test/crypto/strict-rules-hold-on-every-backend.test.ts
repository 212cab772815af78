/**
 * The strict rules of README.md ("Rules") hold on every backend: Ed25519 rejects
 * S >= L, small-order and non-canonical A and R, and uses the cofactorless equation;
 * X25519 rejects non-canonical (bit 255 included) and low-order public keys.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { ALL_BACKENDS, outcome } from './_backends.ts';
import {
  NON_CANONICAL_SMALL_ORDER,
  ORDER_8_POINT,
  P,
  SMALL_ORDER_POINTS,
  X25519_LOW_ORDER,
  challengeMod8,
  honest,
  identityKeyForgery,
  le32,
  mixedOrderKey,
  mixedOrderR,
  sPlusL,
  withTopBit,
  type SignedCase,
} from './_crafted.ts';

const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
const message = new TextEncoder().encode('parley strict rules');
const good = honest(seed, message);
const mixedR = mixedOrderR(seed, message, 987654321n);

/** Mixed-order-key signatures for messages 0, 1, 2, ...: the first with k = 0 mod 8 and the first without. */
function mixedOrderKeyCases(): { accepted: SignedCase; rejected: SignedCase } {
  let accepted: SignedCase | undefined;
  let rejected: SignedCase | undefined;
  for (let i = 0; accepted === undefined || rejected === undefined; i++) {
    const c = mixedOrderKey(seed, Uint8Array.of(i & 0xff, i >> 8), 1234567n + BigInt(i));
    if (challengeMod8(c) === 0) accepted ??= c;
    else rejected ??= c;
  }
  return { accepted, rejected };
}
const mixedKey = mixedOrderKeyCases();

describe('crafted inputs are what they claim', () => {
  it('the torsion point has order exactly 8', () => {
    expect(ORDER_8_POINT.double().double().double().is0()).toBe(true);
    expect(ORDER_8_POINT.double().double().is0()).toBe(false);
  });
  it('noble’s own cofactored verify accepts the mixed-order cases our rules reject', () => {
    for (const c of [mixedR, mixedKey.rejected]) {
      expect(ed25519.verify(c.signature, c.message, c.publicKey, { zip215: false })).toBe(true);
    }
  });
  it('the identity-key forgery verifies under ZIP-215 rules', () => {
    const c = identityKeyForgery(message);
    expect(ed25519.verify(c.signature, c.message, c.publicKey, { zip215: true })).toBe(true);
  });
});

describe.each(ALL_BACKENDS)('$name backend', (b) => {
  const verify = (c: SignedCase): Promise<boolean> => b.ed25519Verify(c.publicKey, c.message, c.signature);

  describe('Ed25519 verification is strict', () => {
    it('accepts an honest signature', async () => expect(await verify(good)).toBe(true));

    it('rejects S + L (malleability)', async () => expect(await verify(sPlusL(good))).toBe(false));

    it('rejects S = L and S = 2^256 - 1', async () => {
      const L = ed25519.Point.Fn.ORDER;
      for (const S of [L, 2n ** 256n - 1n]) {
        const sig = good.signature.slice();
        sig.set(le32(S), 32);
        expect(await b.ed25519Verify(good.publicKey, message, sig)).toBe(false);
      }
    });

    it('rejects every small-order public key, even with a signature valid under ZIP-215', async () => {
      expect(await verify(identityKeyForgery(message))).toBe(false);
      for (const A of [...SMALL_ORDER_POINTS, ...NON_CANONICAL_SMALL_ORDER]) {
        expect(await b.ed25519Verify(A, message, good.signature)).toBe(false);
        expect(await b.ed25519Verify(A, message, identityKeyForgery(message).signature)).toBe(false);
      }
    });

    it('rejects every small-order R', async () => {
      for (const R of [...SMALL_ORDER_POINTS, ...NON_CANONICAL_SMALL_ORDER]) {
        const sig = good.signature.slice();
        sig.set(R, 0);
        expect(await b.ed25519Verify(good.publicKey, message, sig)).toBe(false);
      }
    });

    it('rejects a non-canonical public key (y >= p) and a non-canonical R', async () => {
      const nonCanonicalA = le32(P + 3n); // y = 3 + p
      expect(await b.ed25519Verify(nonCanonicalA, message, good.signature)).toBe(false);
      const sig = good.signature.slice();
      sig.set(le32(P + 3n), 0);
      expect(await b.ed25519Verify(good.publicKey, message, sig)).toBe(false);
    });

    it('uses the cofactorless equation: rejects R + T (T of order 8)', async () => {
      expect(await verify(mixedR)).toBe(false);
    });

    it('uses the cofactorless equation for a mixed-order key: accepts iff k = 0 mod 8', async () => {
      expect(await verify(mixedKey.accepted)).toBe(true);
      expect(await verify(mixedKey.rejected)).toBe(false);
    });

    it('returns false (does not throw) for wrong lengths, undecodable points and flipped bits', async () => {
      expect(await b.ed25519Verify(good.publicKey, message, good.signature.subarray(0, 63))).toBe(false);
      expect(await b.ed25519Verify(good.publicKey, message, new Uint8Array(65))).toBe(false);
      expect(await b.ed25519Verify(good.publicKey.subarray(0, 31), message, good.signature)).toBe(false);
      expect(await b.ed25519Verify(le32(2n), message, good.signature)).toBe(false); // y = 2: no point
      for (const bit of [0, 100, 255, 256, 511]) {
        const sig = good.signature.slice();
        sig[bit >> 3]! ^= 1 << (bit & 7);
        expect(await b.ed25519Verify(good.publicKey, message, sig)).toBe(false);
      }
    });
  });

  describe('X25519 rejects non-canonical and low-order public keys', () => {
    const secret = seed;

    it('rejects each canonical low-order u with LOW_ORDER', async () => {
      for (const u of X25519_LOW_ORDER) {
        expect(await outcome(b.x25519(secret, u))).toEqual({ error: 'LOW_ORDER' });
      }
    });

    it('rejects u >= p (p, p + 1, 2^255 - 1) with NON_CANONICAL', async () => {
      for (const u of [P, P + 1n, 2n ** 255n - 1n]) {
        expect(await outcome(b.x25519(secret, le32(u)))).toEqual({ error: 'NON_CANONICAL' });
      }
    });

    it('rejects bit 255 set, even on an otherwise valid key, with NON_CANONICAL', async () => {
      const peer = await b.x25519PublicKey(Uint8Array.from({ length: 32 }, (_, i) => 200 - i));
      expect((await outcome(b.x25519(secret, peer))).hasOwnProperty('ok')).toBe(true);
      expect(await outcome(b.x25519(secret, withTopBit(peer)))).toEqual({ error: 'NON_CANONICAL' });
      for (const u of X25519_LOW_ORDER) {
        expect(await outcome(b.x25519(secret, withTopBit(u)))).toEqual({ error: 'NON_CANONICAL' });
      }
    });

    it('accepts p - 2 and a point on the twist (u = 2)', async () => {
      for (const u of [P - 2n, 2n]) expect(await outcome(b.x25519(secret, le32(u)))).toHaveProperty('ok');
    });

    it('agrees on a shared secret in both directions', async () => {
      const other = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
      const [pa, pb] = [await b.x25519PublicKey(secret), await b.x25519PublicKey(other)];
      expect(await b.x25519(secret, pb)).toEqual(await b.x25519(other, pa));
    });
  });
});
