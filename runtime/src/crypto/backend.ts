/**
 * The interface every crypto backend implements (spec/DESIGN.md "Crypto backends and key rules").
 * Asynchronous because WebCrypto is. All backends apply the same strict rules
 * (`_rules.ts`, README.md), so they accept and reject exactly the same inputs.
 *
 * X25519: RFC 7748. Ed25519: RFC 8032 (pure Ed25519, no context).
 * XChaCha20-Poly1305: draft-irtf-cfrg-xchacha-03 over RFC 8439.
 */

import { KEY_SIZE, NONCE_SIZE, SIG_SIZE, TAG_SIZE } from '@parley/generated';

export type BackendName = 'noble' | 'node' | 'webcrypto';
export const BACKEND_NAMES: readonly BackendName[] = ['noble', 'node', 'webcrypto'];

// The primitives' sizes, as the spec states them (spec/protocol.yaml constants): one source, so
// a backend cannot disagree with the frames it encrypts.
export const X25519_KEY_LENGTH = KEY_SIZE;
export const ED25519_SEED_LENGTH = KEY_SIZE;
export const ED25519_PUBLIC_KEY_LENGTH = KEY_SIZE;
export const ED25519_SIGNATURE_LENGTH = SIG_SIZE;
export const XCHACHA_KEY_LENGTH = KEY_SIZE;
export const XCHACHA_NONCE_LENGTH = NONCE_SIZE;
export const AEAD_TAG_LENGTH = TAG_SIZE;

/**
 * An X25519 key pair for one exchange (a handshake's e_R or e_C). On webcrypto the secret
 * lives only inside a non-extractable platform key; elsewhere it is a JS array that
 * `destroy()` wipes.
 */
export interface X25519Ephemeral {
  /** X25519(e, 9), 32 bytes. */
  readonly publicKey: Uint8Array;
  /**
   * X25519(e, publicKey), with exactly the rules of `CryptoBackend.x25519`: rejects with
   * CryptoError NON_CANONICAL or LOW_ORDER. Rejects with an Error after `destroy()`.
   */
  dh(publicKey: Uint8Array): Promise<Uint8Array>;
  /** Wipes (or, for a native key object, drops) the secret; idempotent. */
  destroy(): void;
}

export interface CryptoBackend {
  readonly name: BackendName;
  /** X25519(secret, 9). The secret is clamped as RFC 7748 §5 says. */
  x25519PublicKey(secret: Uint8Array): Promise<Uint8Array>;
  /**
   * X25519(secret, publicKey). Rejects with CryptoError NON_CANONICAL if the public key
   * encodes u >= 2^255 - 19 (bit 255 included), LOW_ORDER if it is a low-order point or
   * the output is all zero.
   */
  x25519(secret: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>;
  /**
   * A new ephemeral X25519 key pair. Without `secret` the backend makes the secret itself
   * (webcrypto: a non-extractable platform key; noble and node: random bytes); with `secret`
   * (32 bytes, copied; the caller may wipe its array) the pair is that secret's, for vectors.
   */
  x25519Ephemeral(secret?: Uint8Array): Promise<X25519Ephemeral>;
  /** Ed25519 public key of a 32-byte seed (RFC 8032 §5.1.5). */
  ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array>;
  /** Ed25519 signature (RFC 8032 §5.1.6), 64 bytes. */
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /**
   * Strict RFC 8032 verification: S < L, canonical A and R, small-order A and R rejected,
   * cofactorless equation [S]B = R + [k]A. Resolves false for any invalid input (also a
   * public key or signature of the wrong length); rejects only for non-Uint8Array arguments.
   */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** XChaCha20-Poly1305 encryption; returns ciphertext || 16-byte tag. */
  xchachaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Promise<Uint8Array>;
  /**
   * The same, returned at once: no backend waits for XChaCha20-Poly1305 (WebCrypto has no
   * ChaCha; every backend computes it in JS or OpenSSL). For a caller that seals something
   * small before an await it cannot avoid: a ratchet header, whose await cost about 0.25 µs of
   * a 50 µs seal (spec/DESIGN.md, "v2 sessions": the symmetric step's cost).
   */
  xchachaSealSync(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array;
  /** XChaCha20-Poly1305 decryption; rejects with CryptoError DECRYPT_FAILED. */
  xchachaOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Promise<Uint8Array>;
}
