/**
 * HChaCha20 (internal): draft-irtf-cfrg-xchacha-03 §2.2. Derives the XChaCha20 subkey
 * from a 256-bit key and the first 16 nonce bytes: the ChaCha20 block function of
 * RFC 8439 §2.3 (20 rounds) without the final addition of the input state, keeping
 * words 0..3 and 12..15. Used by the node backend, whose native cipher is only the
 * IETF ChaCha20-Poly1305 (96-bit nonce).
 */

const rd = (b: Uint8Array, o: number): number =>
  b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);

function wr(b: Uint8Array, o: number, w: number): void {
  b[o] = w; b[o + 1] = w >>> 8; b[o + 2] = w >>> 16; b[o + 3] = w >>> 24;
}

const WORDS = new Int32Array(8); // scratch of hchacha20's output words, wiped after use

/** out[0..32) = HChaCha20(key[0..32), nonce[0..16)). No allocation. */
export function hchacha20(key: Uint8Array, nonce: Uint8Array, out: Uint8Array): void {
  hchacha20Words(key, nonce, WORDS);
  for (let i = 0; i < 8; i++) wr(out, 4 * i, WORDS[i]!);
  WORDS.fill(0);
}

/**
 * out[0..8) = HChaCha20(key[0..32), nonce[0..16)) as its eight little-endian words: the small
 * AEAD (_chacha_small.ts) takes the subkey as words, so it is never written out as bytes.
 */
// prettier-ignore
export function hchacha20Words(key: Uint8Array, nonce: Uint8Array, out: Int32Array): void {
  // State (§2.2): constants "expand 32-byte k", key words, 128-bit nonce.
  let x0 = 0x61707865, x1 = 0x3320646e, x2 = 0x79622d32, x3 = 0x6b206574;
  let x4 = rd(key, 0), x5 = rd(key, 4), x6 = rd(key, 8), x7 = rd(key, 12);
  let x8 = rd(key, 16), x9 = rd(key, 20), x10 = rd(key, 24), x11 = rd(key, 28);
  let x12 = rd(nonce, 0), x13 = rd(nonce, 4), x14 = rd(nonce, 8), x15 = rd(nonce, 12);
  for (let i = 0; i < 10; i++) {
    // Quarter round (RFC 8439 §2.1): a += b; d ^= a; d <<<= 16; c += d; b ^= c; b <<<= 12;
    // a += b; d ^= a; d <<<= 8; c += d; b ^= c; b <<<= 7. One line per half.
    // column round
    x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 16) | (x12 >>> 16); x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 12) | (x4 >>> 20);
    x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 8) | (x12 >>> 24); x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 7) | (x4 >>> 25);
    x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 16) | (x13 >>> 16); x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 12) | (x5 >>> 20);
    x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 8) | (x13 >>> 24); x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 7) | (x5 >>> 25);
    x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 16) | (x14 >>> 16); x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 12) | (x6 >>> 20);
    x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 8) | (x14 >>> 24); x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 7) | (x6 >>> 25);
    x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 16) | (x15 >>> 16); x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 12) | (x7 >>> 20);
    x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 8) | (x15 >>> 24); x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 7) | (x7 >>> 25);
    // diagonal round
    x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 16) | (x15 >>> 16); x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 12) | (x5 >>> 20);
    x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 8) | (x15 >>> 24); x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 7) | (x5 >>> 25);
    x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 16) | (x12 >>> 16); x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 12) | (x6 >>> 20);
    x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 8) | (x12 >>> 24); x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 7) | (x6 >>> 25);
    x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 16) | (x13 >>> 16); x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 12) | (x7 >>> 20);
    x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 8) | (x13 >>> 24); x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 7) | (x7 >>> 25);
    x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 16) | (x14 >>> 16); x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 12) | (x4 >>> 20);
    x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 8) | (x14 >>> 24); x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 7) | (x4 >>> 25);
  }
  out[0] = x0; out[1] = x1; out[2] = x2; out[3] = x3;
  out[4] = x12; out[5] = x13; out[6] = x14; out[7] = x15;
}
