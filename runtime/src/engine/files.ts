/**
 * File transfers (spec file_offer, file_chunk, file_cancel; FILE_CHUNK_SIZE, MAX_FILE_SIZE,
 * FILE_ACK_GROUP_CHUNKS, FILE_ACK_DELAY_MS, derivation file_digest).
 *
 * Sending: file-send.ts (the source spooled into a blob, chunks sealed as the window allows).
 *
 * Receiving: the offer opens a transfer (at most MAX_INCOMING_TRANSFERS_PER_CONTACT per
 * contact) and its part file, a blob as large as the file. Each chunk is written at its place
 * in the part file; chunks are made durable in groups (receive.ts `stage`): one sync of the part
 * file and one batch with the transfer's record (`have`, the bitmap of chunks held) and the
 * group's replay-window entries, at least every FILE_ACK_GROUP_CHUNKS chunks or
 * FILE_ACK_DELAY_MS; only then are they acknowledged. So a chunk acknowledged is on disk, and
 * after a crash or a disconnect the sender resends only what is not, and the transfer continues
 * from what this side holds. A chunk whose index is held already is acknowledged, not stored
 * again (a resend carries a new message id). When every chunk is in, the digest is computed over
 * the part file (streamed) and compared. A mismatch, or chunks that do not fit the offer, fail
 * the transfer and cancel it at the sender (reason corrupt). Events: `file-progress`, then
 * `file` or `file-failed`. With holdReceivedFiles the part file stays (the record marked done)
 * until the app calls `release` after storing the bytes; until then every start emits `file`
 * again, so a crash between the event and the app's write loses nothing.
 */
import { FILE_ACK_DELAY_MS, FILE_ACK_GROUP_CHUNKS, FileCancelReason, MessageType, REPLAY_WINDOW_MS, type Envelope, type FileCancel } from '@parley/generated';
import { fromHex, toHex } from '../crypto/index.ts';
import { OpenError } from '../protocol/errors.ts';
import type { BlobStore } from './blobs.ts';
import { EngineError } from './errors.ts';
import { EndedTransfers } from './file-ended.ts';
import { cancelReason, freshIn, inBlob, safeName, verifyPart, type InMeta, type InT } from './file-in.ts';
import { offerFile } from './file-offer.ts';
import type { OutgoingFileProgress } from './file-progress.ts';
import { countBits, hasBit, setBit, type FileSource, type OutgoingFiles } from './file-send.ts';
import type { History, HistoryItem } from './history.ts';
import { MAX_INCOMING_TRANSFERS_PER_CONTACT } from './limits.ts';
import type { Outbox } from './outbox.ts';
import { report, unref, type Act, type Clock, type ContactLookup, type Emit, type EnvelopeOf, type MessageHandler, type PerContactState, type Send } from './parts.ts';
import { K, del, getRecord, listRecords, putRecord } from './records.ts';
import type { Serial } from './serial.ts';
import type { Store, StoreOp } from './storage.ts';
import type { Contact, FileFailed } from './types.ts';

export { fileDigest, fileDigestHasher, inBlob } from './file-in.ts';
export { bytesSource } from './file-offer.ts';
type Env<T extends number> = Extract<Envelope, { type: T }>;

/** What file transfers use. */
export interface FileTransfersDeps {
  clock: Clock;
  emit: Emit;
  store: Store;
  blobs: BlobStore;
  serial: Serial;
  /** Received files keep their part file until released (EngineOptions.holdReceivedFiles). */
  holdReceivedFiles: boolean;
  /** The `file` event carries `read` only, not the whole file as `bytes` (EngineOptions.streamReceivedFiles). */
  streamReceivedFiles: boolean;
  contacts: Pick<ContactLookup, 'get' | 'all'>;
  outbox: Pick<Outbox, 'reserve' | 'ofContact' | 'removeOps' | 'forget'>;
  outgoing: OutgoingFiles;
  history: Pick<History, 'get' | 'list' | 'put' | 'nextSeq'>;
  send: Pick<Send, 'sealDurable' | 'commit' | 'sendDurable' | 'pump' | 'exclusive'>;
  progress: OutgoingFileProgress;
  saveSession(contact: string): Promise<void>; // stores a v2 state left unsaved by a group's chunks
}

export class FileTransfers implements PerContactState {
  readonly #ctx: FileTransfersDeps;
  readonly #in = new Map<string, InT>();
  readonly #ended: EndedTransfers;
  constructor(deps: FileTransfersDeps) {
    this.#ctx = deps;
    this.#ended = new EndedTransfers(deps.store);
  }

  /**
   * Picks up outgoing transfers (file-send.ts), emits again the received files the app had not
   * released (holdReceivedFiles), and removes part files no transfer owns.
   */
  async load(): Promise<void> {
    const ctx = this.#ctx;
    const live = new Set<string>();
    for (const [, m] of await listRecords<InMeta>(ctx.store, K.allFilesIn)) {
      live.add(inBlob(m.contact, m.fileId));
      if (!m.done || !ctx.contacts.get(m.contact)) continue;
      const t = await this.#loadIn(m.contact, m.fileId);
      if (t && (await verifyPart(this.#ctx.blobs, m))) await this.#emitFile(t);
    }
    for (const name of await ctx.blobs.list('in-')) if (!live.has(name)) await ctx.blobs.delete(name);
    // crashes of the previous format (chunks in the outbox): their markers only
    for (const [key] of await listRecords(ctx.store, K.filesWriting)) await ctx.store.delete(key);
    for (const rec of await ctx.outgoing.load()) {
      ctx.progress.start(rec.contact, rec.fileId, { total: rec.chunkCount, size: rec.size, delivered: countBits(rec.acked, rec.chunkCount), sent: countBits(rec.acked, rec.chunkCount), ...(rec.paused ? { paused: true } : {}) });
    }
  }

  /** Offers a file: reads it once (digest and spooled copy), then queues the offer; chunks follow (file-offer.ts). */
  send(c: Contact, file: { name: string; mime?: string; bytes?: Uint8Array; source?: FileSource }): Promise<{ id: string; fileId: string }> {
    return offerFile(this.#ctx, c, file);
  }
  /** Pauses or resumes an outgoing transfer (file-send.ts setPaused); the receiver just waits. */
  setPaused(c: Contact, fileId: string, paused: boolean): Promise<void> {
    return this.#ctx.serial.run(async () => {
      if (this.#ctx.outgoing.get(fileId)?.contact !== c.key) throw new EngineError('NOT_ALLOWED', `no outgoing transfer ${fileId} to ${c.key}`);
      await this.#ctx.outgoing.setPaused(fileId, paused);
      await this.#ctx.progress.paused(c.key, fileId, paused);
      if (!paused) this.#ctx.send.pump();
    });
  }

  /** Stops a transfer in either direction and tells the peer (file_cancel, reason cancelled). */
  cancel(c: Contact, fileId: string): Promise<void> {
    return this.#ctx.serial.run(() => this.#cancel(c, fileId));
  }
  async #cancel(c: Contact, fileId: string): Promise<void> {
    const ctx = this.#ctx;
    const entries = ctx.outbox.ofContact(c.key).filter((e) => e.fileId === fileId);
    const out = ctx.outgoing.get(fileId);
    const sending = out?.contact === c.key;
    const t = await this.#loadIn(c.key, fileId);
    if (entries.length === 0 && !sending && !t) throw new EngineError('NOT_ALLOWED', `no transfer ${fileId} with ${c.key}`);
    const ops: StoreOp[] = [...ctx.outbox.removeOps(entries), ...(sending ? ctx.outgoing.dropOps(fileId) : [])];
    const acks = t ? this.#dropIn(t, ops) : [];
    await ctx.store.batch(ops);
    ctx.outbox.forget(entries);
    if (sending) await ctx.outgoing.forget(fileId);
    if (t) await this.#afterDrop(t, acks);
    ctx.progress.end(c.key, fileId);
    const msgId = t?.meta.msgId ?? (sending ? out.msgId : undefined); // shown as failed on this side too
    if (msgId && !t?.meta.done) await this.#markFailed(c.key, fileId, msgId, 'cancelled');
    await ctx.send.sendDurable(c, { type: MessageType.fileCancel, body: { fileId: fromHex(fileId), reason: FileCancelReason.cancelled } });
  }
  /** The receive path's handlers of the file messages (receive-handlers.ts puts them in the table). */
  handlers(): {
    offer: MessageHandler<EnvelopeOf<typeof MessageType.fileOffer>>;
    chunk: MessageHandler<EnvelopeOf<typeof MessageType.fileChunk>>;
    cancel: MessageHandler<EnvelopeOf<typeof MessageType.fileCancel>>;
  } {
    return {
      offer: { holdOps: (m) => this.holdOps(m.contact, m.env, m.id), act: (m, act) => this.onOffer(m.contact, m.env, m.id, act) },
      chunk: {
        event: false,
        defer: async (m) => ((await this.knows(m.contact.key, m.env.body.fileId)) ? undefined : 'a chunk of a transfer whose offer has not arrived'),
        stage: (m, ops, ack) => this.stageChunk(m.contact, m.env, ops, ack),
        act: () => undefined, // staged instead (receive.ts)
      },
      cancel: { act: (m, act) => this.onCancel(m.contact, m.env, act) },
    };
  }
  /** True if an offer for this transfer arrived (the transfer is open, or ended here: file-ended.ts). */
  async knows(contact: string, fileId: Uint8Array): Promise<boolean> {
    return (await this.#loadIn(contact, toHex(fileId))) !== undefined || (await this.#ended.has(contact, toHex(fileId)));
  }

  /**
   * Opens the transfer of an offer held for ordering, so its chunks are stored as they come; the
   * history record and the events follow when the offer is acted on (onOffer). Nothing if the
   * offer is invalid or over the limit: acting on it later refuses it as usual.
   */
  async holdOps(c: Contact, env: Env<typeof MessageType.fileOffer>, id: string): Promise<StoreOp[]> {
    const o = env.body;
    const fileId = toHex(o.fileId);
    if (o.chunkCount !== Math.ceil(o.size / o.chunkSize) || (await this.#loadIn(c.key, fileId))) return [];
    if ((await this.#openIn(c.key)) >= MAX_INCOMING_TRANSFERS_PER_CONTACT) return [];
    return [putRecord(K.fileIn(c.key, fileId), { ...this.#meta(c, env, id), held: true })];
  }

  #meta(c: Contact, env: Env<typeof MessageType.fileOffer>, id: string): InMeta {
    const o = env.body;
    return {
      contact: c.key, fileId: toHex(o.fileId), msgId: id, name: safeName(o.name), mime: o.mime, size: o.size,
      chunkSize: o.chunkSize, chunkCount: o.chunkCount, digest: o.digest.slice(), sentAt: env.sentAt,
    };
  }

  /**
   * Fails incoming transfers whose offer has left the replay window (REPLAY_WINDOW_MS): their
   * chunks, sealed after the offer, would soon be refused as STALE, and the sender gives them up
   * at the same age, so they could only wait forever. Outgoing ones and ended records go too.
   */
  expireIncoming(): Promise<void> {
    const ctx = this.#ctx;
    return ctx.serial.run(async () => {
      const floor = ctx.clock.now() - REPLAY_WINDOW_MS;
      for (const [, m] of await listRecords<InMeta>(ctx.store, K.allFilesIn)) {
        if (m.done || m.sentAt === undefined || m.sentAt >= floor) continue;
        const t = (await this.#loadIn(m.contact, m.fileId))!;
        const ops: StoreOp[] = [];
        const acks = this.#dropIn(t, ops);
        const item = await ctx.history.get(m.contact, m.msgId);
        if (item?.file) {
          Object.assign(item.file, { state: 'failed', reason: 'expired' } as const);
          ops.push(ctx.history.put(item));
        }
        await ctx.store.batch(ops);
        await this.#afterDrop(t, acks);
        if (item) ctx.emit('history', { item });
        ctx.emit('file-failed', { contact: m.contact, fileId: m.fileId, direction: 'in', reason: 'expired' });
      }
      for (const rec of ctx.outgoing.expired(ctx.clock.now())) {
        await ctx.store.batch(ctx.outgoing.dropOps(rec.fileId));
        await ctx.outgoing.forget(rec.fileId);
        ctx.progress.end(rec.contact, rec.fileId);
        await this.#markFailed(rec.contact, rec.fileId, rec.msgId, 'expired');
        ctx.emit('file-failed', { contact: rec.contact, fileId: rec.fileId, direction: 'out', reason: 'expired' });
      }
      await this.#ended.expire(ctx.clock.now());
    });
  }

  async onOffer(c: Contact, env: Env<typeof MessageType.fileOffer>, id: string, act: Act): Promise<void> {
    const ctx = this.#ctx;
    const o = env.body;
    const fileId = toHex(o.fileId);
    if (o.chunkCount !== Math.ceil(o.size / o.chunkSize)) throw new OpenError('BAD_MESSAGE', 'the chunk count does not match the size');
    const opened = await this.#loadIn(c.key, fileId);
    await opened?.flushing; // a record written by a group of the held transfer lands before this one
    if (opened && !(opened.meta.held && opened.meta.msgId === id)) return; // the same transfer offered again under another id
    const meta = this.#meta(c, env, id);
    const item: HistoryItem = {
      id, contact: c.key, seq: ctx.history.nextSeq(), dir: 'in', kind: 'file', sentAt: env.sentAt, receivedAt: ctx.clock.now(),
      file: { fileId, name: meta.name, mime: meta.mime, size: meta.size, state: 'receiving' },
    };
    if (opened?.meta.cancelled) {
      // cancelled while held: shown, as failed
      Object.assign(item.file!, { state: 'failed', reason: 'cancelled' } as const);
      act.ops.push(del(K.fileIn(c.key, fileId)), ctx.history.put(item));
      act.after.push(() => {
        this.#in.delete(`${c.key}/${fileId}`);
        ctx.emit('history', { item });
      });
      return;
    }
    if (!opened && (await this.#openIn(c.key)) >= MAX_INCOMING_TRANSFERS_PER_CONTACT) {
      Object.assign(item.file!, { state: 'failed', reason: 'too_large' } as const);
      act.ops.push(ctx.history.put(item));
      act.after.push(() => this.#failIn(c, fileId, 'too_large', FileCancelReason.tooLarge));
      return;
    }
    act.ops.push(putRecord(K.fileIn(c.key, fileId), { ...meta, ...(opened ? { have: opened.durable } : {}) }), ctx.history.put(item));
    act.after.push(async () => {
      const t = opened ?? freshIn(meta);
      t.meta = meta; // no longer held
      this.#in.set(`${c.key}/${fileId}`, t);
      ctx.emit('history', { item });
      this.#progressIn(t);
      if (t.durableCount === meta.chunkCount) await this.#complete(c, t);
    });
  }

  /**
   * A chunk (receive.ts, after the replay window): written into the part file now, made durable
   * and acknowledged with its group. `replayOps` persist the chunk's replay-window entry.
   */
  async stageChunk(c: Contact, env: Env<typeof MessageType.fileChunk>, replayOps: StoreOp[], ack: () => void): Promise<void> {
    const ctx = this.#ctx;
    const ch = env.body;
    const t = await this.#loadIn(c.key, toHex(ch.fileId));
    if (!t) return ack(); // a duplicate of a transfer that ended (it was durable then)
    const m = t.meta;
    if (m.cancelled || m.done) {
      // a chunk still in flight when the transfer ended: recorded, acknowledged, dropped
      await ctx.store.batch(replayOps);
      return ack();
    }
    const expected = ch.index === m.chunkCount - 1 ? m.size - (m.chunkCount - 1) * m.chunkSize : m.chunkSize;
    if (ch.index >= m.chunkCount || ch.data.length !== expected) {
      const ops = [...replayOps];
      const acks = this.#dropIn(t, ops);
      await ctx.store.batch(ops);
      await this.#afterDrop(t, acks);
      ack();
      await this.#failIn(c, m.fileId, 'invalid', FileCancelReason.corrupt);
      return;
    }
    const g = t.group;
    if (!hasBit(t.have, ch.index)) {
      // Written without waiting (the next chunk is opened meanwhile); the group's sync waits
      // for its writes, and a failed write fails the group (not acknowledged, resent).
      setBit(t.have, ch.index);
      t.count++;
      g.fresh.push(ch.index);
      g.writes.push(ctx.blobs.write(inBlob(m.contact, m.fileId), ch.index * m.chunkSize, ch.data).then(() => undefined, (err: unknown) => err ?? new Error('write failed')));
    }
    // The chunk's replay-window entry stays in memory: what makes a chunk count once is the
    // transfer's bitmap, written with the group (a chunk replayed after a restart finds its index
    // held, or its transfer gone, and changes nothing). One stored key per chunk would cost a
    // synced file each (spec/DESIGN.md "File transfers").
    void replayOps;
    g.acks.push(ack);
    if (g.acks.length >= FILE_ACK_GROUP_CHUNKS || t.count === m.chunkCount) this.#flush(c, t);
    else g.timer ??= unref(setTimeout(() => t.group === g && this.#flush(c, t), FILE_ACK_DELAY_MS));
  }

  /**
   * Closes the open group and makes it durable after the groups before it: the part file synced,
   * then the record of the chunks held; then acknowledges it. Runs beside the receive lane, so
   * the next group is written while this one syncs; a completed transfer is finished in the lane.
   */
  #flush(c: Contact, t: InT): void {
    const ctx = this.#ctx;
    const g = t.group;
    clearTimeout(g.timer);
    t.group = { fresh: [], writes: [], ops: [], acks: [] };
    if (g.acks.length === 0) return;
    t.flushing = t.flushing.then(async () => {
      const m = t.meta;
      if (!t.dropped) {
        const durable = t.durable.slice();
        for (const i of g.fresh) setBit(durable, i);
        try {
          const failed = (await Promise.all(g.writes)).find((e) => e !== undefined);
          if (failed !== undefined) throw failed;
          if (g.fresh.length > 0) await ctx.blobs.sync(inBlob(m.contact, m.fileId));
          // checked and written in one step: a drop after this writes its delete after this put
          if (!t.dropped && g.fresh.length > 0) await ctx.store.batch([putRecord(K.fileIn(m.contact, m.fileId), { ...t.meta, have: durable })]);
          await ctx.saveSession(m.contact); // the v2 state that opened the group (receive.ts defers it)
        } catch (err) {
          // nothing acknowledged: the sender resends these chunks
          for (const i of g.fresh) t.have[i >> 3]! &= ~(1 << (i & 7));
          t.count -= g.fresh.length;
          report(ctx.emit, 'store file chunks', err);
          return;
        }
        t.durable = durable;
        t.durableCount += g.fresh.length;
      }
      for (const a of g.acks) a();
      if (t.dropped) return;
      if (g.fresh.length > 0) this.#progressIn(t);
      if (t.durableCount === m.chunkCount && !t.meta.held && !t.meta.done) {
        void ctx.serial.run(() => this.#complete(c, t)).catch((err) => report(ctx.emit, 'file complete', err));
      }
    });
  }

  async onCancel(c: Contact, env: Env<typeof MessageType.fileCancel>, act: Act): Promise<void> {
    const ctx = this.#ctx;
    const fileId = toHex(env.body.fileId);
    const reason = cancelReason(env.body);
    const t = await this.#loadIn(c.key, fileId);
    if (t?.meta.held) {
      // The offer is held for ordering and not shown yet: keep a tombstone so that, when it is
      // acted on, it shows as failed instead of opening the transfer again.
      const acks = this.#dropIn(t, act.ops);
      act.ops.push(putRecord(K.fileIn(c.key, fileId), { ...t.meta, cancelled: true }));
      act.after.push(() => this.#afterDrop(t, acks));
    } else if (t && !t.meta.cancelled) {
      const acks = this.#dropIn(t, act.ops);
      const item = await ctx.history.get(c.key, t.meta.msgId);
      if (item?.file && item.file.state === 'receiving') {
        Object.assign(item.file, { state: 'failed', reason });
        act.ops.push(ctx.history.put(item));
      }
      act.after.push(async () => {
        await this.#afterDrop(t, acks);
        if (item) ctx.emit('history', { item });
        ctx.emit('file-failed', { contact: c.key, fileId, direction: 'in', reason });
      });
    }
    const entries = ctx.outbox.ofContact(c.key).filter((e) => e.fileId === fileId);
    const sending = ctx.outgoing.get(fileId)?.contact === c.key;
    const offer = (await ctx.history.list(c.key)).find((i) => i.dir === 'out' && i.file?.fileId === fileId);
    if (entries.length > 0 || sending || (offer && offer.file!.state === 'sending')) {
      act.ops.push(...ctx.outbox.removeOps(entries), ...(sending ? ctx.outgoing.dropOps(fileId) : []));
      act.after.push(async () => {
        ctx.outbox.forget(entries);
        if (sending) await ctx.outgoing.forget(fileId);
        ctx.progress.end(c.key, fileId);
        if (offer) await this.#markFailed(c.key, fileId, offer.id, reason);
        ctx.emit('file-failed', { contact: c.key, fileId, direction: 'out', reason });
      });
    }
  }

  async removeOps(c: Contact): Promise<StoreOp[]> {
    const ctx = this.#ctx;
    const contact = c.key;
    for (const [k, t] of [...this.#in]) {
      if (!k.startsWith(`${contact}/`)) continue;
      clearTimeout(t.group.timer);
      t.dropped = true;
      this.#in.delete(k);
    }
    const ops = [...(await ctx.store.list(K.filesIn(contact))).map(del), ...(await this.#ended.removeOps(contact))];
    for (const rec of ctx.outgoing.ofContact(contact)) {
      ops.push(...ctx.outgoing.dropOps(rec.fileId));
      await ctx.outgoing.forget(rec.fileId);
    }
    // part files go now; a crash before the records do leaves records whose digest check fails
    for (const name of await ctx.blobs.list(`in-${contact}-`)) await ctx.blobs.delete(name);
    return ops;
  }

  /** Progress counts the chunks durable (those a crash keeps). */
  #progressIn(t: InT): void {
    const m = t.meta;
    const bytes = Math.min(m.size, t.durableCount * m.chunkSize);
    this.#ctx.emit('file-progress', { contact: m.contact, fileId: m.fileId, direction: 'in', chunks: t.durableCount, totalChunks: m.chunkCount, bytes, size: m.size });
  }

  /** `file`: `read` over the part file, and `bytes` unless streamReceivedFiles. */
  async #emitFile(t: InT): Promise<void> {
    const ctx = this.#ctx;
    const m = t.meta;
    const blob = inBlob(m.contact, m.fileId);
    const read = (offset: number, length: number) => ctx.blobs.read(blob, offset, Math.max(0, Math.min(length, m.size - offset)));
    let bytes: Uint8Array | undefined;
    if (!ctx.streamReceivedFiles) {
      bytes = new Uint8Array(m.size);
      for (let at = 0; at < m.size; at += m.chunkSize) bytes.set(await read(at, m.chunkSize), at);
    }
    ctx.emit('file', { contact: m.contact, fileId: m.fileId, id: m.msgId, name: m.name, mime: m.mime, size: m.size, read, ...(bytes ? { bytes } : {}) });
  }

  async #complete(c: Contact, t: InT): Promise<void> {
    const ctx = this.#ctx;
    const m = t.meta;
    if (t.completing || t.dropped) return;
    t.completing = true;
    const ok = await verifyPart(this.#ctx.blobs, m);
    const item = await ctx.history.get(c.key, m.msgId);
    const keep = ok && ctx.holdReceivedFiles;
    const ops: StoreOp[] = [];
    const acks = keep ? [] : this.#dropIn(t, ops);
    if (keep) ops.push(putRecord(K.fileIn(c.key, m.fileId), { ...m, have: t.durable, done: true }));
    if (item?.file) {
      item.file.state = ok ? 'received' : 'failed';
      ops.push(ctx.history.put(item));
    }
    await ctx.store.batch(ops);
    if (keep) m.done = true;
    if (item) ctx.emit('history', { item });
    if (ok) await this.#emitFile(t);
    if (!keep) await this.#afterDrop(t, acks);
    if (!ok) await this.#failIn(c, m.fileId, 'corrupt', FileCancelReason.corrupt);
  }

  async #failIn(c: Contact, fileId: string, reason: FileFailed['reason'], code: FileCancel['reason']): Promise<void> {
    this.#in.delete(`${c.key}/${fileId}`);
    this.#ctx.emit('file-failed', { contact: c.key, fileId, direction: 'in', reason });
    await this.#ctx.send.sendDurable(c, { type: MessageType.fileCancel, body: { fileId: fromHex(fileId), reason: code } });
  }
  async #markFailed(contact: string, fileId: string, msgId: string, reason: FileFailed['reason']): Promise<void> {
    const item = await this.#ctx.history.get(contact, msgId);
    if (!item?.file) return;
    Object.assign(item.file, { state: 'failed', reason });
    await this.#ctx.store.batch([this.#ctx.history.put(item)]);
    this.#ctx.emit('history', { item });
  }
  /** Incoming transfers of `contact` still running (not complete and waiting for release). */
  async #openIn(contact: string): Promise<number> {
    return (await listRecords<InMeta>(this.#ctx.store, K.filesIn(contact))).filter(([, m]) => !m.done && !m.cancelled).length;
  }

  /** Drops the part file of a received file the app has stored (holdReceivedFiles). */
  release(contact: string, fileId: string): Promise<void> {
    const ctx = this.#ctx;
    return ctx.serial.run(async () => {
      const meta = await getRecord<InMeta>(ctx.store, K.fileIn(contact, fileId));
      if (!meta?.done) return;
      const t = (await this.#loadIn(contact, fileId))!;
      const ops: StoreOp[] = [];
      const acks = this.#dropIn(t, ops);
      await ctx.store.batch(ops);
      await this.#afterDrop(t, acks);
    });
  }

  /**
   * Adds to `ops` what removes an incoming transfer (its record, and the replay entries of its
   * open group); returns the group's acknowledgements, to call with `#afterDrop` once `ops` landed.
   */
  #dropIn(t: InT, ops: StoreOp[]): (() => void)[] {
    const g = t.group;
    clearTimeout(g.timer);
    t.dropped = true;
    t.group = { fresh: [], writes: [], ops: [], acks: [] };
    ops.push(...g.ops, del(K.fileIn(t.meta.contact, t.meta.fileId)), this.#ended.endOp(t.meta.contact, t.meta.fileId, t.meta.sentAt ?? this.#ctx.clock.now()));
    return g.acks;
  }

  async #afterDrop(t: InT, acks: (() => void)[]): Promise<void> {
    this.#in.delete(`${t.meta.contact}/${t.meta.fileId}`);
    for (const a of acks) a();
    await this.#ctx.blobs.delete(inBlob(t.meta.contact, t.meta.fileId));
    await this.#ended.trim(t.meta.contact);
  }

  async #loadIn(contact: string, fileId: string): Promise<InT | undefined> {
    const key = `${contact}/${fileId}`;
    const hit = this.#in.get(key);
    if (hit) return hit;
    const meta = await getRecord<InMeta>(this.#ctx.store, K.fileIn(contact, fileId));
    if (!meta) return undefined;
    const t = freshIn(meta);
    delete t.meta.have;
    this.#in.set(key, t);
    return t;
  }
}

