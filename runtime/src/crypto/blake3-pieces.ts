/**
 * BLAKE3 keyed hash over pieces (generated `Blake3.keyedHashPieces`): the signed region of a
 * large frame is hashed where its parts lie instead of being concatenated first.
 */
import { abytes } from './_assert.ts';
import { BLAKE3_CHUNK_LENGTH, Blake3Hasher, keyedHash } from './blake3.ts';

/**
 * Inputs up to this size are hashed by `keyedHashPieces` from one reused buffer (one pass,
 * no allocation); larger ones stream through a `Blake3Hasher` without being concatenated.
 */
export const BLAKE3_PIECES_COPY_LIMIT = 8 * BLAKE3_CHUNK_LENGTH;
const piecesScratch = new Uint8Array(BLAKE3_PIECES_COPY_LIMIT);

/**
 * BLAKE3 keyed hash of the concatenation of `pieces`, which it does not build for large inputs:
 * a file chunk's signed region (~48 KiB) is hashed where it lies instead of being copied once
 * more only to be hashed. Same bytes as `keyedHash(key, concat(pieces), outLen)`.
 */
export function keyedHashPieces(key: Uint8Array, pieces: readonly Uint8Array[], outLen = 32): Uint8Array {
  let total = 0;
  for (const p of pieces) total += abytes(p, 'piece').length;
  if (total <= BLAKE3_PIECES_COPY_LIMIT) {
    let off = 0;
    for (const p of pieces) {
      piecesScratch.set(p, off);
      off += p.length;
    }
    try {
      return keyedHash(key, piecesScratch.subarray(0, total), outLen);
    } finally {
      piecesScratch.fill(0, 0, total);
    }
  }
  if (outLen !== 32) {
    const whole = new Uint8Array(total);
    let off = 0;
    for (const p of pieces) {
      whole.set(p, off);
      off += p.length;
    }
    return keyedHash(key, whole, outLen);
  }
  const h = Blake3Hasher.keyed(key);
  for (const p of pieces) h.update(p);
  return h.digest();
}
