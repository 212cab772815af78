/**
 * The narrow interfaces the engine's parts use of each other (internal). Each part takes what it
 * needs in its constructor; `wiring.ts` builds the parts and connects them, so no part imports
 * another part's module and the module graph has no cycle (runtime/test/architecture).
 *
 * This module depends only on leaf modules (types, storage, outbox entries, the generated codec).
 */
import type { Envelope, EnvelopeBody, MessageType } from '@parley/generated';
import { isOpenError } from '../protocol/errors.ts';
import type { Outgoing } from './connection.ts';
import type { HistoryItem } from './history.ts';
import type { OutboxEntry } from './outbox.ts';
import type { StoreOp } from './storage.ts';
import type { Contact, EngineEvents } from './types.ts';

/** Reports an event to the app (the Engine's emitter). */
export type Emit = <K extends keyof EngineEvents>(event: K, value: EngineEvents[K]) => void;

/** The clock and the secure random source (both injectable in tests). */
export interface Clock {
  now(): number;
  randomBytes(n: number): Uint8Array;
}

/** The relay connection as the parts see it: send when online, and be told to wait. */
export interface Wire {
  readonly online: boolean;
  /** Counts sessions: what was queued on an earlier session is sent again. */
  readonly epoch: number;
  send(item: Outgoing): boolean;
  delayNextReconnect(ms: number): void;
}

/** Looking contacts up (the contact list; contacts.ts changes it). */
export interface ContactLookup {
  get(key: string): Contact | undefined;
  all(): Contact[];
  /** Contacts whose id is `idHex` (several key pairs may share an id). */
  byId(idHex: string): Contact[];
}

/** A durable message sealed with its store operations (see Outgoing.sealDurable). */
export interface Sealed {
  envelope: Envelope;
  entry: OutboxEntry;
  ops: StoreOp[];
  item?: HistoryItem;
}

export interface DurableOptions {
  flags?: number;
  /** A history record to write with the message (its id and seq are filled in). */
  history?: Omit<HistoryItem, 'id' | 'seq' | 'contact' | 'dir' | 'sentAt'>;
  fileId?: string;
  chunk?: number;
  /** More store operations to land with the message (e.g. our own edit applied to history). */
  ops?: StoreOp[];
}

/** The send side (sender.ts), as contacts, files and the receive path use it. */
export interface Send {
  /** Puts due outbox entries on the wire. */
  pump(): void;
  /** Stores a durable message in the outbox and sends it when it can. */
  sendDurable(c: Contact, body: EnvelopeBody, o?: DurableOptions): Promise<{ id: string; item?: HistoryItem }>;
  /** Seals a durable message; the caller holds an outbox reservation, writes `ops`, then commits. */
  sealDurable(c: Contact, body: EnvelopeBody, o?: DurableOptions): Promise<Sealed>;
  commit(sealed: readonly Sealed[]): void;
  /** Runs `fn` in the contact's send lane (seal + the batch that stores it; see Sender.exclusive). */
  exclusive<T>(c: Contact, fn: () => Promise<T>): Promise<T>;
  /** The contact's session changed and the change landed: its outbox entries are resealed (Sender.sessionChanged). */
  sessionChanged(key: string): void;
  /** Seals and sends once on the live session, nothing stored (NOT_CONNECTED when offline). */
  sendEphemeral(c: Contact, body: EnvelopeBody, flags?: number): Promise<string>;
  /** Acknowledges a received message (batched `delivered` receipt). */
  queueAck(contact: string, msgId: string): void;
}

/**
 * Something that keeps state per contact: removing the contact removes it too (history, replay
 * window, order numbers, transfers, outbox entries, session keys). v2's per-device ratchet
 * sessions are one more of these.
 */
export interface PerContactState {
  /** Store operations that remove `c`'s state; in-memory state goes now. */
  removeOps(c: Contact): StoreOp[] | Promise<StoreOp[]>;
}

/** What acting on a received message produces: store operations, then actions once they landed. */
export interface Act {
  ops: StoreOp[];
  after: (() => void | Promise<void>)[];
  /** Edits and deletes: whether the target was there. */
  applied?: boolean;
  /** Runs once `ops` landed, before `after` (the receive path: a v2 session's new state becomes current). */
  landed?: (() => void) | undefined;
}

/** A message type's code (spec enums.message_type). */
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

/** The envelope of one message type. */
export type EnvelopeOf<T extends MessageTypeCode> = Extract<Envelope, { type: T }>;

/** A verified, fresh message from a contact, as its handler sees it. */
export interface Received<E extends Envelope = Envelope> {
  contact: Contact;
  env: E;
  /** Hex of the message id. */
  id: string;
}

/**
 * What the receive path does with one message type (receive.ts runs the spec's receive order,
 * the replay window and ordering; the handler says what the message means). Adding a message
 * type to the spec makes `HandlerTable` incomplete until a handler is written for it.
 */
export interface MessageHandler<E extends Envelope = Envelope> {
  /**
   * Before the replay window: a reason not to record or acknowledge the message yet (the sender
   * resends it), e.g. a file chunk whose offer has not arrived. Undefined to go on. Only for
   * types whose resend is sealed anew: the frame's session step is kept (OpenedSession.skip),
   * so the same frame does not open again.
   */
  defer?(m: Received<E>): Promise<string | undefined>;
  /** Store operations for a message held for ordering (its effects wait until it is acted on). */
  holdOps?(m: Received<E>): Promise<StoreOp[]>;
  /**
   * Instead of `act`, for messages made durable in groups (file chunks): takes the message and
   * its replay-window operations, writes them when its group is made durable, and only then
   * calls `ack` (receive.ts). A failed group is not acknowledged, so the sender resends it.
   */
  stage?(m: Received<E>, replayOps: StoreOp[], ack: () => void): Promise<void>;
  /** Adds the message's effects to `act`; throws OpenError BAD_MESSAGE to refuse it. */
  act(m: Received<E>, act: Act): void | Promise<void>;
  /** False: no `message` event (file chunks: the transfer's events say it). Default true. */
  readonly event?: boolean;
}

/** One handler per message type. */
export type HandlerTable = { readonly [T in MessageTypeCode]: MessageHandler<EnvelopeOf<T>> };

/** Reports an internal failure as an `error` event (the engine keeps running). */
export function report(emit: Emit, context: string, error: unknown): void {
  emit('error', { error, context });
}

/** Lets a Node process exit while only this timer is pending (no-op in browsers). */
export function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/** A `dropped` event's payload for a rejected frame or message. */
export function dropInfo(kind: string, err: unknown, contact?: string): { kind: string; code: string; message: string; contact?: string } {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : isOpenError(err) ? err.code : 'ERROR';
  return { kind, code, message: typeof e?.message === 'string' ? e.message : String(err), ...(contact ? { contact } : {}) };
}
