/**
 * ML-KEM-768 (FIPS 203) for the sparse post-quantum ratchet, on @noble/post-quantum (the
 * reference; no native path exists in Node 20 or browsers). Key pairs are generated from a
 * KEM_SEED_SIZE seed, which is what a state keeps; encapsulation takes KEM_ENCAPS_SEED_SIZE
 * bytes of randomness, fixed only for test vectors.
 *
 * The library is imported on first use (`loadKem`), not with the module: every caller is already
 * async (a session's start and DH steps), and a bundler then puts ML-KEM in a chunk of its own,
 * so the web app's crypto worker fetches it only when a session takes a KEM step instead of
 * before its first screen (web/README.md; the service worker precaches it for offline use).
 */
import { KEM_CIPHERTEXT_SIZE, KEM_ENCAPS_SEED_SIZE, KEM_PUBLIC_KEY_SIZE, KEM_SECRET_SIZE, KEM_SEED_SIZE } from '@parley/generated';
import { abytes } from '../_assert.ts';

type MlKem768 = (typeof import('@noble/post-quantum/ml-kem.js'))['ml_kem768'];

let loading: Promise<MlKem768> | undefined;

/** ML-KEM-768, imported once; a failed import (a chunk that could not be fetched) is tried again on the next call. */
export function loadKem(): Promise<MlKem768> {
  if (loading) return loading;
  loading = import('@noble/post-quantum/ml-kem.js').then(({ ml_kem768 }) => {
    // The spec's sizes are FIPS 203's; a library with other lengths is the wrong parameter set.
    if (
      ml_kem768.lengths.publicKey !== KEM_PUBLIC_KEY_SIZE ||
      ml_kem768.lengths.cipherText !== KEM_CIPHERTEXT_SIZE ||
      ml_kem768.lengths.seed !== KEM_SEED_SIZE ||
      ml_kem768.lengths.msg !== KEM_ENCAPS_SEED_SIZE
    ) {
      throw new Error('@noble/post-quantum ml_kem768 lengths differ from the spec (KEM_* constants)');
    }
    return ml_kem768;
  });
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

/** The public key of the key pair generated from `seed`. */
export async function kemPublicKey(seed: Uint8Array): Promise<Uint8Array> {
  abytes(seed, 'kem seed', KEM_SEED_SIZE);
  return (await loadKem()).keygen(seed).publicKey;
}

/** Encapsulates to `publicKey` with randomness `m`: the ciphertext and the shared secret. */
export async function kemEncapsulate(publicKey: Uint8Array, m: Uint8Array): Promise<{ ciphertext: Uint8Array; secret: Uint8Array }> {
  abytes(publicKey, 'kem public key', KEM_PUBLIC_KEY_SIZE);
  abytes(m, 'kem encapsulation seed', KEM_ENCAPS_SEED_SIZE);
  const { cipherText, sharedSecret } = (await loadKem()).encapsulate(publicKey, m);
  if (sharedSecret.length !== KEM_SECRET_SIZE) throw new Error('ML-KEM shared secret of an unexpected size');
  return { ciphertext: cipherText, secret: sharedSecret };
}

/**
 * Decapsulates `ciphertext` with the key pair of `seed`. A ciphertext made for another key
 * gives a different secret (FIPS 203 implicit rejection), so the root step differs and the body
 * does not open: it never throws on a wrong ciphertext.
 */
export async function kemDecapsulate(seed: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array> {
  abytes(seed, 'kem seed', KEM_SEED_SIZE);
  abytes(ciphertext, 'kem ciphertext', KEM_CIPHERTEXT_SIZE);
  const kem = await loadKem();
  const { secretKey } = kem.keygen(seed);
  try {
    return kem.decapsulate(ciphertext, secretKey);
  } finally {
    secretKey.fill(0);
  }
}
