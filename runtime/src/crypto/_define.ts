/**
 * Builds a CryptoBackend from a backend's primitive core (internal).
 *
 * All boundary behaviour lives here, once, so every backend checks arguments,
 * applies the strict rules of `_rules.ts` and maps failures to CryptoError codes
 * identically. A core only computes; it may trust its arguments.
 */
import { abytes } from './_assert.ts';
import { ed25519PrechecksPass, isAllZero, x25519KeyProblem } from './_rules.ts';
import {
  AEAD_TAG_LENGTH,
  ED25519_SEED_LENGTH,
  X25519_KEY_LENGTH,
  XCHACHA_KEY_LENGTH,
  XCHACHA_NONCE_LENGTH,
  type BackendName,
  type CryptoBackend,
} from './backend.ts';
import { CryptoError, isCryptoError } from './errors.ts';

type MaybePromise<T> = T | Promise<T>;

/** What a backend computes. Arguments have been checked by `defineBackend`. */
export interface BackendCore {
  x25519PublicKey(secret: Uint8Array): MaybePromise<Uint8Array>;
  /** Plain X25519; called only with canonical, non-low-order public keys. */
  x25519(secret: Uint8Array, publicKey: Uint8Array): MaybePromise<Uint8Array>;
  ed25519PublicKey(seed: Uint8Array): MaybePromise<Uint8Array>;
  ed25519Sign(seed: Uint8Array, message: Uint8Array): MaybePromise<Uint8Array>;
  /** Cofactorless check [S]B = R + [k]A; called only after `ed25519PrechecksPass`. May throw on undecodable points. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): MaybePromise<boolean>;
  xchachaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): MaybePromise<Uint8Array>;
  /** Called only with ciphertext.length >= 16. Any throw means authentication failed. */
  xchachaOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): MaybePromise<Uint8Array>;
}

function badKey(what: string, cause: unknown): CryptoError {
  return isCryptoError(cause) ? cause : new CryptoError('BAD_KEY', `${what}: key rejected by the backend`, { cause });
}

export function defineBackend(name: BackendName, core: BackendCore): CryptoBackend {
  return Object.freeze({
    name,

    async x25519PublicKey(secret: Uint8Array): Promise<Uint8Array> {
      abytes(secret, 'secret', X25519_KEY_LENGTH);
      try {
        return await core.x25519PublicKey(secret);
      } catch (e) {
        throw badKey('x25519PublicKey', e);
      }
    },

    async x25519(secret: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array> {
      abytes(secret, 'secret', X25519_KEY_LENGTH);
      abytes(publicKey, 'publicKey', X25519_KEY_LENGTH);
      const problem = x25519KeyProblem(publicKey);
      if (problem === 'NON_CANONICAL') {
        throw new CryptoError('NON_CANONICAL', 'x25519: public key is not canonical (u >= 2^255 - 19)');
      }
      if (problem === 'LOW_ORDER') throw new CryptoError('LOW_ORDER', 'x25519: public key is a low-order point');
      let shared: Uint8Array;
      try {
        shared = await core.x25519(secret, publicKey);
      } catch (e) {
        throw badKey('x25519', e);
      }
      // RFC 7748 §6.1. Unreachable after the low-order check for clamped scalars.
      if (isAllZero(shared)) throw new CryptoError('LOW_ORDER', 'x25519: shared secret is all zero');
      return shared;
    },

    async ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array> {
      abytes(seed, 'seed', ED25519_SEED_LENGTH);
      try {
        return await core.ed25519PublicKey(seed);
      } catch (e) {
        throw badKey('ed25519PublicKey', e);
      }
    },

    async ed25519Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
      abytes(seed, 'seed', ED25519_SEED_LENGTH);
      abytes(message, 'message');
      try {
        return await core.ed25519Sign(seed, message);
      } catch (e) {
        throw badKey('ed25519Sign', e);
      }
    },

    async ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
      abytes(publicKey, 'publicKey');
      abytes(message, 'message');
      abytes(signature, 'signature');
      if (!ed25519PrechecksPass(publicKey, signature)) return false;
      try {
        return (await core.ed25519Verify(publicKey, message, signature)) === true;
      } catch {
        return false; // A or R does not decode to a curve point
      }
    },

    async xchachaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Promise<Uint8Array> {
      abytes(key, 'key', XCHACHA_KEY_LENGTH);
      abytes(nonce, 'nonce', XCHACHA_NONCE_LENGTH);
      abytes(plaintext, 'plaintext');
      abytes(ad, 'ad');
      return core.xchachaSeal(key, nonce, plaintext, ad);
    },

    async xchachaOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Promise<Uint8Array> {
      abytes(key, 'key', XCHACHA_KEY_LENGTH);
      abytes(nonce, 'nonce', XCHACHA_NONCE_LENGTH);
      abytes(ciphertext, 'ciphertext');
      abytes(ad, 'ad');
      if (ciphertext.length < AEAD_TAG_LENGTH) {
        throw new CryptoError('DECRYPT_FAILED', 'xchachaOpen: ciphertext is shorter than the tag');
      }
      try {
        return await core.xchachaOpen(key, nonce, ciphertext, ad);
      } catch (e) {
        throw new CryptoError('DECRYPT_FAILED', 'xchachaOpen: authentication failed', { cause: e });
      }
    },
  });
}
