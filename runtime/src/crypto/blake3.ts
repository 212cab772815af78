/**
 * BLAKE3 (https://github.com/BLAKE3-team/BLAKE3-specs): hash, keyed hash and
 * derive_key, plus `keyedHashShort` and `routeMask8`/`RouteKeystream`, the relay's
 * per-frame route mask (spec/DESIGN.md "Route masking"):
 *
 *   route = id XOR KH(K_route_dir, u64le(counter) || nonce24)[0..8]
 *
 * The 32-byte mask input is one block of one chunk, so the keystream costs exactly one
 * compression with flags CHUNK_START | CHUNK_END | ROOT | KEYED_HASH.
 *
 * Outputs of at most 32 bytes, which is every use in the protocol, are computed here with the
 * unrolled compression function: inputs of one chunk (1024 bytes) by chaining it over their
 * blocks, longer ones (signed regions of large frames, file digests) as the spec's tree of
 * chunks and parents; no allocation besides the output. derive_key keeps the context keys of
 * the contexts it has seen (constants, a bounded number), so it does not re-derive them each
 * call. Extended outputs (above 32 bytes) go to @noble/hashes.
 */
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import { abytes, aint, astring } from './_assert.ts';
import {
  CHUNK_END,
  CHUNK_START,
  DERIVE_KEY_CONTEXT,
  DERIVE_KEY_MATERIAL,
  KEYED_HASH,
  PARENT,
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
const WIDE = new Uint32Array(16); // a whole 64-byte root output block

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

// Chaining values of completed subtrees (left to right), 8 words each; 32 levels cover 2^32
// chunks, more than a typed array holds. May hold secret-derived values: wiped after use.
const STACK = new Uint32Array(8 * 32);
const PM = new Uint32Array(16);

/** out = the chaining value of the chunk input[off..off+len) (1 <= len <= 1024, not the root) at chunk `counter`. */
function chunkCV(key: Uint32Array, input: Uint8Array, off: number, len: number, mode: number, counter: number, out: Uint32Array): void {
  const end = off + len;
  let cv = key;
  let flags = mode | CHUNK_START;
  for (; end - off > BLAKE3_BLOCK_LENGTH; off += BLAKE3_BLOCK_LENGTH) {
    loadBlock(input, off, BLAKE3_BLOCK_LENGTH);
    compressRoot(cv, M, BLAKE3_BLOCK_LENGTH, flags, out, 8, 0, counter);
    cv = out;
    flags = mode;
  }
  loadBlock(input, off, end - off);
  compressRoot(cv, M, end - off, flags | CHUNK_END, out, 8, 0, counter);
}

/** out = the parent node of stack[at..at+8) and `right` (§2.5); `rootFlag` ROOT for the root. `out` may be `right`. */
function parentCV(key: Uint32Array, stack: Uint32Array, at: number, right: Uint32Array, mode: number, rootFlag: number, out: Uint32Array): void {
  for (let i = 0; i < 8; i++) {
    PM[i] = stack[at + i]!;
    PM[8 + i] = right[i]!;
  }
  compressRoot(key, PM, BLAKE3_BLOCK_LENGTH, mode | PARENT | rootFlag, out, 8);
}

/**
 * out = the first 8 root output words of BLAKE3 over `input` of more than one chunk (§2.5: chunk
 * chaining values merged into a binary tree, left subtrees complete, the last parent the root).
 * A completed chunk is merged with the stack as far as the count of chunks so far allows; the
 * last chunk is merged with everything left, right to left.
 */
function treeRoot(key: Uint32Array, input: Uint8Array, mode: number, out: Uint32Array): void {
  const chunks = Math.ceil(input.length / BLAKE3_CHUNK_LENGTH);
  let depth = 0;
  for (let i = 0; i < chunks - 1; i++) {
    chunkCV(key, input, i * BLAKE3_CHUNK_LENGTH, BLAKE3_CHUNK_LENGTH, mode, i, out);
    for (let total = i + 1; (total & 1) === 0; total >>>= 1) parentCV(key, STACK, --depth * 8, out, mode, 0, out);
    STACK.set(out, depth++ * 8);
  }
  const last = (chunks - 1) * BLAKE3_CHUNK_LENGTH;
  chunkCV(key, input, last, input.length - last, mode, chunks - 1, out);
  while (depth > 0) {
    depth--;
    parentCV(key, STACK, depth * 8, out, mode, depth === 0 ? ROOT : 0, out);
  }
  STACK.fill(0);
  PM.fill(0);
}

/** The first `outLen` (<= 32) bytes of the words `w`, little-endian, in a new array. */
function wordsToBytes(w: Uint32Array, outLen: number): Uint8Array {
  const out = new Uint8Array(outLen);
  for (let i = 0; i < outLen; i++) out[i] = w[i >> 2]! >>> ((i & 3) << 3);
  return out;
}

/** BLAKE3 over `input` (any length) with key words `key`, `outLen` (<= 32) bytes; wipes the scratch. */
function shortHash(key: Uint32Array, input: Uint8Array, mode: number, outLen: number): Uint8Array {
  if (input.length > BLAKE3_CHUNK_LENGTH) treeRoot(key, input, mode, CV);
  else chunkRoot(key, 0, input, mode, CV);
  const out = wordsToBytes(CV, outLen);
  M.fill(0);
  CV.fill(0);
  return out;
}

/** BLAKE3 hash of `msg`, `outLen` bytes (extended output above 32). */
export function hash(msg: Uint8Array, outLen = 32): Uint8Array {
  abytes(msg, 'msg');
  aint(outLen, 'outLen', 1, BLAKE3_MAX_OUTPUT);
  if (outLen > 32) return nobleBlake3(msg, { dkLen: outLen });
  return shortHash(IV, msg, 0, outLen);
}

/** BLAKE3 keyed hash (MAC) of `msg` under a 32-byte key. */
export function keyedHash(key: Uint8Array, msg: Uint8Array, outLen = 32): Uint8Array {
  abytes(key, 'key', BLAKE3_KEY_LENGTH);
  abytes(msg, 'msg');
  aint(outLen, 'outLen', 1, BLAKE3_MAX_OUTPUT);
  if (outLen > 32) {
    if (outLen > 2 * BLAKE3_KEY_LENGTH || msg.length > BLAKE3_BLOCK_LENGTH) return nobleBlake3(msg, { key, dkLen: outLen });
    // one block in, at most one output block out: one compression (the ratchet's chain step)
    wordsLE(key, 0, KEY, 8);
    const out = new Uint8Array(outLen);
    keyedHashShort(KEY, msg, out, 0, outLen);
    KEY.fill(0);
    return out;
  }
  wordsLE(key, 0, KEY, 8);
  try {
    return shortHash(KEY, msg, KEYED_HASH, outLen);
  } finally {
    KEY.fill(0);
  }
}

/**
 * Incremental BLAKE3 with a 32-byte output, for inputs that arrive in pieces (file digests):
 * the same tree as the one-shot functions, a chunk finished only once more input follows it
 * (the last chunk must not be merged early). Create with `Blake3Hasher.deriveKey(context)`,
 * `.keyed(key)` or `.plain()`; `digest()` once, after which the hasher is wiped and unusable.
 */
export class Blake3Hasher {
  readonly #key = new Uint32Array(8);
  readonly #mode: number;
  readonly #chunk = new Uint8Array(BLAKE3_CHUNK_LENGTH);
  #chunkLen = 0;
  /** Chunks finished (all but the last). */
  #chunks = 0;
  readonly #stack = new Uint32Array(8 * 32);
  #depth = 0;
  readonly #cv = new Uint32Array(8);
  #done = false;

  private constructor(key: Uint32Array, mode: number) {
    this.#key.set(key);
    this.#mode = mode;
  }

  static plain(): Blake3Hasher {
    return new Blake3Hasher(IV, 0);
  }

  static keyed(key: Uint8Array): Blake3Hasher {
    abytes(key, 'key', BLAKE3_KEY_LENGTH);
    const words = new Uint32Array(8);
    wordsLE(key, 0, words, 8);
    const h = new Blake3Hasher(words, KEYED_HASH);
    words.fill(0);
    return h;
  }

  static deriveKey(context: string): Blake3Hasher {
    astring(context, 'context');
    const ck = contextKey(context);
    if (ck === undefined) throw new RangeError(`a derive_key context of more than ${BLAKE3_CHUNK_LENGTH} bytes`);
    return new Blake3Hasher(ck, DERIVE_KEY_MATERIAL);
  }

  /** Hashes the next piece of input. */
  update(data: Uint8Array): this {
    if (this.#done) throw new Error('Blake3Hasher: update() after digest()');
    abytes(data, 'data');
    let off = 0;
    while (off < data.length) {
      if (this.#chunkLen === BLAKE3_CHUNK_LENGTH) {
        // more input follows, so the buffered chunk is not the last
        chunkCV(this.#key, this.#chunk, 0, BLAKE3_CHUNK_LENGTH, this.#mode, this.#chunks, this.#cv);
        this.#push();
        this.#chunkLen = 0;
      }
      // whole chunks that more input follows: straight from `data`, no copy
      while (this.#chunkLen === 0 && data.length - off > BLAKE3_CHUNK_LENGTH) {
        chunkCV(this.#key, data, off, BLAKE3_CHUNK_LENGTH, this.#mode, this.#chunks, this.#cv);
        this.#push();
        off += BLAKE3_CHUNK_LENGTH;
      }
      const take = Math.min(BLAKE3_CHUNK_LENGTH - this.#chunkLen, data.length - off);
      this.#chunk.set(data.subarray(off, off + take), this.#chunkLen);
      this.#chunkLen += take;
      off += take;
    }
    M.fill(0);
    return this;
  }

  /** The 32-byte output. Wipes the state. */
  digest(): Uint8Array {
    if (this.#done) throw new Error('Blake3Hasher: digest() twice');
    this.#done = true;
    const cv = this.#cv;
    const last = this.#chunk.subarray(0, this.#chunkLen);
    if (this.#chunks === 0) chunkRoot(this.#key, 0, last, this.#mode, cv);
    else {
      chunkCV(this.#key, last, 0, last.length, this.#mode, this.#chunks, cv);
      while (this.#depth > 0) {
        this.#depth--;
        parentCV(this.#key, this.#stack, this.#depth * 8, cv, this.#mode, this.#depth === 0 ? ROOT : 0, cv);
      }
    }
    const out = wordsToBytes(cv, 32);
    for (const a of [this.#key, this.#stack, cv, M, PM]) a.fill(0);
    this.#chunk.fill(0);
    return out;
  }

  /** Pushes the finished chunk's chaining value (in #cv), merging completed subtrees. */
  #push(): void {
    const cv = this.#cv;
    this.#chunks++;
    for (let total = this.#chunks; (total & 1) === 0; total >>>= 1) parentCV(this.#key, this.#stack, --this.#depth * 8, cv, this.#mode, 0, cv);
    this.#stack.set(cv, this.#depth++ * 8);
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
 * BLAKE3 derive_key: context string (constant, never variable data; spec/DESIGN.md
 * "Notation") and key material, `outLen` bytes.
 */
export function deriveKey(context: string, material: Uint8Array, outLen = 32): Uint8Array {
  astring(context, 'context');
  abytes(material, 'material');
  aint(outLen, 'outLen', 1, BLAKE3_MAX_OUTPUT);
  const ck = outLen > 32 ? undefined : contextKey(context);
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
 * out[outOffset..outOffset+outLen) (outLen <= 64: the root output block). No allocation.
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
  aint(outLen, 'outLen', 1, BLAKE3_BLOCK_LENGTH);
  aint(outOffset, 'outOffset', 0, out.length - outLen);
  loadBlock(input, 0, input.length);
  compressRoot(keyWords, M, input.length, KEYED_SINGLE_BLOCK, WIDE, outLen <= 8 ? 2 : outLen <= 32 ? 8 : 16);
  for (let i = 0; i < outLen; i++) out[outOffset + i] = WIDE[i >> 2]! >>> ((i & 3) << 3);
  M.fill(0);
  WIDE.fill(0);
}

/**
 * The 64-byte keyed hash of an input of at most one block (one compression), split in two:
 * bytes 0..32 into `first`, 32..64 into `second` (32 bytes each). The ratchet's chain step
 * (spec derivation chain_step): message key and next chain key, without a 64-byte
 * intermediate to copy and wipe.
 */
export function keyedHashSplit(key: Uint8Array, input: Uint8Array, first: Uint8Array, second: Uint8Array): void {
  abytes(key, 'key', BLAKE3_KEY_LENGTH);
  abytes(input, 'input');
  if (input.length > BLAKE3_BLOCK_LENGTH) throw new RangeError(`input must be at most ${BLAKE3_BLOCK_LENGTH} bytes, got ${input.length}`);
  abytes(first, 'first', 32);
  abytes(second, 'second', 32);
  wordsLE(key, 0, KEY, 8);
  loadBlock(input, 0, input.length);
  compressRoot(KEY, M, input.length, KEYED_SINGLE_BLOCK, WIDE, 16);
  for (let i = 0, o = 0; i < 8; i++, o += 4) {
    const a = WIDE[i]!;
    const b = WIDE[i + 8]!;
    first[o] = a; first[o + 1] = a >>> 8; first[o + 2] = a >>> 16; first[o + 3] = a >>> 24;
    second[o] = b; second[o + 1] = b >>> 8; second[o + 2] = b >>> 16; second[o + 3] = b >>> 24;
  }
  KEY.fill(0);
  M.fill(0);
  WIDE.fill(0);
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
