/**
 * ML-KEM-768 (FIPS 203) for the sparse post-quantum ratchet, on @noble/post-quantum (the
 * reference; no native path exists in Node 20 or browsers). Key pairs are generated from a
 * KEM_SEED_SIZE seed, which is what a state keeps; encapsulation takes KEM_ENCAPS_SEED_SIZE
 * bytes of randomness, fixed only for test vectors.
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { KEM_CIPHERTEXT_SIZE, KEM_ENCAPS_SEED_SIZE, KEM_PUBLIC_KEY_SIZE, KEM_SECRET_SIZE, KEM_SEED_SIZE } from '@parley/generated';
import { abytes } from '../_assert.ts';

// The spec's sizes are FIPS 203's; a library with other lengths is the wrong parameter set.
if (
  ml_kem768.lengths.publicKey !== KEM_PUBLIC_KEY_SIZE ||
  ml_kem768.lengths.cipherText !== KEM_CIPHERTEXT_SIZE ||
  ml_kem768.lengths.seed !== KEM_SEED_SIZE ||
  ml_kem768.lengths.msg !== KEM_ENCAPS_SEED_SIZE
) {
  throw new Error('@noble/post-quantum ml_kem768 lengths differ from the spec (KEM_* constants)');
}

/** The public key of the key pair generated from `seed`. */
export function kemPublicKey(seed: Uint8Array): Uint8Array {
  return ml_kem768.keygen(abytes(seed, 'kem seed', KEM_SEED_SIZE)).publicKey;
}

/** Encapsulates to `publicKey` with randomness `m`: the ciphertext and the shared secret. */
export function kemEncapsulate(publicKey: Uint8Array, m: Uint8Array): { ciphertext: Uint8Array; secret: Uint8Array } {
  abytes(publicKey, 'kem public key', KEM_PUBLIC_KEY_SIZE);
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, abytes(m, 'kem encapsulation seed', KEM_ENCAPS_SEED_SIZE));
  if (sharedSecret.length !== KEM_SECRET_SIZE) throw new Error('ML-KEM shared secret of an unexpected size');
  return { ciphertext: cipherText, secret: sharedSecret };
}

/**
 * Decapsulates `ciphertext` with the key pair of `seed`. A ciphertext made for another key
 * gives a different secret (FIPS 203 implicit rejection), so the root step differs and the body
 * does not open: it never throws on a wrong ciphertext.
 */
export function kemDecapsulate(seed: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const { secretKey } = ml_kem768.keygen(abytes(seed, 'kem seed', KEM_SEED_SIZE));
  try {
    return ml_kem768.decapsulate(abytes(ciphertext, 'kem ciphertext', KEM_CIPHERTEXT_SIZE), secretKey);
  } finally {
    secretKey.fill(0);
  }
}
