/**
 * Node-only entry point of @parley/runtime (`@parley/runtime/node`): key files on disk.
 * Browser entry points never import this module.
 */
export {
  KEY_FILE_MODE,
  KeyFileError,
  MAX_KEY_FILE_BYTES,
  isKeyFileError,
  loadIdentityFile,
  readKeyFile,
  saveIdentityFile,
  writeKeyFile,
  type KeyFileErrorCode,
} from './keyfile.ts';
