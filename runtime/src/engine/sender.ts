/**
 * The send side: envelopes, sealing, the outbox's transmission, and receipts.
 *
 * Durable messages (text, edit, delete, file offer/chunks/cancel, contact accept, call signalling
 * except ICE, push registrations) go through the outbox: stored, then sent, resent until the
 * `delivered` receipt. Ephemeral ones (typing, presence, ICE candidates, receipts) are sealed and
 * sent once on the live session, or fail with NOT_CONNECTED: a stale typing indicator or ICE
 * candidate is worse than none, and receipts are never acknowledged (a lost `delivered` receipt
 * is recovered by the sender's resend; `read` receipts sent shortly before a connection died are
 * sent once more after the reconnect, READ_RESEND_WINDOW_MS).
 *
 * Ordered types carry the per-recipient number of order.ts (spec structs.order_extension).
 *
 * Delivered receipts are batched: ids collect per contact and go out when the incoming burst
 * has been handled, or as soon as MAX_RECEIPT_IDS are waiting.
 */
import { MAX_RECEIPT_IDS, MessageType, RATCHET_SEND_RESERVE, REPLAY_WINDOW_MS, ReceiptStatus, decodeEnvelope, encodeEnvelope, type Envelope, type EnvelopeBody, type Extension } from '@parley/generated';
import { fromHex, toHex } from '../crypto/index.ts';
import { makeEnvelope } from '../protocol/envelope.ts';
import { snapshot } from './contact-list.ts';
import { EngineError, isEngineError } from './errors.ts';
import type { History, HistoryItem } from './history.ts';
import { MAX_PENDING_READ_IDS, READ_RESEND_WINDOW_MS } from './limits.ts';
import { ORDERED_TYPES, type OrderOut } from './order.ts';
import type { OutgoingFiles } from './file-send.ts';
import { WINDOW_BYTES, WINDOW_FRAMES, type Outbox, type OutboxEntry } from './outbox.ts';
import { report, type Clock, type ContactLookup, type DurableOptions, type Emit, type PerContactState, type Sealed, type Send, type Wire } from './parts.ts';
import { K, del, getRecord, putRecord } from './records.ts';
import { Serial } from './serial.ts';
import type { PeerSessions, SealOptions, SealedFrame } from './sessions.ts';
import type { Store, StoreOp } from './storage.ts';
import type { Contact } from './types.ts';

/** Sent once on the live session, never stored in the outbox. */
export const EPHEMERAL_TYPES: ReadonlySet<number> = new Set([MessageType.receipt, MessageType.typing, MessageType.presence, MessageType.callIce]);

/** Types whose outgoing history record follows the outbox (queued → sent → delivered → read). */
const TRACKED: ReadonlySet<number> = new Set([MessageType.text, MessageType.fileOffer]);

export type { DurableOptions, Sealed } from './parts.ts';

/** What the send side uses. */
export interface SenderDeps {
  clock: Clock;
  emit: Emit;
  store: Store;
  /** The lane for read-modify-write of history (see serial.ts). */
  serial: Serial;
  /** Every peer frame is sealed here (the session layer: where v2 ratchets plug in). */
  sessions: Pick<PeerSessions, 'seal' | 'sealTag'>;
  wire: Pick<Wire, 'online' | 'epoch' | 'send'>;
  outbox: Outbox;
  history: Pick<History, 'get' | 'put' | 'nextSeq'>;
  orderOut: Pick<OrderOut, 'next'>;
  contacts: Pick<ContactLookup, 'get' | 'all'>;
  /** A file chunk went on the wire for the first time (outgoing transfer progress). */
  chunkSent(e: OutboxEntry): void;
  /** Outgoing file transfers: chunks sealed when the window has room (file-send.ts). */
  files: Pick<OutgoingFiles, 'due' | 'hasAny'>;
}

export class Sender implements Send, PerContactState {
  readonly #ctx: SenderDeps;
  readonly #acks = new Map<string, Set<string>>();
  readonly #lanes = new Map<string, Serial>();
  /** Contacts whose outbox entries are being resealed (one job per contact at a time). */
  readonly #resealing = new Set<string>();
  #ackTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(deps: SenderDeps) {
    this.#ctx = deps;
  }

  envelope(body: EnvelopeBody, flags = 0, extensions: Extension[] = []): Envelope {
    return makeEnvelope({ ...body, flags, extensions } as Parameters<typeof makeEnvelope>[0], { now: this.#ctx.clock.now, random: this.#ctx.clock.randomBytes });
  }

  seal(c: Contact, envelope: Envelope, opts?: SealOptions): Promise<SealedFrame> {
    return this.#ctx.sessions.seal(c, envelope, opts);
  }

  /**
   * Runs `fn` in the contact's send lane: seals and the batches that store them run one at a
   * time per contact, so a v2 session's state writes land in the order the frames were sealed
   * (the stored state is never older than a frame that left). Not reentrant.
   */
  exclusive<T>(c: Contact, fn: () => Promise<T>): Promise<T> {
    let lane = this.#lanes.get(c.key);
    if (!lane) this.#lanes.set(c.key, (lane = new Serial()));
    return lane.run(fn);
  }

  /** Resolves when every contact's send lane has finished what was queued in it (Engine.stop). */
  async idle(): Promise<void> {
    await Promise.all([...this.#lanes.values()].map((lane) => lane.run(() => undefined)));
  }

  /** The read receipts kept for a removed contact. */
  removeOps(c: Contact): StoreOp[] {
    return [del(K.readQueue(c.key)), del(K.readSent(c.key))];
  }

  /**
   * Seals a durable message and builds its store operations (outbox entry, frame, history).
   * The caller holds an outbox reservation, writes `ops`, then calls `commit`.
   */
  async sealDurable(c: Contact, body: EnvelopeBody, o: DurableOptions = {}): Promise<Sealed> {
    const ctx = this.#ctx;
    const order = ORDERED_TYPES.has(body.type) ? await ctx.orderOut.next(c.key) : undefined;
    const envelope = this.envelope(body, o.flags ?? 0, order ? [order.extension] : []);
    const { frame, ops: stateOps, tag } = await this.seal(c, envelope);
    const id = toHex(envelope.msgId);
    // Session control is never resealed: it is what changes the session (always v1 peer frames).
    const resealable = body.type !== MessageType.session;
    const { entry, ops } = ctx.outbox.prepare(
      {
        contact: c.key, msgId: id, type: body.type, kind: 'peer',
        ...(o.fileId !== undefined ? { fileId: o.fileId } : {}), ...(o.chunk !== undefined ? { chunk: o.chunk } : {}),
        ...(resealable ? { sealedUnder: tag } : {}),
      },
      frame,
      resealable ? encodeEnvelope({ ...envelope, padding: 0 } as Envelope) : undefined,
    );
    let item: HistoryItem | undefined;
    if (o.history) {
      item = { ...o.history, id, seq: ctx.history.nextSeq(), contact: c.key, dir: 'out', sentAt: envelope.sentAt, status: 'queued' };
      ops.push(ctx.history.put(item));
    }
    if (o.ops) ops.push(...o.ops);
    if (order) ops.push(...order.ops);
    ops.push(...stateOps);
    return { envelope, entry, ops, ...(item ? { item } : {}) };
  }

  /** After the operations of sealed messages landed: they join the outbox and go out. */
  commit(sealed: readonly Sealed[]): void {
    for (const s of sealed) {
      this.#ctx.outbox.commit(s.entry);
      if (s.item) this.#ctx.emit('history', { item: s.item });
    }
    this.pump();
  }

  /** Stores a durable message in the outbox (OUTBOX_FULL if it is full) and sends it when it can. */
  async sendDurable(c: Contact, body: EnvelopeBody, o: DurableOptions = {}): Promise<{ id: string; item?: HistoryItem }> {
    const slot = this.#ctx.outbox.reserve(1);
    try {
      return await this.exclusive(c, async () => {
        const sealed = await this.sealDurable(c, body, o);
        await this.#ctx.store.batch(sealed.ops);
        this.commit([sealed]);
        return { id: sealed.entry.msgId, ...(sealed.item ? { item: sealed.item } : {}) };
      });
    } finally {
      slot.release();
    }
  }

  /** Seals and sends once on the live session; NOT_CONNECTED if there is none. */
  async sendEphemeral(c: Contact, body: EnvelopeBody, flags = 0): Promise<string> {
    const conn = this.#ctx.wire;
    if (!conn.online) throw new EngineError('NOT_CONNECTED', 'not connected to the relay');
    const envelope = this.envelope(body, flags);
    const id = fromHex(c.id);
    await this.exclusive(c, async () => {
      const { frame, ops } = await this.seal(c, envelope);
      // a v2 state is stored before its frame leaves (a restart never seals with a used key)
      if (ops.length > 0) await this.#ctx.store.batch(ops);
      if (!conn.send({ size: frame.length, build: (s) => s.route(frame, id) })) {
        throw new EngineError('NOT_CONNECTED', 'not connected to the relay');
      }
    });
    return toHex(envelope.msgId);
  }

  /** Puts due outbox entries on the wire (after reconnects, sends, acks, and on the resend tick). */
  pump(): void {
    const { wire: conn, outbox, contacts } = this.#ctx;
    if (!conn.online) return;
    const epoch = conn.epoch;
    const sendable = (key: string, kind: OutboxEntry['kind']): boolean => {
      const c = contacts.get(key);
      return c !== undefined && (kind === 'peer' ? c.state === 'accepted' : c.state === 'requested');
    };
    const used = new Map<string, { frames: number; bytes: number }>();
    const reseal = new Map<string, OutboxEntry[]>();
    for (const e of outbox.due(epoch, sendable, used)) {
      const c = contacts.get(e.contact)!;
      const stale = reseal.get(c.key);
      if (e.sealedUnder !== undefined && (stale || e.sealedUnder !== this.#ctx.sessions.sealTag(c.key))) {
        // sealed under a session the contact may no longer have: sealed again first, and the
        // contact's later entries wait for it, so the wire keeps the outbox order (session
        // control goes at once: the contact needs the answer before the resealed frames)
        if (stale) stale.push(e);
        else reseal.set(c.key, [e]);
        continue;
      }
      const id = fromHex(c.id);
      outbox.queued(e.seq, epoch);
      conn.send({
        size: e.size,
        bulk: e.fileId !== undefined,
        build: async (s) => {
          const frame = outbox.get(e.seq) ? await outbox.frame(e.seq) : undefined;
          return frame && s.route(frame, id);
        },
        sent: () => this.#sent(e),
      });
    }
    for (const [key, entries] of reseal) this.#reseal(key, entries);
    if (!this.#ctx.files.hasAny()) return;
    // file chunks in what the outbox left of each contact's window
    for (const c of contacts.all()) {
      if (c.state !== 'accepted') continue;
      const u = used.get(c.key) ?? { frames: 0, bytes: 0 };
      this.#ctx.files.due(c, { frames: WINDOW_FRAMES - u.frames, bytes: WINDOW_BYTES - u.bytes }, epoch, (o) => conn.send(o));
    }
  }

  /**
   * The contact's session changed (upgrade, reset: after the change landed): every entry sealed
   * under another session is due now, to be resealed and sent.
   */
  sessionChanged(key: string): void {
    const tag = this.#ctx.sessions.sealTag(key);
    this.#ctx.outbox.requeue(key, (e) => e.sealedUnder !== undefined && e.sealedUnder !== tag);
    this.pump();
  }

  /**
   * Seals `entries` (due, in outbox order, at most a window of them) again under the contact's
   * current session, keeping each message id, envelope and order number, in the contact's send
   * lane; the new frames land in one batch with the session's new state (a crash before it leaves
   * the old frames and state, resealed again on the next pass; after it, the new ones), then go.
   * Entries still sealed under the current session (a second change raced this one) are skipped.
   */
  #reseal(key: string, entries: readonly OutboxEntry[]): void {
    if (this.#resealing.has(key)) return;
    const ctx = this.#ctx;
    const c = ctx.contacts.get(key);
    if (!c) return;
    this.#resealing.add(key);
    let moved = false;
    void this.exclusive(c, async () => {
      const ops: StoreOp[] = [];
      const done: { entry: OutboxEntry; frame: Uint8Array }[] = [];
      for (const e of entries) {
        const cur = ctx.outbox.get(e.seq);
        if (!cur || cur.sealedUnder === undefined || cur.sealedUnder === ctx.sessions.sealTag(key)) continue; // acknowledged, or current
        const bytes = await ctx.outbox.envelope(e.seq);
        if (!bytes) {
          ctx.outbox.resealed({ ...cur, sealedUnder: undefined }); // its envelope is gone: sent as stored
          continue;
        }
        const sealed = await this.seal(c, decodeEnvelope(bytes));
        const r = ctx.outbox.resealOps(cur, sealed.frame, sealed.tag);
        ops.push(...r.ops, ...sealed.ops); // a later state put supersedes an earlier one in the batch
        done.push({ entry: r.entry, frame: sealed.frame });
      }
      if (ops.length > 0) await ctx.store.batch(ops);
      // The new frames go out now, in order, built from these bytes rather than read back from the
      // outbox: one may be its chain's first message (the KEM block), and a chain whose first
      // message never left cannot be opened by the contact (KEM_MISSING). So a frame whose entry
      // was acknowledged meanwhile still goes out once (the contact takes it as a duplicate).
      const id = fromHex(c.id);
      const epoch = ctx.wire.epoch;
      for (const { entry, frame } of done) {
        const live = ctx.outbox.resealed(entry);
        const queued = ctx.wire.send({ size: frame.length, build: (s) => s.route(frame, id), ...(live ? { sent: () => this.#sent(entry) } : {}) });
        if (live && queued) ctx.outbox.queued(entry.seq, epoch);
      }
      moved = true;
    })
      .catch((err) => {
        // stopped: the entries keep their old tag and are resealed after the next start
        if (!isEngineError(err, 'STOPPED')) report(ctx.emit, 'reseal outbox', err);
      })
      .finally(() => {
        this.#resealing.delete(key);
        // the contact's later entries waited for this job; after a failure (the store) the stale
        // entries wait for the next pump (tick, receipt, reconnect), not a retry loop at once
        if (moved) this.pump();
      });
  }

  /**
   * Seals a message for `c` without an outbox entry (file chunks: file-send.ts keeps them). A v2
   * session's new state is stored before the frame is returned, in the contact's send lane, so a
   * restart never seals with a key a frame already used; it reserves RATCHET_SEND_RESERVE keys
   * at a time, so only one chunk of each run waits for a store write.
   */
  async sealOnly(c: Contact, body: EnvelopeBody): Promise<{ frame: Uint8Array; msgId: string }> {
    const envelope = this.envelope(body);
    const frame = await this.exclusive(c, async () => {
      const { frame, ops } = await this.seal(c, envelope, { reserve: RATCHET_SEND_RESERVE });
      if (ops.length > 0) await this.#ctx.store.batch(ops);
      return frame;
    });
    return { frame, msgId: toHex(envelope.msgId) };
  }

  #sent(e: OutboxEntry): void {
    const ctx = this.#ctx;
    if (!ctx.outbox.sent(e.seq)) return;
    ctx.emit('sent', { contact: e.contact, id: e.msgId });
    if (e.fileId !== undefined && e.chunk !== undefined) ctx.chunkSent(e);
    if (TRACKED.has(e.type)) {
      void ctx.serial
        .run(async () => {
          const item = await ctx.history.get(e.contact, e.msgId);
          if (!item || item.status !== 'queued') return;
          item.status = 'sent';
          await ctx.store.batch([ctx.history.put(item)]);
          ctx.emit('history', { item });
        })
        .catch((err) => report(ctx.emit, 'history status', err));
    }
  }

  /**
   * Periodic duties: drop first-contact requests whose invite expired, and messages older than
   * the replay window (a receiver would reject them as STALE forever); then resend.
   */
  async tick(): Promise<void> {
    const ctx = this.#ctx;
    const now = ctx.clock.now();
    for (const e of ctx.outbox.expired(now)) {
      await ctx.outbox.remove([e]);
      const c = ctx.contacts.get(e.contact);
      if (c) ctx.emit('contact-request-expired', { contact: snapshot(c) });
    }
    const old = ctx.outbox.olderThan(now - REPLAY_WINDOW_MS);
    if (old.length > 0) {
      await ctx.serial.run(async () => {
        await ctx.outbox.remove(old);
        for (const e of old) {
          const item = await ctx.history.get(e.contact, e.msgId);
          if (item && item.dir === 'out') {
            item.status = 'failed';
            await ctx.store.batch([ctx.history.put(item)]);
            ctx.emit('history', { item });
          }
        }
      });
    }
    this.pump();
  }

  /** Acknowledges a received message (batched `delivered` receipt). */
  queueAck(contact: string, msgId: string): void {
    let set = this.#acks.get(contact);
    if (!set) this.#acks.set(contact, (set = new Set()));
    set.add(msgId);
    if (set.size >= MAX_RECEIPT_IDS) void this.#flushAcks(contact);
    else if (!this.#ackTimer) this.#ackTimer = setTimeout(() => void this.flushAcks(), 0);
  }

  /** Sends every waiting `delivered` receipt; resolves once they are queued on the session. */
  async flushAcks(): Promise<void> {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    await Promise.all([...this.#acks.keys()].map((contact) => this.#flushAcks(contact)));
  }

  async #flushAcks(contact: string): Promise<void> {
    const set = this.#acks.get(contact);
    this.#acks.delete(contact);
    const c = this.#ctx.contacts.get(contact);
    if (!set || !c || !this.#ctx.wire.online) return; // the sender resends; the duplicate is acknowledged then
    const ids = [...set];
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < ids.length; i += MAX_RECEIPT_IDS) {
      const body = { status: ReceiptStatus.delivered, ids: ids.slice(i, i + MAX_RECEIPT_IDS).map((h) => ({ id: fromHex(h) })) };
      sends.push(this.sendEphemeral(c, { type: MessageType.receipt, body }).catch(() => undefined));
    }
    await Promise.all(sends);
  }

  /** Queues `read` receipts (persisted until a session sends them) and marks the history. */
  async markRead(c: Contact, ids: readonly string[]): Promise<void> {
    const ctx = this.#ctx;
    const queued = (await getRecord<string[]>(ctx.store, K.readQueue(c.key))) ?? [];
    const ops: StoreOp[] = [];
    const fresh: string[] = [];
    const changed: HistoryItem[] = [];
    for (const id of ids) {
      const item = await ctx.history.get(c.key, id);
      if (item && item.dir === 'in' && !item.read) {
        item.read = true;
        ops.push(ctx.history.put(item));
        changed.push(item);
      }
      if (!queued.includes(id)) fresh.push(id);
    }
    const next = [...queued, ...fresh].slice(-MAX_PENDING_READ_IDS);
    ops.push(putRecord(K.readQueue(c.key), next));
    await ctx.store.batch(ops);
    for (const item of changed) ctx.emit('history', { item });
    await this.flushReads(c);
  }

  /**
   * Sends queued read receipts of one contact (or all) if online, and keeps them as recently
   * sent (see `resendRecentReads`). The caller holds the serial lane (markRead's queue is read,
   * sent and cleared here).
   */
  async flushReads(only?: Contact): Promise<void> {
    const ctx = this.#ctx;
    if (!ctx.wire.online) return;
    const contacts = only ? [only] : ctx.contacts.all().filter((c) => c.state === 'accepted');
    for (const c of contacts) {
      const ids = (await getRecord<string[]>(ctx.store, K.readQueue(c.key))) ?? [];
      if (ids.length === 0 || c.state !== 'accepted') continue;
      try {
        await this.#sendReads(c, ids);
      } catch {
        return; // offline again: they stay queued
      }
      const now = ctx.clock.now();
      const before = await getRecord<{ at: number; ids: string[] }>(ctx.store, K.readSent(c.key));
      const recent = before && now - before.at <= READ_RESEND_WINDOW_MS ? before.ids : [];
      await ctx.store.batch([del(K.readQueue(c.key)), putRecord(K.readSent(c.key), { at: now, ids: [...recent, ...ids].slice(-MAX_PENDING_READ_IDS) })]);
    }
  }

  /**
   * After a reconnect: read receipts are never acknowledged, so those sent shortly before the
   * connection went may have died with it; they are sent once more (READ_RESEND_WINDOW_MS; the
   * sender ignores repeats). Call before `flushReads`, in the serial lane.
   */
  async resendRecentReads(): Promise<void> {
    const ctx = this.#ctx;
    for (const c of ctx.contacts.all()) {
      const sent = await getRecord<{ at: number; ids: string[] }>(ctx.store, K.readSent(c.key));
      if (!sent) continue;
      if (c.state === 'accepted' && ctx.clock.now() - sent.at <= READ_RESEND_WINDOW_MS) {
        try {
          await this.#sendReads(c, sent.ids);
        } catch {
          return; // offline again: kept for the next reconnect, while still recent
        }
      }
      await ctx.store.delete(K.readSent(c.key));
    }
  }

  async #sendReads(c: Contact, ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += MAX_RECEIPT_IDS) {
      const body = { status: ReceiptStatus.read, ids: ids.slice(i, i + MAX_RECEIPT_IDS).map((h) => ({ id: fromHex(h) })) };
      await this.sendEphemeral(c, { type: MessageType.receipt, body });
    }
  }
}
