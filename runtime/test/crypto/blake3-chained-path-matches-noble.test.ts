/**
 * Differential tests of the runtime's own BLAKE3 paths against @noble/hashes: hash,
 * keyed_hash and derive_key of inputs up to one chunk (chained compressions, cached
 * derive_key context keys) and beyond it (the chunk tree, up to 17 chunks: every shape of
 * stack merges up to depth 5), at every output length; many and long
 * contexts (past the context-key cache); and routeMask8, the route mask on key words at an
 * offset, against RouteKeystream and noble.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BLAKE3_CHUNK_LENGTH,
  Blake3Hasher,
  BLAKE3_CONTEXT_CACHE_SIZE,
  RouteKeystream,
  blake3KeyWords,
  blake3KeyWordsInto,
  deriveKey,
  hash,
  keyedHash,
  routeMask8,
} from '../../src/crypto/blake3.ts';
import { utf8 } from '../../src/crypto/bytes.ts';

const RUNS = { numRuns: 300 };
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
/** Lengths around every block boundary of the first chunk and just past it. */
const lengthArb = fc.oneof(
  fc.nat(2 * BLAKE3_CHUNK_LENGTH + 100),
  fc.nat(17 * BLAKE3_CHUNK_LENGTH),
  fc.tuple(fc.integer({ min: 1, max: 17 }), fc.constantFrom(-1, 0, 1)).map(([k, d]) => k * BLAKE3_CHUNK_LENGTH + d),
  fc.constantFrom(0, 1, 63, 64, 65, 127, 128, 129, 511, 512, 960, 1023, 1024, 1025, 2048, 2049, 3072, 3073, 4096, 4097, 8193, 16385),
);
const inputArb = lengthArb.chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
const outLenArb = fc.oneof(fc.integer({ min: 1, max: 32 }), fc.constantFrom(8, 16, 30, 32, 33, 64, 100));

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('BLAKE3 chained path matches noble', () => {
  it('hash', () => {
    fc.assert(
      fc.property(inputArb, outLenArb, (input, outLen) => {
        expect(hex(hash(input, outLen))).toBe(hex(blake3(input, { dkLen: outLen })));
      }),
      RUNS,
    );
  });

  it('keyed_hash', () => {
    fc.assert(
      fc.property(bytes(32), inputArb, outLenArb, (key, input, outLen) => {
        const keyCopy = key.slice();
        expect(hex(keyedHash(key, input, outLen))).toBe(hex(blake3(input, { key, dkLen: outLen })));
        expect(key).toEqual(keyCopy);
      }),
      RUNS,
    );
  });

  it('derive_key with the protocol\'s contexts and with arbitrary ones', () => {
    const contextArb = fc.oneof(
      fc.constantFrom('parley v1 transcript challenge', 'parley v1 hello statics', 'parley v1 session', 'parley v1 route c2r'),
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
    );
    fc.assert(
      fc.property(contextArb, inputArb, outLenArb, (context, material, outLen) => {
        const want = hex(blake3(material, { context: utf8(context), dkLen: outLen }));
        expect(hex(deriveKey(context, material, outLen))).toBe(want);
        expect(hex(deriveKey(context, material, outLen))).toBe(want); // again, from the context-key cache
      }),
      RUNS,
    );
  });

  it('derive_key past the context-key cache and with contexts of one block, one chunk and more', () => {
    const material = Uint8Array.from({ length: 100 }, (_, i) => i);
    const contexts = [
      ...Array.from({ length: 2 * BLAKE3_CONTEXT_CACHE_SIZE + 5 }, (_, i) => `parley test context ${i}`),
      'x'.repeat(64),
      'y'.repeat(65),
      'z'.repeat(BLAKE3_CHUNK_LENGTH),
      'w'.repeat(BLAKE3_CHUNK_LENGTH + 1),
      'é'.repeat(700), // 1400 bytes of UTF-8
    ];
    for (let round = 0; round < 2; round++) {
      for (const context of contexts) {
        expect(hex(deriveKey(context, material)), context.slice(0, 30)).toBe(hex(blake3(material, { context: utf8(context), dkLen: 32 })));
      }
    }
  });
});

describe('routeMask8 (key words at an offset) matches RouteKeystream and noble', () => {
  it('XORs KH(key, u64le(counter) || nonce)[0..8] into the target, for a key anywhere in a word array', () => {
    fc.assert(
      fc.property(
        bytes(32),
        fc.nat(4),
        fc.oneof(fc.maxSafeNat(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
        fc.uint8Array({ minLength: 40, maxLength: 120 }),
        (key, slot, counter, frame) => {
          const words = new Uint32Array(40).fill(0xdeadbeef);
          blake3KeyWordsInto(key, words, slot * 8);
          expect([...words.subarray(slot * 8, slot * 8 + 8)]).toEqual([...blake3KeyWords(key)]);
          const viaWords = frame.slice();
          routeMask8(words, slot * 8, counter, viaWords, 8, viaWords, 0);
          const viaStream = frame.slice();
          new RouteKeystream(key).mask8(counter, viaStream, 8, viaStream, 0);
          expect(hex(viaWords)).toBe(hex(viaStream));
          const input = new Uint8Array(32);
          new DataView(input.buffer).setBigUint64(0, BigInt(counter), true);
          input.set(frame.subarray(8, 32), 8);
          const ks = blake3(input, { key, dkLen: 8 });
          expect(hex(viaWords.subarray(0, 8))).toBe(hex(frame.subarray(0, 8).map((b, i) => b ^ ks[i]!)));
          expect(hex(viaWords.subarray(8))).toBe(hex(frame.subarray(8)));
        },
      ),
      RUNS,
    );
  });

  it('checks its arguments', () => {
    const words = new Uint32Array(16);
    const frame = new Uint8Array(64);
    expect(() => routeMask8(words, 9, 0, frame, 8, frame, 0)).toThrow(RangeError);
    expect(() => routeMask8(words, -1, 0, frame, 8, frame, 0)).toThrow(RangeError);
    expect(() => routeMask8(words, 0.5, 0, frame, 8, frame, 0)).toThrow(RangeError);
    expect(() => routeMask8(new Uint8Array(32) as unknown as Uint32Array, 0, 0, frame, 8, frame, 0)).toThrow(TypeError);
    expect(() => routeMask8(words, 8, -1, frame, 8, frame, 0)).toThrow(RangeError);
    expect(() => routeMask8(words, 8, 0, frame, 41, frame, 0)).toThrow(RangeError);
    expect(() => routeMask8(words, 8, 0, frame, 8, frame, 57)).toThrow(RangeError);
    expect(() => blake3KeyWordsInto(new Uint8Array(32), words, 9)).toThrow(RangeError);
  });

  it('the incremental hasher gives the one-shot result however the input is split', () => {
    const splitsArb = fc.array(fc.nat(5000), { maxLength: 12 });
    fc.assert(
      fc.property(bytes(32), inputArb, splitsArb, (key, input, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
        const feed = (h: Blake3Hasher) => {
          let at = 0;
          for (const p of [...points, input.length]) {
            h.update(input.subarray(at, p));
            at = p;
          }
          return hex(h.digest());
        };
        expect(feed(Blake3Hasher.plain())).toBe(hex(blake3(input)));
        expect(feed(Blake3Hasher.keyed(key))).toBe(hex(blake3(input, { key })));
        expect(feed(Blake3Hasher.deriveKey('parley v1 file digest'))).toBe(hex(blake3(input, { context: utf8('parley v1 file digest') })));
      }),
      RUNS,
    );
  });

  it('the incremental hasher refuses use after digest', () => {
    const h = Blake3Hasher.plain().update(new Uint8Array(3));
    h.digest();
    expect(() => h.update(new Uint8Array(1))).toThrow(/after digest/);
    expect(() => h.digest()).toThrow(/twice/);
  });
});
