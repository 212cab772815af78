/**
 * Differential tests: the node and webcrypto backends give the same results as the
 * noble reference on random inputs for every operation, and where one rejects an
 * input the other rejects it with the same error (spec/DESIGN.md "Crypto backends and key rules").
 * Generators mix in the hard cases: small-order and non-canonical keys, S + L,
 * torsion components, flipped bits, garbage and wrong lengths.
 */
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nobleBackend } from '../../src/crypto/noble.ts';
import { NATIVE_BACKENDS, outcome } from './_backends.ts';
import {
  NON_CANONICAL_SMALL_ORDER,
  P,
  SMALL_ORDER_POINTS,
  X25519_LOW_ORDER,
  honest,
  identityKeyForgery,
  le32,
  mixedOrderKey,
  mixedOrderR,
  sPlusL,
  withTopBit,
  type SignedCase,
} from './_crafted.ts';

const RUNS = { numRuns: 200 };
const TIMEOUT = 120_000;

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const seedArb = bytes(32);
const messageArb = fc.uint8Array({ maxLength: 300 });

const x25519PublicArb = fc.oneof(
  bytes(32), // about half have bit 255 set; many canonical ones lie on the twist
  bytes(32).map((b) => { b[31]! &= 0x7f; return b; }),
  seedArb.map((s) => nobleX25519.getPublicKey(s)),
  seedArb.map((s) => withTopBit(nobleX25519.getPublicKey(s))),
  fc.constantFrom(...X25519_LOW_ORDER, ...X25519_LOW_ORDER.map(withTopBit), le32(P), le32(P + 1n), le32(P - 1n)),
);

const KINDS = [
  'honest', 'flipSignature', 'flipMessage', 'flipKey', 'sPlusL', 'mixedOrderR', 'mixedOrderKey',
  'smallOrderKey', 'smallOrderR', 'identityForgery', 'nonCanonicalR', 'garbage', 'wrongLength',
] as const;

function flip(b: Uint8Array, bit: number): Uint8Array {
  const out = b.slice();
  if (out.length > 0) out[(bit >> 3) % out.length]! ^= 1 << (bit & 7);
  return out;
}

function withR(c: SignedCase, R: Uint8Array): SignedCase {
  const signature = c.signature.slice();
  signature.set(R, 0);
  return { ...c, signature };
}

const verifyCaseArb = fc
  .record({
    kind: fc.constantFrom(...KINDS),
    seed: seedArb,
    message: messageArb,
    bit: fc.nat(511),
    r: fc.bigInt({ min: 1n, max: 2n ** 252n }),
    garbage: bytes(64),
    small: fc.constantFrom(...SMALL_ORDER_POINTS, ...NON_CANONICAL_SMALL_ORDER),
    length: fc.constantFrom(0, 31, 63, 65, 96),
  })
  .map(({ kind, seed, message, bit, r, garbage, small, length }): SignedCase & { kind: string } => {
    const c = honest(seed, message);
    const cases: Record<(typeof KINDS)[number], () => SignedCase> = {
      honest: () => c,
      flipSignature: () => ({ ...c, signature: flip(c.signature, bit) }),
      flipMessage: () => ({ ...c, message: flip(c.message, bit) }),
      flipKey: () => ({ ...c, publicKey: flip(c.publicKey, bit) }),
      sPlusL: () => sPlusL(c),
      mixedOrderR: () => mixedOrderR(seed, message, r),
      mixedOrderKey: () => mixedOrderKey(seed, message, r),
      smallOrderKey: () => ({ ...c, publicKey: small }),
      smallOrderR: () => withR(c, small),
      identityForgery: () => identityKeyForgery(message),
      nonCanonicalR: () => withR(c, le32(P + BigInt(bit % 19))),
      garbage: () => ({ ...c, signature: garbage }),
      wrongLength: () => ({ ...c, signature: new Uint8Array(length).fill(bit & 0xff) }),
    };
    return { kind, ...cases[kind]() };
  });

describe.each(NATIVE_BACKENDS)('$name agrees with noble', (b) => {
  const noble = nobleBackend;

  it('x25519PublicKey', { timeout: TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(seedArb, async (s) => {
        expect(await b.x25519PublicKey(s)).toEqual(await noble.x25519PublicKey(s));
      }),
      RUNS,
    );
  });

  it('x25519: same shared secret or same rejection', { timeout: TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(seedArb, x25519PublicArb, async (s, pub) => {
        expect(await outcome(b.x25519(s, pub))).toEqual(await outcome(noble.x25519(s, pub)));
      }),
      RUNS,
    );
  });

  it('ed25519PublicKey and ed25519Sign', { timeout: TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(seedArb, messageArb, async (s, m) => {
        expect(await b.ed25519PublicKey(s)).toEqual(await noble.ed25519PublicKey(s));
        expect(await b.ed25519Sign(s, m)).toEqual(await noble.ed25519Sign(s, m));
      }),
      RUNS,
    );
  });

  it('ed25519Verify: same verdict on honest, mutated, malleated, small-order and mixed-order cases', { timeout: TIMEOUT }, async () => {
    const verdicts = new Map<string, Set<boolean>>();
    await fc.assert(
      fc.asyncProperty(verifyCaseArb, async (c) => {
        const want = await noble.ed25519Verify(c.publicKey, c.message, c.signature);
        expect(await b.ed25519Verify(c.publicKey, c.message, c.signature)).toBe(want);
        if (!verdicts.has(c.kind)) verdicts.set(c.kind, new Set());
        verdicts.get(c.kind)!.add(want);
      }),
      { numRuns: 300 },
    );
    // the generator reached both verdicts (honest always true, attacks false)
    expect(verdicts.get('honest')).toEqual(new Set([true]));
    for (const k of ['sPlusL', 'smallOrderKey', 'smallOrderR', 'identityForgery', 'mixedOrderR', 'garbage']) {
      expect(verdicts.get(k) ?? new Set([false])).toEqual(new Set([false]));
    }
  });

  it('xchachaSeal, xchachaSealSync / xchachaOpen, including tampered ciphertexts', { timeout: TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(bytes(32), bytes(24), messageArb, fc.uint8Array({ maxLength: 64 }), fc.nat(), async (k, n, pt, ad, bit) => {
        const sealed = await noble.xchachaSeal(k, n, pt, ad);
        expect(await b.xchachaSeal(k, n, pt, ad)).toEqual(sealed);
        expect(b.xchachaSealSync(k, n, pt, ad)).toEqual(sealed);
        expect(await b.xchachaOpen(k, n, sealed, ad)).toEqual(pt);
        const tampered = flip(sealed, bit);
        const rejected = { error: 'DECRYPT_FAILED' };
        expect(await outcome(b.xchachaOpen(k, n, tampered, ad))).toEqual(rejected);
        expect(await outcome(noble.xchachaOpen(k, n, tampered, ad))).toEqual(rejected);
        const truncated = sealed.subarray(0, bit % 16);
        expect(await outcome(b.xchachaOpen(k, n, truncated, ad))).toEqual(rejected);
      }),
      RUNS,
    );
  });
});
