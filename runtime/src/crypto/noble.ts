/**
 * Reference backend on @noble (pure JS, runs everywhere).
 *
 * X25519: RFC 7748 via `x25519` from @noble/curves.
 * Ed25519: RFC 8032 via `ed25519` from @noble/curves. Verification is NOT noble's `verify`:
 *   noble checks the cofactored equation [8][S]B = [8]R + [8][k]A (RFC 8032 §5.1.7 allows
 *   either), while OpenSSL (node, WebCrypto) and libsodium check the cofactorless
 *   [S]B = R + [k]A. The two differ for A or R with a torsion component, so this backend
 *   computes the cofactorless equation itself on noble's Point API, after the shared strict
 *   pre-checks (`_rules.ts`). With `zip215: false` semantics: Point.fromBytes(bytes, false).
 * XChaCha20-Poly1305: draft-irtf-cfrg-xchacha-03 via @noble/ciphers.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { defineBackend, type BackendCore } from './_define.ts';
import type { CryptoBackend } from './backend.ts';

const Point = ed25519.Point;

/**
 * RFC 8032 §5.1.7 steps 1-3 with the cofactorless group equation. The caller has
 * already checked lengths, S < L and that A and R are canonical and not small-order.
 */
function verifyCofactorless(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const rBytes = signature.subarray(0, 32);
  const A = Point.fromBytes(publicKey, false); // throws if not on the curve
  const R = Point.fromBytes(rBytes, false);
  const S = bytesToNumberLE(signature.subarray(32, 64));
  // k = SHA-512(R || A || M) mod L (§5.1.7 step 2)
  const h = sha512.create().update(rBytes).update(publicKey).update(message).digest();
  const k = Point.Fn.create(bytesToNumberLE(h));
  // [S]B - [k]A == R (step 3, without the factor 8)
  return Point.BASE.multiplyUnsafe(S).subtract(A.multiplyUnsafe(k)).equals(R);
}

/** The noble primitives, unchecked (exported for tests and the other backends' fallbacks). */
export const nobleCore: BackendCore = {
  x25519PublicKey: (secret) => x25519.getPublicKey(secret),
  x25519: (secret, publicKey) => x25519.getSharedSecret(secret, publicKey),
  ed25519PublicKey: (seed) => ed25519.getPublicKey(seed),
  ed25519Sign: (seed, message) => ed25519.sign(message, seed),
  ed25519Verify: verifyCofactorless,
  xchachaSeal: (key, nonce, plaintext, ad) => xchacha20poly1305(key, nonce, ad).encrypt(plaintext),
  xchachaOpen: (key, nonce, ciphertext, ad) => xchacha20poly1305(key, nonce, ad).decrypt(ciphertext),
};

export const nobleBackend: CryptoBackend = defineBackend('noble', nobleCore);
