/**
 * The single-compression BLAKE3 paths match noble's keyed BLAKE3: RouteKeystream
 * (KH(K_route, u64le(counter) || nonce24)[0..8], spec/DESIGN.md "Route masking"),
 * keyedHashShort and the keyedHash fast path, on random keys, counters and nonces.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RouteKeystream, blake3KeyWords, keyedHash, keyedHashShort, keyedHashSplit } from '../../src/crypto/blake3.ts';

const RUNS = { numRuns: 200 };
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

/** The reference: noble keyed BLAKE3 over u64le(counter) || nonce, first 8 bytes. */
function reference(key: Uint8Array, counter: bigint, nonce: Uint8Array): Uint8Array {
  const input = new Uint8Array(32);
  new DataView(input.buffer).setBigUint64(0, counter, true);
  input.set(nonce, 8);
  return blake3(input, { key, dkLen: 8 });
}

const counterArb = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.maxSafeNat(),
  fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER, 2n ** 64n - 1n, 2n ** 63n),
);

describe('RouteKeystream matches noble keyed BLAKE3', () => {
  it('mask8 XORs KH(key, u64le(counter) || nonce)[0..8] into the target', () => {
    fc.assert(
      fc.property(bytes(32), counterArb, fc.uint8Array({ minLength: 24, maxLength: 80 }), fc.nat(), bytes(8), (key, counter, buf, o, id) => {
        const nonceOffset = o % (buf.length - 23);
        const nonce = buf.slice(nonceOffset, nonceOffset + 24);
        const target = new Uint8Array(20);
        target.set(id, 5);
        new RouteKeystream(key).mask8(counter, buf, nonceOffset, target, 5);
        const ks = reference(key, BigInt(counter), nonce);
        expect(target.subarray(5, 13)).toEqual(id.map((x, i) => x ^ ks[i]!));
        expect([...target.subarray(0, 5), ...target.subarray(13)]).toEqual(Array(12).fill(0));
      }),
      RUNS,
    );
  });

  it('masks a frame in place: [route 8][nonce 24]..., and masking twice restores the route', () => {
    fc.assert(
      fc.property(bytes(32), fc.maxSafeNat(), fc.uint8Array({ minLength: 40, maxLength: 120 }), (key, counter, frame) => {
        const original = frame.slice();
        const rk = new RouteKeystream(key);
        rk.mask8(counter, frame, 8, frame, 0);
        const ks = reference(key, BigInt(counter), original.subarray(8, 32));
        expect(frame.subarray(0, 8)).toEqual(original.subarray(0, 8).map((x, i) => x ^ ks[i]!));
        expect(frame.subarray(8)).toEqual(original.subarray(8));
        rk.mask8(counter, frame, 8, frame, 0);
        expect(frame).toEqual(original);
      }),
      RUNS,
    );
  });

  it('keystream8 writes the keystream itself; number and bigint counters agree', () => {
    fc.assert(
      fc.property(bytes(32), fc.maxSafeNat(), bytes(24), (key, counter, nonce) => {
        const rk = new RouteKeystream(key);
        const [a, b] = [new Uint8Array(8), new Uint8Array(8)];
        rk.keystream8(counter, nonce, 0, a, 0);
        rk.keystream8(BigInt(counter), nonce, 0, b, 0);
        expect(a).toEqual(reference(key, BigInt(counter), nonce));
        expect(b).toEqual(a);
      }),
      RUNS,
    );
  });

  it('rejects bad counters, offsets and use after destroy()', () => {
    const rk = new RouteKeystream(new Uint8Array(32));
    const frame = new Uint8Array(40);
    expect(() => rk.mask8(-1, frame, 8, frame, 0)).toThrow(RangeError);
    expect(() => rk.mask8(2 ** 53, frame, 8, frame, 0)).toThrow(RangeError);
    expect(() => rk.mask8(1.5, frame, 8, frame, 0)).toThrow(RangeError);
    expect(() => rk.mask8(2n ** 64n, frame, 8, frame, 0)).toThrow(RangeError);
    expect(() => rk.mask8('1' as never, frame, 8, frame, 0)).toThrow(TypeError);
    expect(() => rk.mask8(0, frame, 17, frame, 0)).toThrow(/nonceOffset/);
    expect(() => rk.mask8(0, frame, 8, frame, 33)).toThrow(/targetOffset/);
    expect(() => new RouteKeystream(new Uint8Array(31))).toThrow(/key must be 32 bytes, got 31/);
    rk.destroy();
    expect(() => rk.mask8(0, frame, 8, frame, 0)).toThrow(/destroy/);
  });
});

describe('keyedHashShort and keyedHash match noble keyed BLAKE3', () => {
  it('keyedHashShort for every input length 0..64 and output length 1..64 (the whole root output block)', () => {
    fc.assert(
      fc.property(bytes(32), fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 64 }), (key, input, outLen) => {
        const out = new Uint8Array(outLen + 4);
        keyedHashShort(blake3KeyWords(key), input, out, 2, outLen);
        expect(out.subarray(2, 2 + outLen)).toEqual(blake3(input, { key, dkLen: outLen }));
      }),
      RUNS,
    );
  });

  it('keyedHash (fast paths up to 64 bytes in / 64 out, noble above)', () => {
    fc.assert(
      fc.property(bytes(32), fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 100 }), (key, input, outLen) => {
        expect(keyedHash(key, input, outLen)).toEqual(blake3(input, { key, dkLen: outLen }));
      }),
      RUNS,
    );
  });

  it('keyedHashSplit writes the 64-byte hash of one block as two halves', () => {
    fc.assert(
      fc.property(bytes(32), fc.uint8Array({ maxLength: 64 }), (key, input) => {
        const expected = blake3(input, { key, dkLen: 64 });
        const first = new Uint8Array(32);
        const second = new Uint8Array(32);
        keyedHashSplit(key, input, first, second);
        expect(first).toEqual(expected.subarray(0, 32));
        expect(second).toEqual(expected.subarray(32));
      }),
      RUNS,
    );
    expect(() => keyedHashSplit(new Uint8Array(32), new Uint8Array(65), new Uint8Array(32), new Uint8Array(32))).toThrow(/at most 64 bytes/);
    expect(() => keyedHashSplit(new Uint8Array(32), new Uint8Array(1), new Uint8Array(31), new Uint8Array(32))).toThrow(RangeError);
  });

  it('keyedHashShort refuses inputs over one block', () => {
    const words = blake3KeyWords(new Uint8Array(32));
    expect(() => keyedHashShort(words, new Uint8Array(65), new Uint8Array(32))).toThrow(/at most 64 bytes/);
    expect(() => keyedHashShort(new Uint32Array(7), new Uint8Array(1), new Uint8Array(32))).toThrow(RangeError);
    expect(() => keyedHashShort(words, new Uint8Array(1), new Uint8Array(31))).toThrow(/outOffset/);
    expect(() => keyedHashShort(words, new Uint8Array(1), new Uint8Array(65), 0, 65)).toThrow(/outLen/);
  });
});
