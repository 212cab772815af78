/**
 * The client engine: one object that web, CLI and notifier share. It connects and handshakes with
 * the pinned relay keys, reconnects with jittered backoff, keeps contacts, an outbox, history,
 * replay windows and file transfers in a Store, and reports everything as typed events.
 *
 * Everything goes through the store before it is acted on: a message is in the outbox before it
 * is sent, and a received message is stored (with its replay-window entry, atomically) before it
 * is emitted and acknowledged. Nothing sent is lost when the process or the relay restarts.
 */
import { ControlType, MAX_TEXT_BYTES, MSG_ID_SIZE, MessageType, PresenceState, RESEND_INTERVAL_MS, type EnvelopeBody, type TurnCredentials } from '@parley/generated';
import { fromHex, pickBackend, randomBytes as secureRandom, toHex, type CryptoBackend } from '../crypto/index.ts';
import type { Identity } from '../protocol/identity.ts';
import { snapshot } from './contact-list.ts';
import type { AddContactOptions, CreateInviteOptions, InviteInfo } from './contacts.ts';
import { Emitter } from './emitter.ts';
import { EngineError } from './errors.ts';
import type { HistoryItem } from './history.ts';
import { report, unref, type Emit } from './parts.ts';
import { SILENT_FLAG } from './receive.ts';
import { EPHEMERAL_TYPES } from './sender.ts';
import type { BlobStore } from './blobs.ts';
import type { FileSource } from './file-send.ts';
import type { Store } from './storage.ts';
import type { Transport } from './transport.ts';
import type { ConnectionState, Contact, EngineEvents, ConversationProtection, IncomingMessage } from './types.ts';
import { wireEngine, type EngineParts } from './wiring.ts';

export interface EngineOptions {
  identity: Identity;
  /**
   * The relay's address and its pinned public keys; `endpoints` (default [url]): the URLs of
   * its nodes from the well-known document, dialled in random order with failover.
   */
  relay: { url: string; endpoints?: readonly string[] | undefined; x: Uint8Array; ed: Uint8Array };
  store: Store;
  transport: Transport;
  /** Crypto backend (default: pickBackend(), the fastest this platform has). */
  backend?: CryptoBackend;
  /** Clock, ms since the epoch (default Date.now). */
  now?: () => number;
  /** Jitter source in [0, 1) for reconnect backoff (default Math.random). */
  random?: () => number;
  /** Secure random bytes for ids and tags (default crypto randomBytes). Inject only in tests. */
  randomBytes?: (n: number) => Uint8Array;
  /** Our display name, sent in contact requests and accepts (default ''). */
  displayName?: string;
  /** Base of invite links (default: the relay URL as http(s), which serves the web app). */
  linkBase?: string;
  /** Accept incoming contact requests without asking (services such as the notifier). Default false. */
  autoAccept?: boolean;
  /**
   * Called synchronously with a received message right before the batch that records it (its
   * replay-window entry and the session's new ratchet state) is written; a throw leaves the
   * message unrecorded and unacknowledged, so the sender resends it. A service that keeps the
   * message's effect in a store of its own (the notifier's registrations) writes it here: a
   * crash before the batch leaves the effect stored and the key unused, and the resend applies
   * it again (so the effect must be idempotent); a crash after it finds both stored. Not called
   * for a message refused or already recorded (a duplicate). Default: none.
   */
  beforeRecord?: (m: IncomingMessage) => void;
  /**
   * Keep a received file's chunks after the `file` event until the app calls `releaseFile`
   * (it has stored the bytes). A file received but not released is emitted again at the next
   * start, so a crash between the two loses nothing. Default false: chunks go with the event.
   */
  holdReceivedFiles?: boolean;
  /**
   * The `file` event carries `size` and `read` but not the whole file as `bytes`, so a large file
   * is never in memory (the app copies it out with `read`; needs holdReceivedFiles). Default false.
   */
  streamReceivedFiles?: boolean;
  /**
   * Where part files of incoming transfers and spooled copies of outgoing ones go (Node:
   * FileBlobs in a folder beside the store). Default: in `store`, one key per chunk.
   */
  blobs?: BlobStore;
  /** Register a wake tag with the relay after each handshake (default true). */
  registerWake?: boolean;
}

/** How often the outbox looks for messages to resend (they go after RESEND_INTERVAL_MS). */
const TICK_MS = Math.floor(RESEND_INTERVAL_MS / 3);

export class Engine extends Emitter<EngineEvents> {
  readonly #o: EngineOptions;
  #ctx: EngineParts | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;
  #maintain: (() => Promise<void>) | undefined;
  #started = false;

  constructor(options: EngineOptions) {
    super();
    if (!options?.identity || !options.relay || !options.store || !options.transport) {
      throw new TypeError('Engine needs identity, relay, store and transport');
    }
    this.#o = options;
  }

  /** Hex of our id. */
  get id(): string {
    return toHex(this.#o.identity.id);
  }

  get state(): ConnectionState {
    return this.#ctx?.conn.state ?? { state: 'stopped' };
  }

  /** Loads the stored state, then connects (and keeps reconnecting until `stop`). */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    try {
      await this.#start();
    } catch (err) {
      this.#started = false;
      this.#ctx = undefined;
      throw err;
    }
  }

  async #start(): Promise<void> {
    const o = this.#o;
    const randomBytes = o.randomBytes ?? secureRandom;
    const emit: Emit = (event, value) => this.emit(event, value);
    const ctx = wireEngine(
      {
        identity: o.identity,
        backend: o.backend ?? (await pickBackend()),
        relay: { url: o.relay.url, endpoints: o.relay.endpoints ?? [o.relay.url], x: o.relay.x, ed: o.relay.ed },
        store: o.store,
        transport: o.transport,
        now: o.now ?? Date.now,
        random: o.random ?? Math.random,
        randomBytes,
        displayName: o.displayName ?? '',
        linkBase: o.linkBase ?? o.relay.url.replace(/^ws/, 'http'),
        autoAccept: o.autoAccept ?? false,
        ...(o.beforeRecord ? { beforeRecord: o.beforeRecord } : {}),
        holdReceivedFiles: o.holdReceivedFiles ?? false,
        streamReceivedFiles: o.streamReceivedFiles ?? false,
        ...(o.blobs ? { blobs: o.blobs } : {}),
        registerWake: o.registerWake ?? true,
      },
      emit,
    );
    this.#ctx = ctx;
    // every accepted contact gets its mailbox token (once per secret; mailbox-tokens.ts)
    this.on('contact-accepted', ({ contact }) => {
      ctx.mailboxTokens.sendTo(contact.key);
      // a contact met over v1 (an older invite) upgrades to a v2 session now, not at the next handshake
      if (!ctx.sessions.state(contact.key)) void ctx.sessionControl.offerUpgrades();
    });
    await ctx.load();
    this.#maintain = async () => {
      await ctx.sender.tick().catch((error) => report(emit, 'tick', error));
      await ctx.receiver.releaseExpired().catch((error) => report(emit, 'held messages', error));
      await ctx.files.expireIncoming().catch((error) => report(emit, 'file expiry', error));
      await ctx.contacts.dropExpiredRequests().catch((error) => report(emit, 'request expiry', error));
    };
    this.#tick = unref(setInterval(() => void this.maintain(), TICK_MS));
    ctx.conn.start();
  }

  /**
   * Runs the periodic duties now (they also run every TICK_MS): expire old requests (ours, and
   * those we received, which leave storage) and messages, resend what is due, show held messages
   * whose gap waited ORDER_GAP_TIMEOUT_MS, and fail incoming transfers that left the replay window.
   * Apps call it when they resume (browsers throttle timers in background tabs).
   */
  async maintain(): Promise<void> {
    await this.#maintain?.();
  }

  /** Says bye to the relay, closes the connection, and stops timers. State stays in the store. */
  async stop(): Promise<void> {
    const ctx = this.#ctx;
    if (!ctx || !this.#started) return;
    this.#started = false;
    clearInterval(this.#tick);
    ctx.services.stop();
    await ctx.sender.flushAcks();
    await ctx.conn.stop({ size: 0, build: (s) => s.sealControl({ type: ControlType.bye, body: {} }) });
    // No frame arrives any more: let the work already queued land (received frames, seals and
    // their batches), so nothing writes to the store after stop() returned.
    await Promise.all([ctx.serial.run(() => undefined), ctx.sender.idle()]);
    // states of file chunks opened since their group stored it (a crash would skip their keys instead)
    await Promise.all(ctx.sessions.unsaved().map((k) => ctx.sessions.save(k).catch((err: unknown) => report((event, value) => this.emit(event, value), 'store session', err))));
    ctx.sessions.clear();
  }

  /** Connects now instead of waiting for the next backoff attempt. */
  reconnectNow(): void {
    this.#need().conn.reconnectNow();
  }

  // ---- contacts ---------------------------------------------------------------------------

  createInvite(o: CreateInviteOptions = {}): Promise<InviteInfo> {
    return this.#need().contacts.createInvite(o);
  }

  revokeInvite(inviteId: string): Promise<boolean> {
    return this.#need().contacts.revokeInvite(inviteId);
  }

  /** Uses someone's invite: they become `requested` until they accept. */
  async addContact(invite: string | Uint8Array, o: AddContactOptions = {}): Promise<Contact> {
    return this.#view(await this.#need().contacts.addFromInvite(invite, o));
  }

  async acceptContact(key: string, o: { name?: string } = {}): Promise<Contact> {
    return this.#view(await this.#need().contacts.accept(key, o));
  }

  /** A contact snapshot with its current protection. */
  #view(c: Contact): Contact {
    return { ...c, protection: this.#need().sessions.protection(c.key) };
  }

  rejectContact(key: string): Promise<void> {
    return this.#need().contacts.reject(key);
  }

  removeContact(key: string): Promise<void> {
    return this.#need().contacts.remove(key);
  }

  /** Marks a contact verified (the user compared safety numbers) or not. */
  async verifyContact(key: string, verified = true): Promise<Contact> {
    return this.#view(await this.#need().contacts.update(key, { verified }));
  }

  async renameContact(key: string, name: string): Promise<Contact> {
    return this.#view(await this.#need().contacts.update(key, { name }));
  }

  /** Every contact, each with its `protection`. */
  contacts(): Contact[] {
    const ctx = this.#need();
    return ctx.contactList.all().map((c) => ({ ...c, protection: ctx.sessions.protection(c.key) }));
  }

  contact(key: string): Contact | undefined {
    const c = this.#need().contactList.get(key);
    return c && this.#view(snapshot(c));
  }

  /**
   * What protects the conversation with a contact now: `{ version: 2, forwardSecrecy: true,
   * postQuantum, label }` with a v2 session, `{ version: 1, forwardSecrecy: false, ... }` on the
   * v1 static pair keys. Changes are reported by the `protection` event.
   */
  protection(key: string): ConversationProtection {
    const ctx = this.#need();
    ctx.contactList.require(key);
    return ctx.sessions.protection(key);
  }

  /**
   * Asks an accepted contact for a new v2 session (this device lost or restored its state, or the
   * conversation stopped opening): our session is dropped and a signed reset offer goes out; the
   * contact accepts at most one reset per SESSION_RESET_INTERVAL_MS. Both sides get a
   * `session-reset` event when it is done.
   */
  async resetSession(key: string): Promise<void> {
    const ctx = this.#need();
    await ctx.sessionControl.reset(ctx.contactList.require(key, ['accepted']));
  }

  /** A contact by key, id, or unique name (case-insensitive); UNKNOWN_CONTACT otherwise. */
  findContact(ref: string): Contact {
    const all = this.contacts();
    const r = ref.toLowerCase();
    const hit = all.filter((c) => c.key === r || c.id === r);
    const named = hit.length > 0 ? hit : all.filter((c) => c.name.toLowerCase() === r);
    if (named.length !== 1) throw new EngineError('UNKNOWN_CONTACT', named.length === 0 ? `no contact ${ref}` : `${named.length} contacts match ${ref}`);
    return named[0]!;
  }

  /** The safety number (digits) and its QR payload for a contact. */
  safetyNumber(key: string): { number: string; qr: Uint8Array } {
    return this.#need().contacts.safety(key);
  }

  /** True if a scanned safety QR matches (then call verifyContact). */
  checkSafetyQr(key: string, scanned: Uint8Array): boolean {
    return this.#need().contacts.checkSafetyQr(key, scanned);
  }

  // ---- messages ---------------------------------------------------------------------------

  /** Sends a text (through the outbox); resolves with its id once it is stored. */
  async sendText(key: string, text: string, o: { replyTo?: string; silent?: boolean } = {}): Promise<{ id: string; item: HistoryItem }> {
    const ctx = this.#need();
    const c = ctx.contactList.require(key, ['accepted', 'requested']);
    checkText(text);
    const replyTo = o.replyTo ? hexId(o.replyTo) : new Uint8Array(MSG_ID_SIZE);
    const r = await ctx.sender.sendDurable(c, { type: MessageType.text, body: { text, replyTo } }, {
      flags: o.silent ? SILENT_FLAG : 0,
      history: { kind: 'text', text, ...(o.replyTo ? { replyTo: o.replyTo } : {}) },
    });
    return { id: r.id, item: r.item! };
  }

  /** Replaces the text of one of our own messages (NOT_ALLOWED for anything else). */
  async editMessage(key: string, id: string, text: string): Promise<string> {
    const ctx = this.#need();
    const c = ctx.contactList.require(key, ['accepted', 'requested']);
    checkText(text);
    return ctx.serial.run(async () => {
      const item = await ctx.history.get(c.key, id);
      if (!item || item.dir !== 'out' || item.kind !== 'text' || item.deleted) throw new EngineError('NOT_ALLOWED', `message ${id} is not one of your texts`);
      item.text = text;
      item.editedAt = ctx.clock.now();
      const r = await ctx.sender.sendDurable(c, { type: MessageType.edit, body: { target: hexId(id), text } }, { ops: [ctx.history.put(item)] });
      this.emit('history', { item });
      return r.id;
    });
  }

  /** Deletes one of our own messages, here and at the contact. */
  async deleteMessage(key: string, id: string): Promise<string> {
    const ctx = this.#need();
    const c = ctx.contactList.require(key, ['accepted', 'requested']);
    return ctx.serial.run(async () => {
      const item = await ctx.history.get(c.key, id);
      if (!item || item.dir !== 'out' || item.deleted) throw new EngineError('NOT_ALLOWED', `message ${id} is not one of your messages`);
      item.deleted = true;
      delete item.text;
      const r = await ctx.sender.sendDurable(c, { type: MessageType.delete, body: { target: hexId(id) } }, { ops: [ctx.history.put(item)] });
      this.emit('history', { item });
      return r.id;
    });
  }

  /** Typing indicator (ephemeral: NOT_CONNECTED when offline). */
  sendTyping(key: string, active: boolean): Promise<string> {
    const ctx = this.#need();
    return ctx.sender.sendEphemeral(ctx.contactList.require(key, ['accepted']), { type: MessageType.typing, body: { active: active ? 1 : 0 } });
  }

  /** Presence to one contact, or to every accepted contact (ephemeral; offline contacts miss it). */
  async sendPresence(state: keyof typeof PresenceState, key?: string): Promise<void> {
    const ctx = this.#need();
    const targets = key ? [ctx.contactList.require(key, ['accepted'])] : ctx.contactList.all().filter((c) => c.state === 'accepted');
    for (const c of targets) await ctx.sender.sendEphemeral(c, { type: MessageType.presence, body: { state: PresenceState[state] } });
  }

  /** Marks received messages read: `read` receipts go now, or after the next handshake. */
  markRead(key: string, ids: readonly string[]): Promise<void> {
    const ctx = this.#need();
    const c = ctx.contactList.require(key, ['accepted']);
    return ctx.serial.run(() => ctx.sender.markRead(c, ids));
  }

  /**
   * Sends any message type (call signalling, push registrations, ...). Typing, presence, ICE
   * candidates and receipts are ephemeral (NOT_CONNECTED when offline); the rest go through the
   * outbox. Contact requests only travel in first-contact frames (NOT_ALLOWED).
   */
  async sendRaw(key: string, message: EnvelopeBody, o: { silent?: boolean } = {}): Promise<string> {
    const ctx = this.#need();
    if (message.type === MessageType.contactRequest) throw new EngineError('NOT_ALLOWED', 'contact requests travel in first-contact frames (addContact)');
    const flags = o.silent ? SILENT_FLAG : 0;
    if (EPHEMERAL_TYPES.has(message.type)) return ctx.sender.sendEphemeral(ctx.contactList.require(key, ['accepted']), message, flags);
    return (await ctx.sender.sendDurable(ctx.contactList.require(key, ['accepted', 'requested']), message, { flags })).id;
  }

  /**
   * Offers a file: its bytes, or a `source` read once, in chunks (digest and a spooled copy, so
   * the transfer survives restarts without the source); its chunks go as the window allows.
   * Progress and the result come as events.
   */
  sendFile(key: string, file: { name: string; mime?: string; bytes?: Uint8Array; source?: FileSource }): Promise<{ id: string; fileId: string }> {
    const ctx = this.#need();
    return ctx.files.send(ctx.contactList.require(key, ['accepted', 'requested']), file);
  }

  /** The app stored a received file (holdReceivedFiles): its chunks can go. */
  releaseFile(key: string, fileId: string): Promise<void> {
    return this.#need().files.release(key, fileId);
  }

  /** Pauses an outgoing transfer: no new chunk goes, its record stays (a restart keeps it paused). */
  pauseFile(key: string, fileId: string): Promise<void> {
    const ctx = this.#need();
    return ctx.files.setPaused(ctx.contactList.require(key), fileId, true);
  }

  /** Resumes a paused outgoing transfer from the chunks the receiver acknowledged. */
  resumeFile(key: string, fileId: string): Promise<void> {
    const ctx = this.#need();
    return ctx.files.setPaused(ctx.contactList.require(key), fileId, false);
  }

  /** Stops a transfer in either direction; the peer is told (file_cancel) and shows it failed. */
  cancelFile(key: string, fileId: string): Promise<void> {
    const ctx = this.#need();
    return ctx.files.cancel(ctx.contactList.require(key), fileId);
  }

  /** A conversation, oldest first (`limit`: the newest n). */
  history(key: string, o: { limit?: number } = {}): Promise<HistoryItem[]> {
    return this.#need().history.list(key, o.limit);
  }

  /** Unacknowledged outgoing messages. */
  get outboxSize(): number {
    return this.#ctx?.outbox.size ?? 0;
  }

  /** Outbox frames put on the wire again since start (after a reconnect, or RESEND_INTERVAL_MS without a receipt). */
  get outboxResends(): number {
    return this.#ctx?.outbox.resends ?? 0;
  }

  // ---- relay services ---------------------------------------------------------------------

  /** The current wake tag (register it with the notifier; `wake-tag` announces a new one). */
  get wakeTag(): { tag: Uint8Array; createdAt: number } | undefined {
    return this.#ctx?.services.wakeTag;
  }

  rotateWakeTag(): Promise<void> {
    return this.#need().services.rotate();
  }

  requestTurn(timeoutMs?: number): Promise<TurnCredentials> {
    return this.#need().services.requestTurn(timeoutMs);
  }

  /** Asks the relay to wake an offline contact for a call. */
  ring(key: string): void {
    const ctx = this.#need();
    ctx.services.ring(ctx.contactList.require(key, ['accepted']));
  }

  #need(): EngineParts {
    if (!this.#ctx) throw new EngineError('STOPPED', 'call start() first');
    return this.#ctx;
  }
}

function checkText(text: string): void {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  const n = new TextEncoder().encode(text).length;
  if (n > MAX_TEXT_BYTES) throw new EngineError('TOO_LARGE', `a text may have at most ${MAX_TEXT_BYTES} bytes, got ${n}`);
}

function hexId(hex: string): Uint8Array {
  const bytes = /^[0-9a-f]*$/i.test(hex) ? fromHex(hex) : undefined;
  if (bytes?.length !== MSG_ID_SIZE) throw new RangeError(`a message id is ${MSG_ID_SIZE * 2} hex digits, got ${JSON.stringify(hex)}`);
  return bytes;
}
