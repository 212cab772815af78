/**
 * Strict acceptance rules shared by every backend (internal), so that all
 * backends accept and reject exactly the same inputs. Byte-level, no BigInt.
 * Every value checked here is public (keys, signatures), so early exits are fine.
 *
 * X25519 (RFC 7748 §5, §6.1; spec/DESIGN.md "Crypto backends and key rules"):
 *   - canonical: the whole 32-byte little-endian integer, bit 255 included, is < p = 2^255 - 19.
 *     RFC 7748 §5 tells receivers to mask bit 255 and reduce mod p; we do neither and reject
 *     such encodings instead, so every accepted key has exactly one encoding.
 *   - not low order: u is not 0, 1, p - 1 or one of the two order-8 u-coordinates (the points of
 *     order dividing 8 on the curve and its twist). Checked before any scalar multiplication.
 *   - the DH output is not all zero (unreachable after the two checks above; kept as defence).
 * Ed25519 (RFC 8032 §5.1.3, §5.1.7):
 *   - A and R: y (bits 0..254) < p; y is none of the y-coordinates of the 8 small-order points
 *     (1, p - 1, 0 and the two order-8 values); this also rejects "x = 0 with the sign bit set",
 *     which only occurs for y = 1 and y = p - 1.
 *   - S < L (no malleability by adding L).
 */

const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g)!, (b) => parseInt(b, 16));

/** p = 2^255 - 19, little-endian. */
const P = hex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
/** L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const L = hex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

/** Canonical u-coordinates of the Curve25519 points (curve and twist) of order dividing 8. */
const X25519_LOW_ORDER_U: readonly Uint8Array[] = [
  '0000000000000000000000000000000000000000000000000000000000000000', // 0 (order 1 / 2)
  '0100000000000000000000000000000000000000000000000000000000000000', // 1 (order 4)
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p - 1 (order 4, twist)
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', // order 8
].map(hex);

/** y-coordinates (bits 0..254) of the 8 small-order Edwards25519 points. */
const ED25519_SMALL_ORDER_Y: readonly Uint8Array[] = [
  '0100000000000000000000000000000000000000000000000000000000000000', // identity
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // order 2
  '0000000000000000000000000000000000000000000000000000000000000000', // order 4 (two points)
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8 (two points)
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8 (two points)
].map(hex);

/**
 * Compares the 32-byte little-endian integer at a[off..off+32] with `bound`.
 * With `dropTopBit`, bit 255 of `a` is ignored. Returns true if a < bound.
 */
function lessThan(a: Uint8Array, off: number, bound: Uint8Array, dropTopBit: boolean): boolean {
  for (let i = 31; i >= 0; i--) {
    const x = i === 31 && dropTopBit ? a[off + 31]! & 0x7f : a[off + i]!;
    const y = bound[i]!;
    if (x !== y) return x < y;
  }
  return false; // equal
}

function equals32(a: Uint8Array, off: number, b: Uint8Array, dropTopBit: boolean): boolean {
  for (let i = 0; i < 31; i++) if (a[off + i] !== b[i]) return false;
  const last = dropTopBit ? a[off + 31]! & 0x7f : a[off + 31]!;
  return last === b[31];
}

export type X25519KeyProblem = 'NON_CANONICAL' | 'LOW_ORDER' | null;

/** Why a 32-byte X25519 public key is rejected, or null if it is accepted. */
export function x25519KeyProblem(u: Uint8Array): X25519KeyProblem {
  if (!lessThan(u, 0, P, false)) return 'NON_CANONICAL';
  for (const bad of X25519_LOW_ORDER_U) if (equals32(u, 0, bad, false)) return 'LOW_ORDER';
  return null;
}

/** True if every byte is zero. Runs over the whole array (used on DH outputs). */
export function isAllZero(a: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i]!;
  return acc === 0;
}

/** True if the 32-byte point encoding at `off` is canonical and not of small order. */
export function ed25519PointAcceptable(a: Uint8Array, off: number): boolean {
  if (!lessThan(a, off, P, true)) return false;
  for (const bad of ED25519_SMALL_ORDER_Y) if (equals32(a, off, bad, true)) return false;
  return true;
}

/** True if the 32-byte scalar at `off` is < L. */
export function scalarBelowL(a: Uint8Array, off: number): boolean {
  return lessThan(a, off, L, false);
}

/**
 * The pre-checks of strict verification that need no curve arithmetic: lengths,
 * A and R canonical and not small-order, S < L. The curve check itself (A and R
 * decode, [S]B = R + [k]A, cofactorless) is the backend's.
 */
export function ed25519PrechecksPass(publicKey: Uint8Array, signature: Uint8Array): boolean {
  return (
    publicKey.length === 32 &&
    signature.length === 64 &&
    scalarBelowL(signature, 32) &&
    ed25519PointAcceptable(publicKey, 0) &&
    ed25519PointAcceptable(signature, 0)
  );
}
