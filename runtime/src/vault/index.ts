/** Secrets at rest under a passphrase (seal.ts) and the passphrase rule (passphrase.ts). */
export { MIN_PASSPHRASE, passphraseLength } from './passphrase.ts';
export {
  PASSPHRASE_KEY_SIZE,
  SALT_SIZE,
  SCRYPT_MAX_N,
  SCRYPT_MAX_R,
  SCRYPT_PARAMS,
  VaultError,
  checkNewPassphrase,
  openSeed,
  openWithPassphrase,
  passphraseKey,
  sealSeed,
  sealWithPassphrase,
  type Protection,
  type ScryptParams,
  type VaultErrorCode,
} from './seal.ts';
