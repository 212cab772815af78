/**
 * The engine's public types: contacts, connection states, and the payload of every event.
 * Ids and keys in events are lower-case hex strings; message bodies are the generated codec's
 * types (`EnvelopeBody`: a union on `type`, a MessageType code, with its `body`).
 */
import type { EnvelopeBody, Extension, TurnCredentials } from '@parley/generated';
import type { FileEndReason, HistoryItem } from './history.ts';

/**
 * - `requested`: we sent a contact request (first contact) and wait for their accept; messages
 *   to them wait in the outbox.
 * - `pending`: they asked us; nothing is sent until the user accepts.
 * - `accepted`: both sides agreed; messages flow.
 */
export type ContactState = 'requested' | 'pending' | 'accepted';

export interface Contact {
  /** Hex of the contact's X25519 key: how the engine names a contact. */
  readonly key: string;
  /** Hex of the 8-byte id (a routing hint: several key pairs may share an id). */
  readonly id: string;
  readonly x: Uint8Array;
  readonly ed: Uint8Array;
  /** Local display name (from the invite, the request, or the user). */
  name: string;
  /** A note: the greeting of a request, or the user's own. */
  note: string;
  state: ContactState;
  /** The user compared safety numbers and confirmed. Reset when keys change. */
  verified: boolean;
  /** The conversation's protocol version: 2 once a v2 session exists (see `protection`), else 1; never lowered. */
  version: number;
  createdAt: number;
  /** A pending request whose id belongs to an existing contact with other keys: the key of that contact. */
  keyChangeOf?: string;
  /** What protects the conversation now (filled in by the engine's `contacts()`, `contact()`, `findContact()`; never stored). */
  protection?: ConversationProtection;
}

/**
 * A conversation's protection, for the UI: v1 static pair keys, or a v2 session (double ratchet:
 * forward secrecy and post-compromise security; post-quantum once an ML-KEM secret entered its
 * root, from the first round trip on).
 */
export interface ConversationProtection {
  /** 2: a v2 session; 1: the v1 static pair keys. */
  version: 1 | 2;
  forwardSecrecy: boolean;
  postQuantum: boolean;
  /** What apps show: "forward secrecy · post-quantum", "forward secrecy" or "static keys (no forward secrecy)". */
  label: string;
}

export type ConnectionState =
  | { state: 'stopped' }
  /** `endpoint`: the relay node being dialled or in use (one of the relay's endpoints). */
  | { state: 'connecting'; attempt: number; endpoint?: string }
  | { state: 'handshaking' }
  | { state: 'online'; endpoint?: string; relayTime: number; mailboxPending: number }
  | {
      state: 'offline';
      attempt: number;
      /** The node that failed. */
      endpoint?: string;
      /** Set when another node is dialled at once (retryInMs 0) instead of backing off. */
      failover?: string;
      /** Milliseconds until the next attempt, and when it is (engine clock). */
      retryInMs: number;
      retryAt: number;
      reason: string;
      /** The relay's close code, when it closed the connection. */
      closeCode?: number;
      /** What failed (e.g. HandshakeError BAD_RELAY: the pinned relay keys do not match). */
      error?: { code: string; message: string };
    };

/** A received message, after every check of the spec's receive order. */
export type IncomingMessage = EnvelopeBody & {
  contact: Contact;
  /** Message id, hex. */
  id: string;
  /** Sender's clock (ms). */
  sentAt: number;
  /** Our clock when it arrived (ms). */
  receivedAt: number;
  /** Flag bit 0: no notification. */
  silent: boolean;
  extensions: Extension[];
  /** Edits and deletes: false if the target has not arrived yet (it is applied when it does). */
  applied?: boolean;
};

export interface FileProgress {
  contact: string;
  fileId: string;
  direction: 'in' | 'out';
  /** in: chunks stored; out: chunks the peer confirmed (`sent`: chunks put on the wire). */
  chunks: number;
  sent?: number;
  totalChunks: number;
  bytes: number;
  size: number;
  /** out: the user paused it (Engine.pauseFile); no new chunk goes until resumeFile. */
  paused?: boolean;
}

export interface ReceivedFile {
  contact: string;
  fileId: string;
  /** Message id of the offer, hex. */
  id: string;
  name: string;
  mime: string;
  size: number;
  /**
   * Reads the received file in pieces (at most FILE_CHUNK_SIZE bytes each for an engine on a
   * plain Store). Valid until the app calls `releaseFile` (holdReceivedFiles), else only while the
   * listener runs synchronously.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** The whole file, unless EngineOptions.streamReceivedFiles (then use `read`). */
  bytes?: Uint8Array;
}

export interface FileFailed {
  contact: string;
  fileId: string;
  direction: 'in' | 'out';
  /**
   * corrupt (digest mismatch), cancelled, too_large, invalid (chunks that do not fit the offer),
   * or expired (incoming: the offer left the replay window, so its chunks can never be accepted).
   */
  reason: FileEndReason;
}

export interface EngineEvents {
  state: ConnectionState;
  /** The relay delivered everything it held for us (control MAILBOX_DRAINED). */
  synced: { delivered: number };
  message: IncomingMessage;
  /** An outgoing message went on the wire for the first time. */
  sent: { contact: string; id: string };
  delivered: { contact: string; ids: string[] };
  read: { contact: string; ids: string[] };
  /** An incoming contact request waits for accept or reject. `keyChangeOf` warns of a key change. */
  'contact-request': { contact: Contact; note: string };
  /** A contact whose id matches another contact's, with other keys: never accepted silently. */
  'key-change': { contact: Contact; previous: Contact };
  /** Our request was accepted (or we accepted theirs). */
  'contact-accepted': { contact: Contact };
  /**
   * A request expired (request-expiry.ts): ours (`contact.state` 'requested') was not accepted in
   * time, or one we received ('pending') was not accepted in time and was removed.
   */
  'contact-request-expired': { contact: Contact };
  'file-progress': FileProgress;
  file: ReceivedFile;
  'file-failed': FileFailed;
  /** History changed (new message, edit, delete, status): for views. */
  history: { item: HistoryItem };
  /** The wake tag changed: register it with the notifier again. */
  'wake-tag': { tag: Uint8Array; createdAt: number };
  /** (Notifier) the relay woke one of its clients' tags. */
  wake: { tag: Uint8Array; reason: number };
  'turn-credentials': TurnCredentials;
  /** The relay answered a control request with ERROR (code: RelayError, request: ControlType). */
  'relay-error': { code: number; request: number };
  /** A received frame or message was rejected; `code` is the spec's open-error or codec code. */
  dropped: { kind: string; code: string; message: string; contact?: string };
  /** Every accepted envelope, duplicates excluded, before the engine acts on it (hooks). */
  envelope: { contact: Contact; envelope: EnvelopeBody & { msgId: Uint8Array; sentAt: number; flags: number } };
  /**
   * A v2 session was reset: `by` 'them' (the contact's device lost or restored its state and asked
   * for a new session; we answered) or 'us' (our reset offer was answered). Apps show a notice:
   * messages sent to or by the old session in the meantime may not have arrived.
   */
  'session-reset': { contact: Contact; by: 'us' | 'them'; protection: ConversationProtection };
  /** A contact's protection changed (upgrade to v2, first post-quantum step, reset). */
  protection: { contact: Contact; protection: ConversationProtection };
  /** Something failed inside the engine (e.g. the store); the engine keeps running. */
  error: { error: unknown; context: string };
}
