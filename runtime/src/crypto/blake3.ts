/**
 * BLAKE3 (https://github.com/BLAKE3-team/BLAKE3-specs): hash, keyed hash and
 * derive_key on @noble/hashes, plus a fast path for keyed hashes of inputs that
 * fit in one 64-byte block (one compression), and `RouteKeystream`, the relay's
 * per-frame route mask (DESIGN.md "The frame"):
 *
 *   route = id XOR KH(K_route_dir, u64le(counter) || nonce24)[0..8]
 *
 * The 32-byte input is one block of one chunk, so the keystream costs exactly one
 * compression with flags CHUNK_START | CHUNK_END | ROOT | KEYED_HASH.
 */
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import { abytes, aint, astring } from './_assert.ts';
import {
  CHUNK_END,
  CHUNK_START,
  KEYED_HASH,
  ROOT,
  compressRoot,
  wordsLE,
} from './_blake3_compress.ts';
import { utf8 } from './bytes.ts';

export const BLAKE3_KEY_LENGTH = 32;
/** Largest output we produce. Far above any use in the protocol (32 or 64 bytes); bounds allocation. */
export const BLAKE3_MAX_OUTPUT = 65536;
/** The single-compression fast path covers inputs up to one block. */
export const BLAKE3_BLOCK_LENGTH = 64;

const KEYED_SINGLE_BLOCK = CHUNK_START | CHUNK_END | ROOT | KEYED_HASH;

/** BLAKE3 hash of `msg`, `outLen` bytes (extended output above 32). */
export function hash(msg: Uint8Array, outLen = 32): Uint8Array {
  abytes(msg, 'msg');
  aint(outLen, 'outLen', 1, BLAKE3_MAX_OUTPUT);
  return nobleBlake3(msg, { dkLen: outLen });
}

// Scratch for the single-block path. Safe to share: JS runs each call to completion.
const M = new Uint32Array(16);
const OUT = new Uint32Array(8);
const KEY = new Uint32Array(8);

/** BLAKE3 keyed hash (MAC) of `msg` under a 32-byte key. */
export function keyedHash(key: Uint8Array, msg: Uint8Array, outLen = 32): Uint8Array {
  abytes(key, 'key', BLAKE3_KEY_LENGTH);
  abytes(msg, 'msg');
  aint(outLen, 'outLen', 1, BLAKE3_MAX_OUTPUT);
  if (msg.length > BLAKE3_BLOCK_LENGTH || outLen > 32) return nobleBlake3(msg, { key, dkLen: outLen });
  wordsLE(key, 0, KEY, 8);
  const out = new Uint8Array(outLen);
  singleBlock(KEY, msg, out, 0, outLen);
  KEY.fill(0);
  return out;
}

/**
 * BLAKE3 derive_key: context string (constant, never variable data; DESIGN.md
 * "Notation") and key material, `outLen` bytes.
 */
export function deriveKey(context: string, material: Uint8Array, outLen = 32): Uint8Array {
  astring(context, 'context');
  abytes(material, 'material');
  aint(outLen, 'outLen', 1, BLAKE3_MAX_OUTPUT);
  return nobleBlake3(material, { context: utf8(context), dkLen: outLen });
}

/** The 8 little-endian words of a 32-byte BLAKE3 key, for `keyedHashShort`. */
export function blake3KeyWords(key: Uint8Array): Uint32Array {
  abytes(key, 'key', BLAKE3_KEY_LENGTH);
  const words = new Uint32Array(8);
  wordsLE(key, 0, words, 8);
  return words;
}

/**
 * Keyed hash of an input of at most 64 bytes in one compression, written to
 * out[outOffset..outOffset+outLen) (outLen <= 32). No allocation.
 */
export function keyedHashShort(
  keyWords: Uint32Array,
  input: Uint8Array,
  out: Uint8Array,
  outOffset = 0,
  outLen = 32,
): void {
  if (!(keyWords instanceof Uint32Array)) throw new TypeError('keyWords must be a Uint32Array');
  if (keyWords.length !== 8) throw new RangeError(`keyWords must be 8 words, got ${keyWords.length}`);
  abytes(input, 'input');
  if (input.length > BLAKE3_BLOCK_LENGTH) {
    throw new RangeError(`input must be at most ${BLAKE3_BLOCK_LENGTH} bytes, got ${input.length}`);
  }
  abytes(out, 'out');
  aint(outLen, 'outLen', 1, 32);
  aint(outOffset, 'outOffset', 0, out.length - outLen);
  singleBlock(keyWords, input, out, outOffset, outLen);
}

function singleBlock(cv: Uint32Array, input: Uint8Array, out: Uint8Array, off: number, outLen: number): void {
  M.fill(0);
  const n = input.length;
  for (let i = 0; i < n; i++) M[i >> 2]! |= input[i]! << ((i & 3) << 3);
  compressRoot(cv, M, n, KEYED_SINGLE_BLOCK, OUT, outLen <= 8 ? 2 : 8);
  for (let i = 0; i < outLen; i++) out[off + i] = OUT[i >> 2]! >>> ((i & 3) << 3);
  M.fill(0);
  OUT.fill(0);
}

const TWO_32 = 0x1_0000_0000;
const U64_MAX = (1n << 64n) - 1n;

/**
 * The relay's route keystream for one direction: precomputed key words, one
 * compression per frame, zero allocation. Call `destroy()` to wipe the key.
 */
export class RouteKeystream {
  readonly #key = new Uint32Array(8);
  readonly #m = new Uint32Array(16);
  readonly #out = new Uint32Array(8);
  #destroyed = false;

  constructor(key: Uint8Array) {
    abytes(key, 'key', BLAKE3_KEY_LENGTH);
    wordsLE(key, 0, this.#key, 8);
  }

  /**
   * target[targetOffset..+8) ^= KH(key, u64le(counter) || nonce[nonceOffset..+24))[0..8].
   * In place; `target` and `nonce` may be the same frame buffer (route at 0, nonce at 8).
   * `counter`: a safe integer >= 0 (number) or a bigint below 2^64.
   */
  mask8(counter: number | bigint, nonce: Uint8Array, nonceOffset: number, target: Uint8Array, targetOffset: number): void {
    if (!(target instanceof Uint8Array)) throw new TypeError('target must be a Uint8Array');
    if (!(targetOffset >= 0 && targetOffset + 8 <= target.length && Number.isInteger(targetOffset))) {
      throw new RangeError(`targetOffset must leave 8 bytes in target (length ${target.length}), got ${targetOffset}`);
    }
    this.#compute(counter, nonce, nonceOffset);
    const a = this.#out[0]!, b = this.#out[1]!;
    const t = targetOffset;
    target[t]! ^= a; target[t + 1]! ^= a >>> 8; target[t + 2]! ^= a >>> 16; target[t + 3]! ^= a >>> 24;
    target[t + 4]! ^= b; target[t + 5]! ^= b >>> 8; target[t + 6]! ^= b >>> 16; target[t + 7]! ^= b >>> 24;
  }

  /** Writes the 8 keystream bytes themselves to out[outOffset..+8). */
  keystream8(counter: number | bigint, nonce: Uint8Array, nonceOffset: number, out: Uint8Array, outOffset: number): void {
    abytes(out, 'out');
    aint(outOffset, 'outOffset', 0, out.length - 8);
    out.fill(0, outOffset, outOffset + 8);
    this.mask8(counter, nonce, nonceOffset, out, outOffset);
  }

  /** Wipes the key words; the instance is unusable afterwards. */
  destroy(): void {
    this.#key.fill(0);
    this.#m.fill(0);
    this.#out.fill(0);
    this.#destroyed = true;
  }

  #compute(counter: number | bigint, nonce: Uint8Array, nonceOffset: number): void {
    if (this.#destroyed) throw new Error('RouteKeystream: used after destroy()');
    const m = this.#m;
    // m0, m1 = u64le(counter)
    if (typeof counter === 'number') {
      if (!(counter >= 0 && Number.isSafeInteger(counter))) {
        throw new RangeError(`counter must be a safe integer >= 0, got ${counter}`);
      }
      m[0] = counter >>> 0;
      m[1] = (counter / TWO_32) >>> 0; // exact below 2^53; >>> 0 truncates the fraction
    } else if (typeof counter === 'bigint') {
      if (counter < 0n || counter > U64_MAX) throw new RangeError(`counter must fit in 64 bits, got ${counter}`);
      m[0] = Number(counter & 0xffffffffn);
      m[1] = Number(counter >> 32n);
    } else {
      throw new TypeError(`counter must be a number or bigint, got ${typeof counter}`);
    }
    if (!(nonce instanceof Uint8Array)) throw new TypeError('nonce must be a Uint8Array');
    if (!(nonceOffset >= 0 && nonceOffset + 24 <= nonce.length && Number.isInteger(nonceOffset))) {
      throw new RangeError(`nonceOffset must leave 24 bytes in nonce (length ${nonce.length}), got ${nonceOffset}`);
    }
    // m2..m7 = nonce (24 bytes, little-endian words); m8..m15 stay zero
    for (let i = 0, o = nonceOffset; i < 6; i++, o += 4) {
      m[2 + i] = nonce[o]! | (nonce[o + 1]! << 8) | (nonce[o + 2]! << 16) | (nonce[o + 3]! << 24);
    }
    compressRoot(this.#key, m, 32, KEYED_SINGLE_BLOCK, this.#out, 2);
  }
}
