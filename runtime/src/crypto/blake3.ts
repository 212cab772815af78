/**
 * BLAKE3 (https://github.com/BLAKE3-team/BLAKE3-specs): hash, keyed hash and
 * derive_key, plus `keyedHashShort` and `routeMask8`/`RouteKeystream`, the relay's
 * per-frame route mask (DESIGN.md "The frame"):
 *
 *   route = id XOR KH(K_route_dir, u64le(counter) || nonce24)[0..8]
 *
 * The 32-byte mask input is one block of one chunk, so the keystream costs exactly one
 * compression with flags CHUNK_START | CHUNK_END | ROOT | KEYED_HASH.
 *
 * Inputs of at most one chunk (1024 bytes) with outputs of at most 32 bytes, which is
 * every use in the handshake and in frames, are hashed here by chaining the compression
 * function over their blocks (no allocation besides the output). derive_key keeps the
 * context keys of the contexts it has seen (constants, a bounded number), so it does not
 * re-derive them each call. Everything else goes to @noble/hashes.
 */
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import { abytes, aint, astring } from './_assert.ts';
import {
  CHUNK_END,
  CHUNK_START,
  DERIVE_KEY_CONTEXT,
  DERIVE_KEY_MATERIAL,
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
/** Inputs up to one chunk (and outputs up to 32 bytes) take the chained-compression path. */
export const BLAKE3_CHUNK_LENGTH = 1024;
/** derive_key context keys kept (contexts are constants; beyond this they are derived per call). */
export const BLAKE3_CONTEXT_CACHE_SIZE = 64;

const KEYED_SINGLE_BLOCK = CHUNK_START | CHUNK_END | ROOT | KEYED_HASH;
const IV = Uint32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19);

// Scratch. Safe to share: JS runs each call to completion. M and CV may hold secret
// material (keys, key material): the functions that use them wipe them before returning.
const M = new Uint32Array(16);
const CV = new Uint32Array(8);
const KEY = new Uint32Array(8);

/** M = the block input[off..off+len) as 16 little-endian words, zero-padded (len <= 64). */
function loadBlock(input: Uint8Array, off: number, len: number): void {
  const full = len >> 2;
  let i = 0;
  for (let o = off; i < full; i++, o += 4) M[i] = input[o]! | (input[o + 1]! << 8) | (input[o + 2]! << 16) | (input[o + 3]! << 24);
  const rest = len & 3;
  if (rest !== 0) {
    let w = 0;
    for (let j = 0, o = off + 4 * full; j < rest; j++) w |= input[o + j]! << (8 * j);
    M[i++] = w;
  }
  for (; i < 16; i++) M[i] = 0;
}

/**
 * out = the first 8 root output words of BLAKE3 over `input` (at most one chunk) with key
 * words key[keyOffset..+8) and mode flags (0, KEYED_HASH, DERIVE_KEY_CONTEXT or
 * DERIVE_KEY_MATERIAL). `out` may be `key` only with keyOffset 0. Leaves the last block in M.
 */
function chunkRoot(key: Uint32Array, keyOffset: number, input: Uint8Array, mode: number, out: Uint32Array): void {
  const n = input.length;
  let cv = key;
  let cvOffset = keyOffset;
  let off = 0;
  let flags = mode | CHUNK_START;
  for (; n - off > BLAKE3_BLOCK_LENGTH; off += BLAKE3_BLOCK_LENGTH) {
    loadBlock(input, off, BLAKE3_BLOCK_LENGTH);
    compressRoot(cv, M, BLAKE3_BLOCK_LENGTH, flags, out, 8, cvOffset);
    cv = out;
    cvOffset = 0;
    flags = mode;
  }
  loadBlock(input, off, n - off);
  compressRoot(cv, M, n - off, flags | CHUNK_END | ROOT, out, 8, cvOffset);
}

/** The first `outLen` (<= 32) bytes of the words `w`, little-endian, in a new array. */
function wordsToBytes(w: Uint32Array, outLen: number): Uint8Array {
  const out = new Uint8Array(outLen);
  for (let i = 0; i < outLen; i++) out[i] = w[i >> 2]! >>> ((i & 3) << 3);
  return out;
}

/** Chained path: BLAKE3 over `input` (<= one chunk) with key words `key`, `outLen` (<= 32) bytes; wipes the scratch. */
function shortHash(key: Uint32Array, input: Uint8Array, mode: number, outLen: number): Uint8Array {
  chunkRoot(key, 0, input, mode, CV);
  const out = wordsToBytes(CV, outLen);
  M.fill(0);
  CV.fill(0);
  return out;
}

/** BLAKE3 hash of `msg`, `outLen` bytes (extended output above 32). */
export function hash(msg: Uint8Array, outLen = 32): Uint8Array {
  abytes(msg, 'msg');
  aint(outLen, 'outLen', 1, BLAKE3_MAX_OUTPUT);
  if (msg.length > BLAKE3_CHUNK_LENGTH || outLen > 32) return nobleBlake3(msg, { dkLen: outLen });
  return shortHash(IV, msg, 0, outLen);
}

/** BLAKE3 keyed hash (MAC) of `msg` under a 32-byte key. */
export function keyedHash(key: Uint8Array, msg: Uint8Array, outLen = 32): Uint8Array {
  abytes(key, 'key', BLAKE3_KEY_LENGTH);
  abytes(msg, 'msg');
  aint(outLen, 'outLen', 1, BLAKE3_MAX_OUTPUT);
  if (msg.length > BLAKE3_CHUNK_LENGTH || outLen > 32) return nobleBlake3(msg, { key, dkLen: outLen });
  wordsLE(key, 0, KEY, 8);
  try {
    return shortHash(KEY, msg, KEYED_HASH, outLen);
  } finally {
    KEY.fill(0);
  }
}

/** Context string -> its derive_key context key words (public: derived from a constant). */
const contextKeys = new Map<string, Uint32Array>();

/** The context key of `context` (BLAKE3 §2.3 derive_key, first stage), or undefined if the context is longer than a chunk. */
function contextKey(context: string): Uint32Array | undefined {
  const hit = contextKeys.get(context);
  if (hit !== undefined) return hit;
  const bytes = utf8(context);
  if (bytes.length > BLAKE3_CHUNK_LENGTH) return undefined;
  const words = new Uint32Array(8);
  chunkRoot(IV, 0, bytes, DERIVE_KEY_CONTEXT, words);
  M.fill(0);
  if (contextKeys.size < BLAKE3_CONTEXT_CACHE_SIZE) contextKeys.set(context, words);
  return words;
}

/**
 * BLAKE3 derive_key: context string (constant, never variable data; DESIGN.md
 * "Notation") and key material, `outLen` bytes.
 */
export function deriveKey(context: string, material: Uint8Array, outLen = 32): Uint8Array {
  astring(context, 'context');
  abytes(material, 'material');
  aint(outLen, 'outLen', 1, BLAKE3_MAX_OUTPUT);
  const ck = material.length > BLAKE3_CHUNK_LENGTH || outLen > 32 ? undefined : contextKey(context);
  if (ck === undefined) return nobleBlake3(material, { context: utf8(context), dkLen: outLen });
  return shortHash(ck, material, DERIVE_KEY_MATERIAL, outLen);
}

/** The 8 little-endian words of a 32-byte BLAKE3 key, for `keyedHashShort` and `routeMask8`. */
export function blake3KeyWords(key: Uint8Array): Uint32Array {
  return blake3KeyWordsInto(key, new Uint32Array(8), 0);
}

/** Writes the 8 little-endian words of a 32-byte BLAKE3 key to out[offset..offset+8); returns `out`. */
export function blake3KeyWordsInto(key: Uint8Array, out: Uint32Array, offset: number): Uint32Array {
  abytes(key, 'key', BLAKE3_KEY_LENGTH);
  if (!(out instanceof Uint32Array)) throw new TypeError('out must be a Uint32Array');
  aint(offset, 'offset', 0, out.length - 8);
  for (let i = 0, o = 0; i < 8; i++, o += 4) out[offset + i] = key[o]! | (key[o + 1]! << 8) | (key[o + 2]! << 16) | (key[o + 3]! << 24);
  return out;
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
  loadBlock(input, 0, input.length);
  compressRoot(keyWords, M, input.length, KEYED_SINGLE_BLOCK, CV, outLen <= 8 ? 2 : 8);
  for (let i = 0; i < outLen; i++) out[outOffset + i] = CV[i >> 2]! >>> ((i & 3) << 3);
  M.fill(0);
  CV.fill(0);
}

const TWO_32 = 0x1_0000_0000;
const U64_MAX = (1n << 64n) - 1n;

// Scratch of the route mask (public input: counter and nonce; output: the 8-byte mask).
const MASK_M = new Uint32Array(16);
const MASK_OUT = new Uint32Array(2);

/**
 * target[targetOffset..+8) ^= KH(K, u64le(counter) || nonce[nonceOffset..+24))[0..8], where
 * K is given as its 8 little-endian words at keyWords[keyOffset..keyOffset+8) (see
 * `blake3KeyWords`): one compression, no allocation, in place. `target` and `nonce` may be
 * the same frame buffer (route at 0, nonce at 8). `counter`: a safe integer >= 0 (number)
 * or a bigint below 2^64. This is the route mask of a session that keeps both directions'
 * keys in one array; `RouteKeystream.mask8` is the same with a key of its own.
 */
export function routeMask8(
  keyWords: Uint32Array,
  keyOffset: number,
  counter: number | bigint,
  nonce: Uint8Array,
  nonceOffset: number,
  target: Uint8Array,
  targetOffset: number,
): void {
  if (!(keyWords instanceof Uint32Array)) throw new TypeError('keyWords must be a Uint32Array');
  if (!(keyOffset >= 0 && keyOffset + 8 <= keyWords.length && Number.isInteger(keyOffset))) {
    throw new RangeError(`keyOffset must leave 8 words in keyWords (length ${keyWords.length}), got ${keyOffset}`);
  }
  if (!(target instanceof Uint8Array)) throw new TypeError('target must be a Uint8Array');
  if (!(targetOffset >= 0 && targetOffset + 8 <= target.length && Number.isInteger(targetOffset))) {
    throw new RangeError(`targetOffset must leave 8 bytes in target (length ${target.length}), got ${targetOffset}`);
  }
  const m = MASK_M;
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
  compressRoot(keyWords, m, 32, KEYED_SINGLE_BLOCK, MASK_OUT, 2, keyOffset);
  const a = MASK_OUT[0]!, b = MASK_OUT[1]!;
  const t = targetOffset;
  target[t]! ^= a; target[t + 1]! ^= a >>> 8; target[t + 2]! ^= a >>> 16; target[t + 3]! ^= a >>> 24;
  target[t + 4]! ^= b; target[t + 5]! ^= b >>> 8; target[t + 6]! ^= b >>> 16; target[t + 7]! ^= b >>> 24;
}

/**
 * The relay's route keystream for one direction: precomputed key words, one
 * compression per frame, zero allocation. Call `destroy()` to wipe the key.
 */
export class RouteKeystream {
  readonly #key = new Uint32Array(8);
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
    if (this.#destroyed) throw new Error('RouteKeystream: used after destroy()');
    routeMask8(this.#key, 0, counter, nonce, nonceOffset, target, targetOffset);
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
    this.#destroyed = true;
  }
}
