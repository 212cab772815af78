/**
 * BLAKE3 hash, keyed_hash and derive_key match every case of the official
 * test_vectors.json (BLAKE3-team/BLAKE3), at the default 32 bytes and at the
 * vectors' extended output length; the single-compression path (keyedHashShort)
 * matches every keyed_hash case of at most 64 bytes (0..8, 63, 64). The vectors have
 * no 32-byte input, so RouteKeystream (same compression function) is checked against
 * noble in route-keystream-matches-keyed-blake3.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Blake3Hasher, blake3KeyWords, deriveKey, hash, keyedHash, keyedHashShort } from '../../src/crypto/blake3.ts';
import { toHex, utf8 } from '../../src/crypto/bytes.ts';
import { blake3Input, readVectors, type Blake3Vectors } from './_vectors.ts';

const vectors = readVectors<Blake3Vectors>('blake3/test_vectors.json');
const key = utf8(vectors.key);
const context = vectors.context_string;

describe('BLAKE3 official vectors', () => {
  it('uses a 32-byte key', () => expect(key.length).toBe(32));

  describe.each(vectors.cases)('input_len $input_len', (c) => {
    const input = blake3Input(c.input_len);
    const extended = c.hash.length / 2;

    it('hash', () => {
      expect(toHex(hash(input, extended))).toBe(c.hash);
      expect(toHex(hash(input))).toBe(c.hash.slice(0, 64));
    });

    it('keyed_hash', () => {
      expect(toHex(keyedHash(key, input, extended))).toBe(c.keyed_hash);
      expect(toHex(keyedHash(key, input))).toBe(c.keyed_hash.slice(0, 64));
      expect(toHex(keyedHash(key, input, 8))).toBe(c.keyed_hash.slice(0, 16));
    });

    it('derive_key', () => {
      expect(toHex(deriveKey(context, input, extended))).toBe(c.derive_key);
      expect(toHex(deriveKey(context, input))).toBe(c.derive_key.slice(0, 64));
    });

    it('all three through the incremental hasher, fed in 1000-byte pieces', () => {
      const feed = (h: Blake3Hasher) => {
        for (let at = 0; at < input.length; at += 1000) h.update(input.subarray(at, at + 1000));
        return toHex(h.digest());
      };
      expect(feed(Blake3Hasher.plain())).toBe(c.hash.slice(0, 64));
      expect(feed(Blake3Hasher.keyed(key))).toBe(c.keyed_hash.slice(0, 64));
      expect(feed(Blake3Hasher.deriveKey(context))).toBe(c.derive_key.slice(0, 64));
    });
  });

  describe.each(vectors.cases.filter((c) => c.input_len <= 64))('single-compression path, input_len $input_len', (c) => {
    const input = blake3Input(c.input_len);
    it('keyedHashShort gives keyed_hash (32 and 8 bytes)', () => {
      const words = blake3KeyWords(key);
      const out = new Uint8Array(40).fill(0xaa);
      keyedHashShort(words, input, out, 3, 32);
      expect(toHex(out.subarray(3, 35))).toBe(c.keyed_hash.slice(0, 64));
      expect([...out.subarray(0, 3), ...out.subarray(35)]).toEqual(Array(8).fill(0xaa)); // nothing else written
      const out8 = new Uint8Array(8);
      keyedHashShort(words, input, out8, 0, 8);
      expect(toHex(out8)).toBe(c.keyed_hash.slice(0, 16));
    });
  });
});
