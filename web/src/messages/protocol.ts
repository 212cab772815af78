/**
 * The typed message protocol between the UI thread and the crypto worker (comlink-style, ours).
 *
 * The UI calls `Api` methods through `Remote<Api>` (ui-thread/client.ts): each call is one
 * `WorkerRequest` { id, method, args } answered by one `WorkerResponse` with the same id. The
 * worker also pushes `WorkerEvent`s (connection state, history changes, requests...). Every
 * value crosses the boundary by structured clone: Uint8Arrays stay bytes, errors become
 * `WireError` and are rethrown as `RemoteError` with the same name, code and message.
 *
 * Private keys never cross: the worker owns the identity; the UI sees public data only.
 */
import type { EnvelopeBody, TurnCredentials } from '@parley/generated';
import type { ConnectionState, Contact, FileFailed, FileProgress, HistoryItem, InviteInfo } from '@parley/runtime';
import type { NotifierInfo, PushState, PushTarget } from '../shared/push-config.ts';

export type { ConnectionState, Contact, FileFailed, FileProgress, HistoryItem, InviteInfo };

/** The relay this app talks to, keys as hex. */
export interface RelayInfo {
  url: string;
  /**
   * The relay's nodes from its well-known document (spec documents.well_known endpoints),
   * dialled in random order with failover; absent: the one URL above.
   */
  endpoints?: string[];
  x: string;
  ed: string;
  fingerprint?: string;
  /** env: the build's settings; well-known: the serving relay; stored: the pinned copy (offline). */
  source: 'env' | 'well-known' | 'stored';
}

export type IdentityStatus =
  | { state: 'none' }
  /** An identity exists and is protected by a passphrase. */
  | { state: 'locked'; name: string; id: string }
  | {
      state: 'ready';
      name: string;
      /** Our id, hex. */
      id: string;
      /** Our X25519 public key, hex (how contacts and call rosters name us). */
      key?: string;
      relay: RelayInfo;
      /** Keys at rest are encrypted with a passphrase. */
      protected: boolean;
      /** The relay now publishes other keys than the pinned ones (never switched silently). */
      relayChanged?: RelayInfo;
    }
  /** The identity is open in another tab (one engine per identity: Web Locks). */
  | { state: 'busy' };

/** One conversation's entry in the list. */
export interface Summary {
  contact: string;
  last?: HistoryItem;
  /** Ids of incoming messages not read yet. */
  unread: string[];
}

export interface InvitePreview {
  name: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  /** Hex of the owner's X25519 key (a contact key). */
  key: string;
  /** The invite is our own. */
  own: boolean;
  /** A contact with these keys exists. */
  known: boolean;
}

export interface StoredFile {
  name: string;
  mime: string;
  bytes: Uint8Array;
}

/** Incoming call signalling and other messages the engine does not keep in history. */
export interface SignalMessage {
  contact: string;
  id: string;
  sentAt: number;
  message: EnvelopeBody;
}

export interface CreateOptions {
  name: string;
  /** Optional: encrypts the identity at rest (worker/vault.ts). */
  passphrase?: string;
}

/** Everything the UI can ask the worker. Arguments are one object (or none). */
export interface Api {
  status(): IdentityStatus;
  create(o: CreateOptions): IdentityStatus;
  unlock(o: { passphrase: string }): IdentityStatus;
  /** Accepts the relay's new keys after a `relayChanged` warning. */
  trustRelay(): IdentityStatus;
  connection(): ConnectionState;
  /** The page's network state: offline closes the socket, online reconnects at once. */
  setOnline(o: { online: boolean }): void;
  reconnect(): void;
  /** The page is visible again: reconnect if offline and run the duties throttled timers delayed. */
  resume(): void;

  contacts(): Contact[];
  summaries(): Summary[];
  history(o: { contact: string; limit?: number }): HistoryItem[];
  sendText(o: { contact: string; text: string; replyTo?: string }): HistoryItem;
  editMessage(o: { contact: string; id: string; text: string }): void;
  deleteMessage(o: { contact: string; id: string }): void;
  markRead(o: { contact: string; ids: string[] }): void;
  sendFile(o: { contact: string; name: string; mime: string; bytes: Uint8Array }): { id: string; fileId: string };
  cancelFile(o: { contact: string; fileId: string }): void;
  /** Outgoing transfers only: no new chunk goes until resumeFile (progress says `paused`). */
  pauseFile(o: { contact: string; fileId: string }): void;
  resumeFile(o: { contact: string; fileId: string }): void;
  /** A file's bytes, kept by the app once sent or received (undefined if not here). */
  fileBytes(o: { contact: string; fileId: string }): StoredFile | undefined;

  createInvite(o: { maxUses?: number; ttlSeconds?: number }): InviteInfo;
  /** Parses an invite in any form (link, URI, base64url) without using it; BAD_INVITE, in words a person can act on, if it is none. */
  previewInvite(o: { text: string }): InvitePreview;
  addContact(o: { invite: string; name?: string; note?: string }): Contact;
  acceptContact(o: { contact: string; name?: string }): Contact;
  rejectContact(o: { contact: string }): void;
  removeContact(o: { contact: string }): void;
  renameContact(o: { contact: string; name: string }): Contact;
  verifyContact(o: { contact: string; verified: boolean }): Contact;
  /** The safety number and its QR payload as hex. */
  safetyNumber(o: { contact: string }): { number: string; qr: string };
  checkSafetyQr(o: { contact: string; scanned: string }): boolean;

  // Seams for calls (issue 7): signalling travels as ordinary encrypted messages.
  sendSignal(o: { contact: string; message: EnvelopeBody; silent?: boolean }): string;
  requestTurn(): TurnCredentials;
  ring(o: { contact: string }): void;

  // Push notifications (worker/push-host.ts): registered from a separate push identity.
  pushState(): PushState;
  pushRegister(o: { info: NotifierInfo; target: PushTarget; fresh?: boolean }): PushState;
  pushUnregister(): PushState;
}

export type Method = keyof Api;

/** Every method as an async function: what the UI holds. */
export type Remote<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

export type WorkerRequest = { [M in Method]: { id: number; method: M; args: Parameters<Api[M]> } }[Method];

export interface WireError {
  name: string;
  message: string;
  code?: string;
  /** The technical reason behind a message written for people (e.g. an invite's parse error), for logs. */
  detail?: string;
}

export type WorkerResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

/** What the worker pushes to the UI. */
export interface WorkerEvents {
  state: ConnectionState;
  /** The relay delivered everything it held for us. */
  synced: { delivered: number };
  history: HistoryItem;
  contacts: Contact[];
  /** A request arrived (the UI announces it: src/announce.ts; the list updates from `contacts`). */
  'contact-request': { contact: Contact; note: string };
  /** Someone claims a contact's id with other keys (announced as a security warning; never accepted silently). */
  'key-change': { contact: Contact; previous: Contact };
  /** A contact's v2 session was reset (`them`: their device lost or restored its state; `us`: ours asked): announced, messages around it may be missing. */
  'session-reset': { contact: Contact; by: 'us' | 'them' };
  progress: FileProgress;
  'file-failed': FileFailed;
  /** A new text or file arrived (for notifications; no content). */
  incoming: { contact: string; name: string; silent: boolean };
  signal: SignalMessage;
  /** Delivered receipts for any of our messages (calls: an invite reached the callee's device). */
  delivered: { contact: string; ids: string[] };
  error: { context: string; message: string };
  /** The messaging engine's wake tag rotated (hex): push registers it again. */
  'wake-tag': { tag: string };
}

export type WorkerEvent = { [K in keyof WorkerEvents]: { event: K; data: WorkerEvents[K] } }[keyof WorkerEvents];

/** A worker message is a response to a request or an event. */
export type FromWorker = WorkerResponse | WorkerEvent;

/** Responses carry the request's id; events do not. */
export function isResponse(m: FromWorker): m is WorkerResponse {
  return 'id' in m;
}
