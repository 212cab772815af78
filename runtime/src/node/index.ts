/**
 * Node-only entry point of @parley/runtime (`@parley/runtime/node`): key files on disk, the
 * file-backed engine store and the `ws` transport. Browser entry points never import this module.
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
export { FileStore, type FileStoreOptions } from './file-store.ts';
export { FileBlobs, type FileBlobsOptions } from './file-blobs.ts';
export { NodeWsTransport, type NodeWsTransportOptions } from './ws-transport.ts';
export { readSettings, settingsHelp, type Setting, type SettingValues } from './settings.ts';
export { ENGINE_NODE_FLAGS } from './heap-flags.ts';
export { killPointStore, parseKillPoint, type KillPoint } from './kill-point.ts';
