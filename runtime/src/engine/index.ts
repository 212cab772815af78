/**
 * The client engine (browser-safe): `Engine`, its storage and transport interfaces, errors and
 * event types. Node-only pieces live in `../node/` (FileStore, NodeWsTransport).
 */
export { Engine, type EngineOptions } from './engine.ts';
export { EngineError, isEngineError, type EngineErrorCode } from './errors.ts';
export { Emitter, type Listener } from './emitter.ts';
export { MemoryStore, MAX_STORE_KEY_LENGTH, checkKey, checkOps, type Store, type StoreOp } from './storage.ts';
export { WebSocketTransport, SocketCallbacks, type Socket, type Transport } from './transport.ts';
export { backoffDelay, Pacer } from './backoff.ts';
export { fileDigest, fileDigestHasher } from './files.ts';
export { StoreBlobs, checkBlobName, type BlobStore } from './blobs.ts';
export type { FileSource } from './file-send.ts';
export { ORDERED_TYPES, readOrder, type OrderMark } from './order.ts';
export { EPHEMERAL_TYPES } from './sender.ts';
export { isRequestExpired, requestExpiresAt } from './request-expiry.ts';
export { SILENT_FLAG } from './receive.ts';
export { WINDOW_BYTES, WINDOW_FRAMES } from './outbox.ts';
/** The Store's keys and record encoding: tests plant records (a contact with old keys) through them. */
export { K, decodeRecord, encodeRecord } from './records.ts';
export type { AddContactOptions, CreateInviteOptions, InviteInfo } from './contacts.ts';
export type { HistoryItem, HistoryFile, OutStatus } from './history.ts';
export type {
  ConnectionState,
  Contact,
  ContactState,
  EngineEvents,
  FileFailed,
  FileProgress,
  IncomingMessage,
  ConversationProtection,
  ReceivedFile,
} from './types.ts';
export { V1_PROTECTION, protectionOfState } from './ratchet-sessions.ts';
export * as limits from './limits.ts';
