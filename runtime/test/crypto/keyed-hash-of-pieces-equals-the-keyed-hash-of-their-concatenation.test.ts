/**
 * keyedHashPieces (the signed regions of large frames are hashed where they lie, not copied):
 * against noble's keyed BLAKE3 of the concatenation, for inputs below, at and above the size
 * it copies up to (BLAKE3_PIECES_COPY_LIMIT), split at any points, at every output length the
 * protocol uses.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLAKE3_CHUNK_LENGTH, BLAKE3_PIECES_COPY_LIMIT, keyedHash, keyedHashPieces } from '../../src/crypto/index.ts';

const concat = (ps: Uint8Array[]): Uint8Array => Uint8Array.from(ps.flatMap((p) => [...p]));

/** A message of `length` bytes cut into pieces at the given points. */
function split(msg: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (msg.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, msg.length]) {
    out.push(msg.subarray(from, c));
    from = c;
  }
  return out;
}

const lengths = fc.oneof(
  fc.nat(2 * BLAKE3_CHUNK_LENGTH),
  fc.integer({ min: BLAKE3_PIECES_COPY_LIMIT - 70, max: BLAKE3_PIECES_COPY_LIMIT + 70 }),
  fc.integer({ min: BLAKE3_PIECES_COPY_LIMIT, max: 50 * BLAKE3_CHUNK_LENGTH }),
);

describe('keyedHashPieces', () => {
  it('equals keyed BLAKE3 of the concatenation (noble), however the input is cut', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), lengths, fc.array(fc.nat(), { maxLength: 6 }), fc.constantFrom(8, 16, 32), (key, length, cuts, outLen) => {
        const msg = Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff);
        const pieces = split(msg, cuts);
        const want = blake3(msg, { key, dkLen: outLen });
        expect(Buffer.from(keyedHashPieces(key, pieces, outLen)).toString('hex')).toBe(Buffer.from(want).toString('hex'));
        expect(concat(pieces)).toEqual(msg);
      }),
      { numRuns: 150 },
    );
  });

  it('agrees with keyedHash on a frame-sized region (the file chunk case)', () => {
    const key = new Uint8Array(32).fill(7);
    const head = new Uint8Array(94).fill(1);
    const payload = Uint8Array.from({ length: 49_300 }, (_, i) => i & 0xff);
    expect(keyedHashPieces(key, [head, payload], 32)).toEqual(keyedHash(key, concat([head, payload]), 32));
    expect(keyedHashPieces(key, [], 32)).toEqual(keyedHash(key, new Uint8Array(0), 32));
  });

  it('rejects a piece that is not bytes, and leaves the pieces as they were', () => {
    const key = new Uint8Array(32);
    expect(() => keyedHashPieces(key, [new Uint8Array(3), 'x' as never], 32)).toThrow(TypeError);
    const p = Uint8Array.of(1, 2, 3);
    keyedHashPieces(key, [p, p], 32);
    expect([...p]).toEqual([1, 2, 3]);
  });
});
