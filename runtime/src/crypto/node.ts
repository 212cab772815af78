/**
 * Native backend on node:crypto (OpenSSL). Same rules as the noble reference
 * (`_define.ts` applies the shared checks of `_rules.ts` before any native call).
 *
 * Ed25519 (RFC 8032) and X25519 (RFC 7748): OpenSSL via KeyObjects. OpenSSL's
 * Ed25519 verification is cofactorless ([S]B = R + [k]A, compared as bytes), like
 * libsodium and like our noble backend.
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 §2.3): HChaCha20(K, n[0..16]) in JS,
 * then OpenSSL's IETF ChaCha20-Poly1305 (RFC 8439 §2.8) with nonce 0^4 || n[16..24].
 *
 * Speed (measured on Node 20, see bench/crypto): key import dominates.
 *  - Private keys are imported from JWK: about 10x faster than PKCS#8 DER, whose
 *    OpenSSL 3.0 decoder costs ~0.5 ms. JWK needs the secret as a base64url string,
 *    which JS cannot wipe; `_keycache.ts` keeps the KeyObject per secret array, so at
 *    most one such string is made per array and later calls skip the import (and the
 *    public-key recomputation OpenSSL does on import). DER stays as a fallback.
 *  - Public keys are imported from JWK too and kept in a bounded LRU.
 *  - Ephemeral X25519 key pairs (x25519Ephemeral) are random secrets used through the same
 *    cache, NOT generateKeyPairSync('x25519'): on Node 20 a generated key can deadlock the
 *    process. Its JWK export holds the key's mutex while allocating a V8 string; if that
 *    allocation runs a GC which finalises the KeyGenJob that made the key, ~KeyGenJob locks
 *    the same mutex and the main thread waits forever (seen in 4 of 6 runs of 20,000
 *    generations with allocation pressure; never with the JWK import used here). A DER export
 *    did not hang but costs about 90 µs more, so native generation would gain nothing.
 */
import { Buffer } from 'node:buffer';
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { abytes } from './_assert.ts';
import { defineBackend, type BackendCore } from './_define.ts';
import { SMALL_AEAD_MAX, xchachaSmallOpen, xchachaSmallSeal } from './_chacha_small.ts';
import { hchacha20 } from './_hchacha.ts';
import { PublicKeyCache, SecretKeyCache } from './_keycache.ts';
import { AEAD_TAG_LENGTH, type CryptoBackend } from './backend.ts';
import { encodedBytes } from './bytes.ts';
import { CryptoError } from './errors.ts';

type Curve = 'Ed25519' | 'X25519';

/** RFC 8410 PKCS#8 prefixes (OneAsymmetricKey v0, OID 1.3.101.112 / .110, OCTET STRING of 32). */
const PKCS8_PREFIX: Record<Curve, Uint8Array> = {
  Ed25519: Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20),
  X25519: Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20),
};

const b64url = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

/** A plain Uint8Array over a Buffer's bytes; copies if the Buffer shares its memory (pool). */
function plain(buf: Uint8Array): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) return new Uint8Array(buf.buffer);
  return new Uint8Array(buf); // a copy, as a plain Uint8Array (slice() would make a Buffer)
}

let jwkPrivateImport = true;

function importPrivate(crv: Curve, secret: Uint8Array): KeyObject {
  if (jwkPrivateImport) {
    try {
      // Node reads only `d` for a private OKP key (and recomputes the public key); `x` must be a string.
      return createPrivateKey({ key: { kty: 'OKP', crv, d: b64url(secret), x: '' }, format: 'jwk' });
    } catch {
      jwkPrivateImport = false; // a Node that insists on `x`: use DER from now on
    }
  }
  const der = new Uint8Array(48);
  der.set(PKCS8_PREFIX[crv]);
  der.set(secret, 16);
  try {
    return createPrivateKey({ key: Buffer.from(der.buffer), format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

interface PrivateEntry {
  readonly key: KeyObject;
  publicKey: Uint8Array | null;
}

const privateKeys: Record<Curve, SecretKeyCache<PrivateEntry>> = {
  Ed25519: new SecretKeyCache(),
  X25519: new SecretKeyCache(),
};
const publicKeys: Record<Curve, PublicKeyCache<KeyObject>> = {
  Ed25519: new PublicKeyCache(),
  X25519: new PublicKeyCache(),
};

function privateEntry(crv: Curve, secret: Uint8Array): PrivateEntry {
  return privateKeys[crv].get(secret, (s) => ({ key: importPrivate(crv, s), publicKey: null }));
}

function publicKeyOf(crv: Curve, secret: Uint8Array): Uint8Array {
  const entry = privateEntry(crv, secret);
  if (entry.publicKey === null) {
    const x = createPublicKey(entry.key).export({ format: 'jwk' }).x;
    if (typeof x !== 'string') throw new CryptoError('BAD_KEY', `${crv}: no public key exported`);
    entry.publicKey = plain(Buffer.from(x, 'base64url'));
  }
  return entry.publicKey.slice();
}

function importPublic(crv: Curve, publicKey: Uint8Array): KeyObject {
  const x = encodedBytes(publicKey, b64url);
  return publicKeys[crv].get(x, () => createPublicKey({ key: { kty: 'OKP', crv, x }, format: 'jwk' }));
}

// AEAD scratch: subkey and IETF nonce. Safe to share: every use is synchronous.
const SUBKEY = new Uint8Array(32);
const IETF_NONCE = new Uint8Array(12); // bytes 0..4 stay zero

/** XChaCha20 -> IETF ChaCha20: SUBKEY = HChaCha20(key, nonce[0..16]), IETF_NONCE = 0^4 || nonce[16..24]. */
function extendNonce(key: Uint8Array, nonce: Uint8Array): void {
  hchacha20(key, nonce, SUBKEY);
  for (let i = 0; i < 8; i++) IETF_NONCE[4 + i] = nonce[16 + i]!;
}

function ietfSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: plaintext.length });
  const body = cipher.update(plaintext);
  cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(body.length + AEAD_TAG_LENGTH);
  out.set(body);
  out.set(tag, body.length);
  return out;
}

/** Throws (any error) if authentication fails; the caller maps it to DECRYPT_FAILED. */
function ietfOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array {
  const n = ciphertext.length - AEAD_TAG_LENGTH;
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  decipher.setAuthTag(ciphertext.subarray(n));
  if (ad.length > 0) decipher.setAAD(ad, { plaintextLength: n });
  const plaintext = decipher.update(ciphertext.subarray(0, n));
  try {
    decipher.final(); // checks the tag
  } catch (e) {
    plaintext.fill(0); // never release unauthenticated plaintext
    throw e;
  }
  return plain(plaintext);
}

const nodeCore: BackendCore = {
  x25519PublicKey: (secret) => publicKeyOf('X25519', secret),
  x25519: (secret, publicKey) =>
    plain(diffieHellman({ privateKey: privateEntry('X25519', secret).key, publicKey: importPublic('X25519', publicKey) })),
  ed25519PublicKey: (seed) => publicKeyOf('Ed25519', seed),
  ed25519Sign: (seed, message) => plain(nodeSign(null, message, privateEntry('Ed25519', seed).key)),
  ed25519Verify: (publicKey, message, signature) =>
    nodeVerify(null, message, importPublic('Ed25519', publicKey), signature),
  xchachaSeal(key, nonce, plaintext, ad) {
    // Short messages (ratchet headers): OpenSSL's fixed cost per call exceeds the JS computation.
    if (plaintext.length <= SMALL_AEAD_MAX) return xchachaSmallSeal(key, nonce, plaintext, ad);
    extendNonce(key, nonce);
    try {
      return ietfSeal(SUBKEY, IETF_NONCE, plaintext, ad);
    } finally {
      SUBKEY.fill(0);
    }
  },
  xchachaOpen(key, nonce, ciphertext, ad) {
    if (ciphertext.length - AEAD_TAG_LENGTH <= SMALL_AEAD_MAX) {
      const plaintext = xchachaSmallOpen(key, nonce, ciphertext, ad);
      if (plaintext === null) throw new CryptoError('DECRYPT_FAILED', 'authentication failed');
      return plaintext;
    }
    extendNonce(key, nonce);
    try {
      return ietfOpen(SUBKEY, IETF_NONCE, ciphertext, ad);
    } finally {
      SUBKEY.fill(0);
    }
  },
};

export const nodeBackend: CryptoBackend = defineBackend('node', nodeCore);

/** Drops every cached native key (e.g. after deleting an identity). */
export function clearNodeKeyCaches(): void {
  for (const c of Object.values(privateKeys)) c.clear();
  for (const c of Object.values(publicKeys)) c.clear();
}

/**
 * IETF ChaCha20-Poly1305 (RFC 8439 §2.8, 96-bit nonce) on OpenSSL: the native half of
 * the node XChaCha path, exposed for its own vector tests. Internal: not in index.ts.
 */
export function chachaIetfSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  abytes(key, 'key', 32);
  abytes(nonce, 'nonce', 12);
  abytes(plaintext, 'plaintext');
  abytes(ad, 'ad');
  return ietfSeal(key, nonce, plaintext, ad);
}

/** See `chachaIetfSeal`. Throws CryptoError DECRYPT_FAILED. */
export function chachaIetfOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array {
  abytes(key, 'key', 32);
  abytes(nonce, 'nonce', 12);
  abytes(ciphertext, 'ciphertext');
  abytes(ad, 'ad');
  if (ciphertext.length < AEAD_TAG_LENGTH) throw new CryptoError('DECRYPT_FAILED', 'ciphertext is shorter than the tag');
  try {
    return ietfOpen(key, nonce, ciphertext, ad);
  } catch (e) {
    throw new CryptoError('DECRYPT_FAILED', 'authentication failed', { cause: e });
  }
}
