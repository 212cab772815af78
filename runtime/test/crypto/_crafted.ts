/**
 * Crafted edge-case inputs for the strict-rule and differential tests, built with
 * noble's point arithmetic: malleable, small-order, mixed-order and non-canonical
 * Ed25519 signatures and keys, and special X25519 public keys.
 */
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, fromHex } from '../../src/crypto/bytes.ts';

const Point = ed25519.Point;
export const L = Point.Fn.ORDER;
export const P = 2n ** 255n - 19n;

export const le32 = (n: bigint): Uint8Array => numberToBytesLE(n, 32);

/** The 8 small-order Edwards points (canonical encodings), from noble. */
export const SMALL_ORDER_POINTS: readonly Uint8Array[] = ED25519_TORSION_SUBGROUP.map(fromHex);
/** A point of order 8 (index 1 in noble's list). */
export const ORDER_8_POINT = Point.fromBytes(SMALL_ORDER_POINTS[1]!);

/** Non-canonical encodings of small-order points: y + p (y = 0, 1) and x = 0 with the sign bit set. */
export const NON_CANONICAL_SMALL_ORDER: readonly Uint8Array[] = [
  le32(P), // y = p  = 0 mod p
  le32(P + 1n), // y = p + 1 = 1 mod p
  (() => { const e = le32(1n); e[31]! |= 0x80; return e; })(), // identity, "x = -0"
  (() => { const e = le32(P - 1n); e[31]! |= 0x80; return e; })(), // order 2, "x = -0"
];

export interface SignedCase {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

const challenge = (R: Uint8Array, A: Uint8Array, m: Uint8Array): bigint =>
  Point.Fn.create(bytesToNumberLE(sha512(concatBytes(R, A, m))));

/** An honest signature. */
export function honest(seed: Uint8Array, message: Uint8Array): SignedCase {
  return { publicKey: ed25519.getPublicKey(seed), message, signature: ed25519.sign(message, seed) };
}

/** S replaced by S + L (< 2^256): the classic malleability; strict verifiers reject it. */
export function sPlusL(c: SignedCase): SignedCase {
  const S = bytesToNumberLE(c.signature.subarray(32));
  return { ...c, signature: concatBytes(c.signature.subarray(0, 32), le32(S + L)) };
}

/**
 * A signature whose R has a torsion component: R = rB + T (T of order 8),
 * k = H(R || A || M), S = r + k a. Then [S]B - [k]A = rB != R, so the cofactorless
 * equation rejects it, while the cofactored one ([8]T = 0) accepts it.
 */
export function mixedOrderR(seed: Uint8Array, message: Uint8Array, rSeed: bigint): SignedCase {
  const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(seed);
  const r = Point.Fn.create(rSeed) || 1n;
  const R = Point.BASE.multiply(r).add(ORDER_8_POINT).toBytes();
  const S = Point.Fn.create(r + challenge(R, pointBytes, message) * scalar);
  return { publicKey: pointBytes, message, signature: concatBytes(R, le32(S)) };
}

/**
 * A signature under the mixed-order key A' = aB + T, computed with the secret scalar a:
 * R = rB, k = H(R || A' || M), S = r + k a. Cofactorless verification accepts it iff
 * [k]T = 0 (k = 0 mod 8); cofactored verification always accepts it.
 */
export function mixedOrderKey(seed: Uint8Array, message: Uint8Array, rSeed: bigint): SignedCase {
  const { scalar } = ed25519.utils.getExtendedPublicKey(seed);
  const A = Point.BASE.multiply(scalar).add(ORDER_8_POINT).toBytes();
  const r = Point.Fn.create(rSeed) || 1n;
  const R = Point.BASE.multiply(r).toBytes();
  const S = Point.Fn.create(r + challenge(R, A, message) * scalar);
  return { publicKey: A, message, signature: concatBytes(R, le32(S)) };
}

/** k = H(R || A || M) mod 8 for a case: 0 means [k]T vanishes for T of order 8. */
export function challengeMod8(c: SignedCase): number {
  return Number(challenge(c.signature.subarray(0, 32), c.publicKey, c.message) % 8n);
}

/**
 * A signature that verifies under lax rules for a small-order public key: A and R small
 * order, S = 0, R = -[k]A. With A = identity any k works, so R = identity.
 */
export function identityKeyForgery(message: Uint8Array): SignedCase {
  const identity = SMALL_ORDER_POINTS[0]!;
  return { publicKey: identity, message, signature: concatBytes(identity, new Uint8Array(32)) };
}

/** Canonical low-order X25519 u-coordinates: 0, 1, p - 1 and the two order-8 values. */
export const X25519_LOW_ORDER: readonly Uint8Array[] = [
  le32(0n),
  le32(1n),
  le32(P - 1n),
  le32(325606250916557431795983626356110631294008115727848805560023387167927233504n),
  le32(39382357235489614581723060781553021112529911719440698176882885853963445705823n),
];

/** `u` with bit 255 set: the same point for RFC 7748 (which masks it), non-canonical for us. */
export function withTopBit(u: Uint8Array): Uint8Array {
  const e = u.slice();
  e[31]! |= 0x80;
  return e;
}
