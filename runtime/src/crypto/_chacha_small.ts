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
 * Poly1305 works on ten 13-bit limbs, so every product and sum stays an exact double (limb
 * products under 2^30, ten of them under 2^34). Secrets live in module scratch arrays, wiped
 * after each call; every use is synchronous.
 */

/** Above this many plaintext bytes OpenSSL is faster (measured: bench/crypto, this file's tests). */
export const SMALL_AEAD_MAX = 128;

const TAG = 16;
const BLOCK = new Uint8Array(64); // keystream block
const POLY_KEY = new Uint8Array(32);
const R = new Float64Array(10);
const H = new Float64Array(10);
const PAD = new Uint8Array(16); // a part's partial last block, the lengths block

const rd = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);

function wr(b: Uint8Array, o: number, w: number): void {
  b[o] = w; b[o + 1] = w >>> 8; b[o + 2] = w >>> 16; b[o + 3] = w >>> 24;
}

/** out[0..64) = ChaCha20 block (RFC 8439 §2.3) of key, 32-bit counter, 12-byte nonce. */
// prettier-ignore
function chachaBlock(key: Uint8Array, counter: number, nonce: Uint8Array, out: Uint8Array): void {
  const j0 = 0x61707865, j1 = 0x3320646e, j2 = 0x79622d32, j3 = 0x6b206574;
  const j4 = rd(key, 0), j5 = rd(key, 4), j6 = rd(key, 8), j7 = rd(key, 12);
  const j8 = rd(key, 16), j9 = rd(key, 20), j10 = rd(key, 24), j11 = rd(key, 28);
  const j12 = counter | 0, j13 = rd(nonce, 0), j14 = rd(nonce, 4), j15 = rd(nonce, 8);
  let x0 = j0, x1 = j1, x2 = j2, x3 = j3, x4 = j4, x5 = j5, x6 = j6, x7 = j7;
  let x8 = j8, x9 = j9, x10 = j10, x11 = j11, x12 = j12, x13 = j13, x14 = j14, x15 = j15;
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
  wr(out, 0, x0 + j0); wr(out, 4, x1 + j1); wr(out, 8, x2 + j2); wr(out, 12, x3 + j3);
  wr(out, 16, x4 + j4); wr(out, 20, x5 + j5); wr(out, 24, x6 + j6); wr(out, 28, x7 + j7);
  wr(out, 32, x8 + j8); wr(out, 36, x9 + j9); wr(out, 40, x10 + j10); wr(out, 44, x11 + j11);
  wr(out, 48, x12 + j12); wr(out, 52, x13 + j13); wr(out, 56, x14 + j14); wr(out, 60, x15 + j15);
}

/**
 * tag = Poly1305(POLY_KEY, ad || pad || ct[0..ctLen) || pad || u64 len(ad) || u64 ctLen), the
 * MAC input of RFC 8439 §2.8, read in place: only each part's partial last block is copied.
 */
// prettier-ignore
function aeadTag(ad: Uint8Array, ct: Uint8Array, ctLen: number, tag: Uint8Array, tagAt: number): void {
  // r clamped (RFC 8439 §2.5), straight into 13-bit limbs: the masks clear the clamped bits.
  const k = POLY_KEY;
  const t0 = k[0]! | (k[1]! << 8), t1 = k[2]! | (k[3]! << 8), t2 = k[4]! | (k[5]! << 8), t3 = k[6]! | (k[7]! << 8);
  const t4 = k[8]! | (k[9]! << 8), t5 = k[10]! | (k[11]! << 8), t6 = k[12]! | (k[13]! << 8), t7 = k[14]! | (k[15]! << 8);
  R[0] = t0 & 0x1fff; R[1] = ((t0 >>> 13) | (t1 << 3)) & 0x1fff; R[2] = ((t1 >>> 10) | (t2 << 6)) & 0x1f03;
  R[3] = ((t2 >>> 7) | (t3 << 9)) & 0x1fff; R[4] = ((t3 >>> 4) | (t4 << 12)) & 0x00ff; R[5] = (t4 >>> 1) & 0x1ffe;
  R[6] = ((t4 >>> 14) | (t5 << 2)) & 0x1fff; R[7] = ((t5 >>> 11) | (t6 << 5)) & 0x1f81; R[8] = ((t6 >>> 8) | (t7 << 8)) & 0x1fff;
  R[9] = (t7 >>> 5) & 0x007f;
  H.fill(0);
  part(ad, ad.length);
  part(ct, ctLen);
  PAD.fill(0);
  wr(PAD, 0, ad.length); // lengths < 2^32: the high words stay zero
  wr(PAD, 8, ctLen);
  polyBlocks(PAD, 0, 16);
  PAD.fill(0);
  finish(tag, tagAt);
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

/** Adds the 16-byte blocks of msg[from..to) (each with its 2^128 bit) into h, multiplying by r mod 2^130 - 5. */
// prettier-ignore
function polyBlocks(msg: Uint8Array, from: number, to: number): void {
  const r0 = R[0]!, r1 = R[1]!, r2 = R[2]!, r3 = R[3]!, r4 = R[4]!, r5 = R[5]!, r6 = R[6]!, r7 = R[7]!, r8 = R[8]!, r9 = R[9]!;
  // a product landing at limb k >= 10 wraps to limb k - 10 times 5 (2^130 = 5 mod p)
  const s1 = 5 * r1, s2 = 5 * r2, s3 = 5 * r3, s4 = 5 * r4, s5 = 5 * r5, s6 = 5 * r6, s7 = 5 * r7, s8 = 5 * r8, s9 = 5 * r9;
  let h0 = H[0]!, h1 = H[1]!, h2 = H[2]!, h3 = H[3]!, h4 = H[4]!, h5 = H[5]!, h6 = H[6]!, h7 = H[7]!, h8 = H[8]!, h9 = H[9]!;
  for (let o = from; o < to; o += 16) {
    // 16-bit words of the block, then its 13-bit limbs; bit 128 is bit 11 of limb 9
    const t0 = msg[o + 0]! | (msg[o + 1]! << 8); const t1 = msg[o + 2]! | (msg[o + 3]! << 8); const t2 = msg[o + 4]! | (msg[o + 5]! << 8); const t3 = msg[o + 6]! | (msg[o + 7]! << 8);
    const t4 = msg[o + 8]! | (msg[o + 9]! << 8); const t5 = msg[o + 10]! | (msg[o + 11]! << 8); const t6 = msg[o + 12]! | (msg[o + 13]! << 8); const t7 = msg[o + 14]! | (msg[o + 15]! << 8);
    h0 += t0 & 0x1fff;
    h1 += ((t0 >>> 13) | (t1 << 3)) & 0x1fff;
    h2 += ((t1 >>> 10) | (t2 << 6)) & 0x1fff;
    h3 += ((t2 >>> 7) | (t3 << 9)) & 0x1fff;
    h4 += ((t3 >>> 4) | (t4 << 12)) & 0x1fff;
    h5 += (t4 >>> 1) & 0x1fff;
    h6 += ((t4 >>> 14) | (t5 << 2)) & 0x1fff;
    h7 += ((t5 >>> 11) | (t6 << 5)) & 0x1fff;
    h8 += ((t6 >>> 8) | (t7 << 8)) & 0x1fff;
    h9 += (t7 >>> 5) | 0x800;
    let d0 = h0 * r0 + h1 * s9 + h2 * s8 + h3 * s7 + h4 * s6 + h5 * s5 + h6 * s4 + h7 * s3 + h8 * s2 + h9 * s1;
    let d1 = h0 * r1 + h1 * r0 + h2 * s9 + h3 * s8 + h4 * s7 + h5 * s6 + h6 * s5 + h7 * s4 + h8 * s3 + h9 * s2;
    let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s9 + h4 * s8 + h5 * s7 + h6 * s6 + h7 * s5 + h8 * s4 + h9 * s3;
    let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s9 + h5 * s8 + h6 * s7 + h7 * s6 + h8 * s5 + h9 * s4;
    let d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * s9 + h6 * s8 + h7 * s7 + h8 * s6 + h9 * s5;
    let d5 = h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0 + h6 * s9 + h7 * s8 + h8 * s7 + h9 * s6;
    let d6 = h0 * r6 + h1 * r5 + h2 * r4 + h3 * r3 + h4 * r2 + h5 * r1 + h6 * r0 + h7 * s9 + h8 * s8 + h9 * s7;
    let d7 = h0 * r7 + h1 * r6 + h2 * r5 + h3 * r4 + h4 * r3 + h5 * r2 + h6 * r1 + h7 * r0 + h8 * s9 + h9 * s8;
    let d8 = h0 * r8 + h1 * r7 + h2 * r6 + h3 * r5 + h4 * r4 + h5 * r3 + h6 * r2 + h7 * r1 + h8 * r0 + h9 * s9;
    let d9 = h0 * r9 + h1 * r8 + h2 * r7 + h3 * r6 + h4 * r5 + h5 * r4 + h6 * r3 + h7 * r2 + h8 * r1 + h9 * r0;
    let c = 0;
    c = Math.floor(d0 / 8192); h0 = d0 - c * 8192;
    d1 += c;
    c = Math.floor(d1 / 8192); h1 = d1 - c * 8192;
    d2 += c;
    c = Math.floor(d2 / 8192); h2 = d2 - c * 8192;
    d3 += c;
    c = Math.floor(d3 / 8192); h3 = d3 - c * 8192;
    d4 += c;
    c = Math.floor(d4 / 8192); h4 = d4 - c * 8192;
    d5 += c;
    c = Math.floor(d5 / 8192); h5 = d5 - c * 8192;
    d6 += c;
    c = Math.floor(d6 / 8192); h6 = d6 - c * 8192;
    d7 += c;
    c = Math.floor(d7 / 8192); h7 = d7 - c * 8192;
    d8 += c;
    c = Math.floor(d8 / 8192); h8 = d8 - c * 8192;
    d9 += c;
    c = Math.floor(d9 / 8192); h9 = d9 - c * 8192;
    h0 += 5 * c;
    c = Math.floor(h0 / 8192); h0 -= c * 8192; h1 += c;
  }
  H[0] = h0; H[1] = h1; H[2] = h2; H[3] = h3; H[4] = h4; H[5] = h5; H[6] = h6; H[7] = h7; H[8] = h8; H[9] = h9;
}

/** Fully reduces h mod 2^130 - 5, adds s = POLY_KEY[16..32) mod 2^128, writes 16 bytes. */
// prettier-ignore
function finish(tag: Uint8Array, at: number): void {
  let h0 = H[0]!, h1 = H[1]!, h2 = H[2]!, h3 = H[3]!, h4 = H[4]!, h5 = H[5]!, h6 = H[6]!, h7 = H[7]!, h8 = H[8]!, h9 = H[9]!;
  let c = 0;
  // three carry passes: afterwards h < 2^130 and every limb has 13 bits
  for (let pass = 0; pass < 3; pass++) {
    c = h0 >>> 13; h0 &= 0x1fff; h1 += c; c = h1 >>> 13; h1 &= 0x1fff; h2 += c; c = h2 >>> 13; h2 &= 0x1fff; h3 += c; c = h3 >>> 13; h3 &= 0x1fff; h4 += c;
    c = h4 >>> 13; h4 &= 0x1fff; h5 += c; c = h5 >>> 13; h5 &= 0x1fff; h6 += c; c = h6 >>> 13; h6 &= 0x1fff; h7 += c; c = h7 >>> 13; h7 &= 0x1fff; h8 += c; c = h8 >>> 13; h8 &= 0x1fff; h9 += c;
    c = h9 >>> 13; h9 &= 0x1fff; h0 += 5 * c;
  }
  // g = h + 5 - 2^130; h >= p exactly when h + 5 reaches bit 130 (then h mod p = g)
  c = 5;
  const g0 = (h0 + c) & 0x1fff; c = (h0 + c) >>> 13; const g1 = (h1 + c) & 0x1fff; c = (h1 + c) >>> 13; const g2 = (h2 + c) & 0x1fff; c = (h2 + c) >>> 13; const g3 = (h3 + c) & 0x1fff; c = (h3 + c) >>> 13; const g4 = (h4 + c) & 0x1fff; c = (h4 + c) >>> 13;
  const g5 = (h5 + c) & 0x1fff; c = (h5 + c) >>> 13; const g6 = (h6 + c) & 0x1fff; c = (h6 + c) >>> 13; const g7 = (h7 + c) & 0x1fff; c = (h7 + c) >>> 13; const g8 = (h8 + c) & 0x1fff; c = (h8 + c) >>> 13; const g9 = (h9 + c) & 0x1fff; c = (h9 + c) >>> 13;
  const useG = -c; // c is 0 or 1: a mask of all zeros or all ones
  h0 = (h0 & ~useG) | (g0 & useG); h1 = (h1 & ~useG) | (g1 & useG); h2 = (h2 & ~useG) | (g2 & useG); h3 = (h3 & ~useG) | (g3 & useG); h4 = (h4 & ~useG) | (g4 & useG);
  h5 = (h5 & ~useG) | (g5 & useG); h6 = (h6 & ~useG) | (g6 & useG); h7 = (h7 & ~useG) | (g7 & useG); h8 = (h8 & ~useG) | (g8 & useG); h9 = (h9 & ~useG) | (g9 & useG);
  // the 128 low bits of h as 16-bit words, plus s mod 2^128
  c = 0;
  c += ((h0 | (h1 << 13)) & 0xffff) + (POLY_KEY[16]! | (POLY_KEY[17]! << 8)); tag[at + 0] = c; tag[at + 1] = c >>> 8; c >>>= 16;
  c += (((h1 >>> 3) | (h2 << 10)) & 0xffff) + (POLY_KEY[18]! | (POLY_KEY[19]! << 8)); tag[at + 2] = c; tag[at + 3] = c >>> 8; c >>>= 16;
  c += (((h2 >>> 6) | (h3 << 7)) & 0xffff) + (POLY_KEY[20]! | (POLY_KEY[21]! << 8)); tag[at + 4] = c; tag[at + 5] = c >>> 8; c >>>= 16;
  c += (((h3 >>> 9) | (h4 << 4)) & 0xffff) + (POLY_KEY[22]! | (POLY_KEY[23]! << 8)); tag[at + 6] = c; tag[at + 7] = c >>> 8; c >>>= 16;
  c += (((h4 >>> 12) | (h5 << 1) | (h6 << 14)) & 0xffff) + (POLY_KEY[24]! | (POLY_KEY[25]! << 8)); tag[at + 8] = c; tag[at + 9] = c >>> 8; c >>>= 16;
  c += (((h6 >>> 2) | (h7 << 11)) & 0xffff) + (POLY_KEY[26]! | (POLY_KEY[27]! << 8)); tag[at + 10] = c; tag[at + 11] = c >>> 8; c >>>= 16;
  c += (((h7 >>> 5) | (h8 << 8)) & 0xffff) + (POLY_KEY[28]! | (POLY_KEY[29]! << 8)); tag[at + 12] = c; tag[at + 13] = c >>> 8; c >>>= 16;
  c += (((h8 >>> 8) | (h9 << 5)) & 0xffff) + (POLY_KEY[30]! | (POLY_KEY[31]! << 8)); tag[at + 14] = c; tag[at + 15] = c >>> 8; c >>>= 16;
  H.fill(0);
  R.fill(0);
}

/** POLY_KEY = the first 32 bytes of keystream block 0 (RFC 8439 §2.6). */
function polyKey(key: Uint8Array, nonce: Uint8Array): void {
  chachaBlock(key, 0, nonce, BLOCK);
  for (let i = 0; i < 32; i++) POLY_KEY[i] = BLOCK[i]!;
}

/** XOR with the keystream from block 1 on. */
function crypt(key: Uint8Array, nonce: Uint8Array, input: Uint8Array, len: number, out: Uint8Array): void {
  for (let o = 0, ctr = 1; o < len; o += 64, ctr++) {
    chachaBlock(key, ctr, nonce, BLOCK);
    const n = Math.min(64, len - o);
    for (let i = 0; i < n; i++) out[o + i] = input[o + i]! ^ BLOCK[i]!;
  }
  BLOCK.fill(0);
}

/** ciphertext || tag (any length works; above SMALL_AEAD_MAX OpenSSL is faster). */
export function chachaSmallSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const n = plaintext.length;
  const out = new Uint8Array(n + TAG);
  polyKey(key, nonce);
  crypt(key, nonce, plaintext, n, out);
  aeadTag(ad, out, n, out, n);
  POLY_KEY.fill(0);
  return out;
}

/** The plaintext, or null if the tag does not verify (nothing is decrypted then). */
export function chachaSmallOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array | null {
  const n = ciphertext.length - TAG;
  polyKey(key, nonce);
  BLOCK.fill(0);
  const expected = new Uint8Array(TAG);
  aeadTag(ad, ciphertext, n, expected, 0);
  POLY_KEY.fill(0);
  let diff = 0;
  for (let i = 0; i < TAG; i++) diff |= expected[i]! ^ ciphertext[n + i]!;
  if (diff !== 0) return null;
  const out = new Uint8Array(n);
  crypt(key, nonce, ciphertext, n, out);
  return out;
}
