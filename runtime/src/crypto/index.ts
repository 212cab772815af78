/**
 * Public API of the crypto layer. The node backend is reached only through
 * `getBackend('node')` / `pickBackend()` (a dynamic import), so importing this
 * module never imports node:crypto.
 */
export { CryptoError, isCryptoError, type CryptoErrorCode } from './errors.ts';
export {
  AEAD_TAG_LENGTH,
  BACKEND_NAMES,
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  X25519_KEY_LENGTH,
  XCHACHA_KEY_LENGTH,
  XCHACHA_NONCE_LENGTH,
  type BackendName,
  type CryptoBackend,
  type X25519Ephemeral,
} from './backend.ts';
export { BACKEND_ENV_VAR, getBackend, pickBackend } from './select.ts';
export { nobleBackend } from './noble.ts';
export {
  BLAKE3_BLOCK_LENGTH,
  BLAKE3_CHUNK_LENGTH,
  BLAKE3_CONTEXT_CACHE_SIZE,
  BLAKE3_KEY_LENGTH,
  BLAKE3_MAX_OUTPUT,
  RouteKeystream,
  Blake3Hasher,
  blake3KeyWords,
  blake3KeyWordsInto,
  deriveKey,
  hash,
  keyedHash,
  keyedHashShort,
  keyedHashSplit,
  routeMask8,
} from './blake3.ts';
export { BLAKE3_PIECES_COPY_LIMIT, keyedHashPieces } from './blake3-pieces.ts';
export { RANDOM_BYTES_MAX, randomBytes } from './random.ts';
export { concatBytes, equalBytes, fromHex, fromUtf8, toHex, u64le, utf8, wipe } from './bytes.ts';
