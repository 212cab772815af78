/**
 * IETF ChaCha20-Poly1305 (RFC 8439 §2.8) in JS for short messages (internal).
 *
 * Why: Node's cipher objects cost about 5 µs per call whatever the length (object set-up,
 * setAAD, update, final, getAuthTag), which is most of a ratchet header's cost (41 bytes); this
 * path does the same computation in about a microsecond for a few blocks. The node backend uses
 * it below `SMALL_AEAD_MAX` bytes of plaintext and OpenSSL above, where native speed wins. The
 * construction is unchanged: same keys, nonces, associated data and tags as OpenSSL and noble
 * (test/crypto/node-small-aead-matches-noble.test.ts).
 *
 * Poly1305 works on six 22-bit limbs held in doubles: a limb product is below 2^49.4 and a sum
 * of six below 2^53, so every step is exact, with 36 products a block where 13-bit limbs took
 * 100 (a ratchet header's tag is nine blocks). Key, nonce and keystream stay in 32-bit words:
 * the XChaCha20 entry points (`xchachaSmallSeal`, `xchachaSmallOpen`, the node backend's path
 * for short messages) take the HChaCha20 subkey as words, never as bytes. Secrets live in
 * module scratch arrays, wiped after each call; every use is synchronous.
 */

/** Above this many plaintext bytes OpenSSL is faster (measured: bench/crypto, this file's tests). */
export const SMALL_AEAD_MAX = 128;

import { hchacha20Words } from './_hchacha.ts';

const TAG = 16;
const KS = new Int32Array(16); // one keystream block, as words
const KN = new Int32Array(11); // the key's 8 words and the nonce's 3: the block input (secret)
const TWO_M32 = 1 / 0x1_0000_0000;

const rd = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);

function wr(b: Uint8Array, o: number, w: number): void {
  b[o] = w; b[o + 1] = w >>> 8; b[o + 2] = w >>> 16; b[o + 3] = w >>> 24;
}

/** out[0..16) = the words of the ChaCha20 block (RFC 8439 §2.3) of KN (key and nonce words) and a 32-bit counter. */
// prettier-ignore
function chachaBlock(counter: number, out: Int32Array): void {
  // only the working state lives in locals (16 words); the input is read again at the end, so
  // the round loop does not compete for registers with a second copy of it
  const kn = KN;
  let x0 = 0x61707865, x1 = 0x3320646e, x2 = 0x79622d32, x3 = 0x6b206574;
  let x4 = kn[0]!, x5 = kn[1]!, x6 = kn[2]!, x7 = kn[3]!, x8 = kn[4]!, x9 = kn[5]!, x10 = kn[6]!, x11 = kn[7]!;
  let x12 = counter | 0, x13 = kn[8]!, x14 = kn[9]!, x15 = kn[10]!;
  for (let i = 0; i < 10; i++) {
    // column round, then diagonal round; each line is half a quarter round (RFC 8439 §2.1)
    x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 16) | (x12 >>> 16); x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 12) | (x4 >>> 20);
    x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 8) | (x12 >>> 24); x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 7) | (x4 >>> 25);
    x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 16) | (x13 >>> 16); x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 12) | (x5 >>> 20);
    x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 8) | (x13 >>> 24); x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 7) | (x5 >>> 25);
    x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 16) | (x14 >>> 16); x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 12) | (x6 >>> 20);
    x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 8) | (x14 >>> 24); x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 7) | (x6 >>> 25);
    x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 16) | (x15 >>> 16); x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 12) | (x7 >>> 20);
    x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 8) | (x15 >>> 24); x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 7) | (x7 >>> 25);
    x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 16) | (x15 >>> 16); x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 12) | (x5 >>> 20);
    x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 8) | (x15 >>> 24); x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 7) | (x5 >>> 25);
    x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 16) | (x12 >>> 16); x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 12) | (x6 >>> 20);
    x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 8) | (x12 >>> 24); x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 7) | (x6 >>> 25);
    x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 16) | (x13 >>> 16); x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 12) | (x7 >>> 20);
    x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 8) | (x13 >>> 24); x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 7) | (x7 >>> 25);
    x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 16) | (x14 >>> 16); x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 12) | (x4 >>> 20);
    x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 8) | (x14 >>> 24); x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 7) | (x4 >>> 25);
  }
  out[0] = x0 + 0x61707865; out[1] = x1 + 0x3320646e; out[2] = x2 + 0x79622d32; out[3] = x3 + 0x6b206574;
  out[4] = x4 + kn[0]!; out[5] = x5 + kn[1]!; out[6] = x6 + kn[2]!; out[7] = x7 + kn[3]!;
  out[8] = x8 + kn[4]!; out[9] = x9 + kn[5]!; out[10] = x10 + kn[6]!; out[11] = x11 + kn[7]!;
  out[12] = x12 + counter; out[13] = x13 + kn[8]!; out[14] = x14 + kn[9]!; out[15] = x15 + kn[10]!;
}

// Poly1305 state: h (6 limbs of 22 bits, as exact doubles), r (6 limbs), s (4 words). Wiped after each tag.
const RADIX = 0x400000; // 2^22
const INV_RADIX = 1 / RADIX; // exact: a power of two
const M22 = 0x3fffff;
const HR = new Float64Array(12); // h0..h5, r0..r5
const S = new Int32Array(4);
const PAD = new Uint8Array(16); // a part's partial last block, the lengths block

/**
 * Sets r (clamped, RFC 8439 §2.5) and s from the first 32 keystream bytes, given as the words
 * k[0..8), and h = 0.
 */
// prettier-ignore
function polyInit(k: Int32Array): void {
  const k0 = k[0]! & 0x0fffffff, k1 = k[1]! & 0x0ffffffc, k2 = k[2]! & 0x0ffffffc, k3 = k[3]! & 0x0ffffffc;
  HR[0] = 0; HR[1] = 0; HR[2] = 0; HR[3] = 0; HR[4] = 0; HR[5] = 0;
  HR[6] = k0 & M22; HR[7] = ((k0 >>> 22) | (k1 << 10)) & M22; HR[8] = ((k1 >>> 12) | (k2 << 20)) & M22;
  HR[9] = (k2 >>> 2) & M22; HR[10] = ((k2 >>> 24) | (k3 << 8)) & M22; HR[11] = k3 >>> 14;
  S[0] = k[4]!; S[1] = k[5]!; S[2] = k[6]!; S[3] = k[7]!;
}

/** Adds the 16-byte blocks of msg[from..to) (each with its 2^128 bit) into h, multiplying by r mod 2^130 - 5. */
// prettier-ignore
function polyBlocks(msg: Uint8Array, from: number, to: number): void {
  const r0 = HR[6]!, r1 = HR[7]!, r2 = HR[8]!, r3 = HR[9]!, r4 = HR[10]!, r5 = HR[11]!;
  // a product landing at limb k >= 6 stands for 2^(22k) = 2^132 * 2^(22(k-6)), and 2^132 = 20 mod p
  const s1 = 20 * r1, s2 = 20 * r2, s3 = 20 * r3, s4 = 20 * r4, s5 = 20 * r5;
  let h0 = HR[0]!, h1 = HR[1]!, h2 = HR[2]!, h3 = HR[3]!, h4 = HR[4]!, h5 = HR[5]!;
  for (let o = from; o < to; o += 16) {
    const w0 = rd(msg, o), w1 = rd(msg, o + 4), w2 = rd(msg, o + 8), w3 = rd(msg, o + 12);
    h0 += w0 & M22;
    h1 += ((w0 >>> 22) | (w1 << 10)) & M22;
    h2 += ((w1 >>> 12) | (w2 << 20)) & M22;
    h3 += (w2 >>> 2) & M22;
    h4 += ((w2 >>> 24) | (w3 << 8)) & M22;
    h5 += (w3 >>> 14) | 0x40000; // bit 128 is bit 18 of limb 5
    // limbs below 2^23, r's below 2^22, s's below 2^26.4: six products stay under 2^53 (exact)
    const d0 = h0 * r0 + h1 * s5 + h2 * s4 + h3 * s3 + h4 * s2 + h5 * s1;
    let d1 = h0 * r1 + h1 * r0 + h2 * s5 + h3 * s4 + h4 * s3 + h5 * s2;
    let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s5 + h4 * s4 + h5 * s3;
    let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s5 + h5 * s4;
    let d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * s5;
    let d5 = h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0;
    let c = Math.floor(d0 * INV_RADIX); h0 = d0 - c * RADIX; d1 += c;
    c = Math.floor(d1 * INV_RADIX); h1 = d1 - c * RADIX; d2 += c;
    c = Math.floor(d2 * INV_RADIX); h2 = d2 - c * RADIX; d3 += c;
    c = Math.floor(d3 * INV_RADIX); h3 = d3 - c * RADIX; d4 += c;
    c = Math.floor(d4 * INV_RADIX); h4 = d4 - c * RADIX; d5 += c;
    c = Math.floor(d5 * INV_RADIX); h5 = d5 - c * RADIX;
    h0 += 20 * c;
    c = Math.floor(h0 * INV_RADIX); h0 -= c * RADIX; h1 += c;
  }
  HR[0] = h0; HR[1] = h1; HR[2] = h2; HR[3] = h3; HR[4] = h4; HR[5] = h5;
}

/** Fully reduces h mod 2^130 - 5, adds s mod 2^128, writes 16 bytes; wipes the state. */
// prettier-ignore
function polyFinish(tag: Uint8Array, at: number): void {
  // every limb is an integer below 2^24 here
  let h0 = HR[0]! | 0, h1 = HR[1]! | 0, h2 = HR[2]! | 0, h3 = HR[3]! | 0, h4 = HR[4]! | 0, h5 = HR[5]! | 0;
  let c = 0;
  // three carry passes: afterwards h < 2^130, limbs 0..4 of 22 bits and limb 5 of 20 (bits 110..129)
  for (let pass = 0; pass < 3; pass++) {
    c = h0 >>> 22; h0 &= M22; h1 += c; c = h1 >>> 22; h1 &= M22; h2 += c; c = h2 >>> 22; h2 &= M22; h3 += c;
    c = h3 >>> 22; h3 &= M22; h4 += c; c = h4 >>> 22; h4 &= M22; h5 += c; c = h5 >>> 20; h5 &= 0xfffff; h0 += 5 * c;
  }
  // g = h + 5 - 2^130; h >= p exactly when h + 5 reaches bit 130 (then h mod p = g)
  let g0 = h0 + 5; c = g0 >>> 22; g0 &= M22;
  let g1 = h1 + c; c = g1 >>> 22; g1 &= M22;
  let g2 = h2 + c; c = g2 >>> 22; g2 &= M22;
  let g3 = h3 + c; c = g3 >>> 22; g3 &= M22;
  let g4 = h4 + c; c = g4 >>> 22; g4 &= M22;
  let g5 = h5 + c; c = g5 >>> 20; g5 &= 0xfffff;
  const useG = -c; // c is 0 or 1: a mask of all zeros or all ones
  h0 = (h0 & ~useG) | (g0 & useG); h1 = (h1 & ~useG) | (g1 & useG); h2 = (h2 & ~useG) | (g2 & useG);
  h3 = (h3 & ~useG) | (g3 & useG); h4 = (h4 & ~useG) | (g4 & useG); h5 = (h5 & ~useG) | (g5 & useG);
  // the 128 low bits of h as four 32-bit words, plus s mod 2^128 (sums below 2^33: exact doubles)
  let t = ((h0 | (h1 << 22)) >>> 0) + (S[0]! >>> 0);
  wr(tag, at, t); c = (t - (t >>> 0)) * TWO_M32;
  t = (((h1 >>> 10) | (h2 << 12)) >>> 0) + (S[1]! >>> 0) + c;
  wr(tag, at + 4, t); c = (t - (t >>> 0)) * TWO_M32;
  t = (((h2 >>> 20) | (h3 << 2) | (h4 << 24)) >>> 0) + (S[2]! >>> 0) + c;
  wr(tag, at + 8, t); c = (t - (t >>> 0)) * TWO_M32;
  t = (((h4 >>> 8) | (h5 << 14)) >>> 0) + (S[3]! >>> 0) + c;
  wr(tag, at + 12, t);
  HR.fill(0);
  S.fill(0);
}

/**
 * tag = Poly1305(r, s, ad || pad || ct[0..ctLen) || pad || u64 len(ad) || u64 ctLen), the MAC
 * input of RFC 8439 §2.8, read in place: only each part's partial last block is copied.
 * polyInit ran before.
 */
function aeadTag(ad: Uint8Array, ct: Uint8Array, ctLen: number, tag: Uint8Array, tagAt: number): void {
  part(ad, ad.length);
  part(ct, ctLen);
  PAD.fill(0);
  wr(PAD, 0, ad.length); // lengths < 2^32: the high words stay zero
  wr(PAD, 8, ctLen);
  polyBlocks(PAD, 0, 16);
  PAD.fill(0);
  polyFinish(tag, tagAt);
}

/** One part of the MAC input: its whole blocks in place, the rest zero-padded in PAD. */
function part(b: Uint8Array, len: number): void {
  const whole = len & ~15;
  polyBlocks(b, 0, whole);
  if (whole === len) return;
  PAD.fill(0);
  for (let i = whole; i < len; i++) PAD[i - whole] = b[i]!;
  polyBlocks(PAD, 0, 16);
}

/** Poly1305's r and s = the first 32 bytes of keystream block 0 (RFC 8439 §2.6). */
function polyKey(): void {
  chachaBlock(0, KS);
  polyInit(KS);
  KS.fill(0);
}

/** XOR with the keystream from block 1 on. */
function crypt(input: Uint8Array, len: number, out: Uint8Array): void {
  for (let o = 0, ctr = 1; o < len; o += 64, ctr++) {
    chachaBlock(ctr, KS);
    const n = Math.min(64, len - o);
    for (let i = 0; i < n; i++) out[o + i] = input[o + i]! ^ (KS[i >> 2]! >>> ((i & 3) << 3));
  }
  KS.fill(0);
}

/** KN = the words of a 32-byte key and a 12-byte nonce. */
function setKeyNonce(key: Uint8Array, nonce: Uint8Array): void {
  for (let i = 0; i < 8; i++) KN[i] = rd(key, 4 * i);
  KN[8] = rd(nonce, 0);
  KN[9] = rd(nonce, 4);
  KN[10] = rd(nonce, 8);
}

/**
 * KN = XChaCha20's IETF key and nonce (draft-irtf-cfrg-xchacha-03 §2.3): HChaCha20(key,
 * nonce[0..16)) as words, then 0^4 || nonce[16..24).
 */
function setXKeyNonce(key: Uint8Array, nonce: Uint8Array): void {
  hchacha20Words(key, nonce, KN);
  KN[8] = 0;
  KN[9] = rd(nonce, 16);
  KN[10] = rd(nonce, 20);
}

function seal(plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const n = plaintext.length;
  const out = new Uint8Array(n + TAG);
  polyKey();
  crypt(plaintext, n, out);
  KN.fill(0);
  aeadTag(ad, out, n, out, n);
  return out;
}

function open(ciphertext: Uint8Array, ad: Uint8Array): Uint8Array | null {
  const n = ciphertext.length - TAG;
  polyKey();
  const expected = new Uint8Array(TAG);
  aeadTag(ad, ciphertext, n, expected, 0);
  let diff = 0;
  for (let i = 0; i < TAG; i++) diff |= expected[i]! ^ ciphertext[n + i]!;
  if (diff !== 0) {
    KN.fill(0);
    return null;
  }
  const out = new Uint8Array(n);
  crypt(ciphertext, n, out);
  KN.fill(0);
  return out;
}

/** ciphertext || tag (any length works; above SMALL_AEAD_MAX OpenSSL is faster). */
export function chachaSmallSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  setKeyNonce(key, nonce);
  return seal(plaintext, ad);
}

/** The plaintext, or null if the tag does not verify (nothing is decrypted then). */
export function chachaSmallOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array | null {
  setKeyNonce(key, nonce);
  return open(ciphertext, ad);
}

/** XChaCha20-Poly1305 (24-byte nonce) on the same path: the subkey stays in words, never in bytes. */
export function xchachaSmallSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  setXKeyNonce(key, nonce);
  return seal(plaintext, ad);
}

/** See xchachaSmallSeal; null if the tag does not verify. */
export function xchachaSmallOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array | null {
  setXKeyNonce(key, nonce);
  return open(ciphertext, ad);
}

/**
 * Poly1305 (RFC 8439 §2.5) of a message of whole 16-byte blocks under a 32-byte one-time key,
 * for the tests of the limb arithmetic at its bounds (every byte 0xff). Not used by the AEAD.
 */
export function poly1305WholeBlocks(key: Uint8Array, msg: Uint8Array): Uint8Array {
  if (key.length !== 32 || msg.length % 16 !== 0) throw new RangeError('poly1305WholeBlocks: a 32-byte key and whole 16-byte blocks');
  for (let i = 0; i < 8; i++) KS[i] = rd(key, 4 * i);
  polyInit(KS);
  KS.fill(0);
  polyBlocks(msg, 0, msg.length);
  const tag = new Uint8Array(TAG);
  polyFinish(tag, 0);
  return tag;
}
