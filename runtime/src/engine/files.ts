/**
 * File transfers (spec file_offer, file_chunk, file_cancel; FILE_CHUNK_SIZE, MAX_FILE_SIZE,
 * derivation file_digest).
 *
 * Sending: the offer (with the digest of the whole content) and then every chunk go through the
 * outbox like any durable message, so a transfer survives restarts on both ends. A marker
 * `fw/<file>` is written with the offer and removed with the last chunk: if the process dies in
 * between, the next start removes the half-written transfer and cancels it at the peer.
 *
 * Receiving: the offer opens a transfer (at most MAX_INCOMING_TRANSFERS_PER_CONTACT per
 * contact); each chunk is stored under its own key in the same batch as its replay-window entry;
 * when the last one is in, the digest is computed over the chunks in order (streamed) and
 * compared. A mismatch, or chunks that do not fit the offer, fail the transfer and cancel it at
 * the sender (reason corrupt). Events: `file-progress`, then `file` or `file-failed`. With
 * holdReceivedFiles the chunks stay (the record marked done) until the app calls `release`
 * after storing the bytes; until then every start emits `file` again, so a crash between the
 * event and the app's write loses nothing.
 */
import {
  Contexts,
  FILE_CHUNK_SIZE,
  FILE_ID_SIZE,
  FileCancelReason,
  FileCancelReasonNames,
  MAX_FILENAME_BYTES,
  MAX_FILE_SIZE,
  MAX_MIME_BYTES,
  MessageType,
  REPLAY_WINDOW_MS,
  type Envelope,
  type FileCancel,
} from '@parley/generated';
import { Blake3Hasher, equalBytes, fromHex, toHex } from '../crypto/index.ts';
import { OpenError } from '../protocol/errors.ts';
import { EngineError } from './errors.ts';
import type { OutgoingFileProgress } from './file-progress.ts';
import type { History, HistoryItem } from './history.ts';
import { MAX_INCOMING_TRANSFERS_PER_CONTACT } from './limits.ts';
import type { Outbox } from './outbox.ts';
import type { Act, Clock, ContactLookup, Emit, EnvelopeOf, MessageHandler, PerContactState, Received, Sealed, Send } from './parts.ts';
import { K, del, getRecord, listRecords, putRecord } from './records.ts';
import type { Serial } from './serial.ts';
import type { Store, StoreOp } from './storage.ts';
import type { Contact, FileFailed } from './types.ts';

type Env<T extends number> = Extract<Envelope, { type: T }>;

/** What file transfers use. */
export interface FileTransfersDeps {
  clock: Clock;
  emit: Emit;
  store: Store;
  serial: Serial;
  /** Received files keep their chunks until released (EngineOptions.holdReceivedFiles). */
  holdReceivedFiles: boolean;
  contacts: Pick<ContactLookup, 'get' | 'all'>;
  outbox: Pick<Outbox, 'reserve' | 'remove' | 'ofContact' | 'removeOps' | 'forget'>;
  history: Pick<History, 'get' | 'list' | 'put' | 'nextSeq'>;
  send: Pick<Send, 'sealDurable' | 'commit' | 'sendDurable' | 'exclusive'>;
  progress: OutgoingFileProgress;
}

/** Chunks sealed and written per store batch while sending. */
const WRITE_GROUP = 32;

/** A streaming DK(file digest, content) (spec derivations.file_digest). */
export function fileDigestHasher(): { update(b: Uint8Array): void; digest(): Uint8Array } {
  return Blake3Hasher.deriveKey(Contexts.fileDigest);
}

export function fileDigest(content: Uint8Array): Uint8Array {
  const h = fileDigestHasher();
  for (let at = 0; at < content.length; at += FILE_CHUNK_SIZE) h.update(content.subarray(at, at + FILE_CHUNK_SIZE));
  return h.digest();
}

interface InMeta {
  contact: string;
  fileId: string;
  /** The offer's message id. */
  msgId: string;
  name: string;
  mime: string;
  size: number;
  chunkSize: number;
  chunkCount: number;
  digest: Uint8Array;
  /** The offer is held for ordering (order.ts): chunks are stored, the record and events wait. */
  held?: boolean;
  /** Complete and emitted; chunks kept until the app releases it (holdReceivedFiles). */
  done?: boolean;
  /** Cancelled by the sender while the offer was held: a tombstone until the offer is acted on. */
  cancelled?: boolean;
  /** The offer's timestamp (sender's clock): the transfer expires when it leaves the replay window. */
  sentAt?: number;
}

/** A received name without any path, control characters or leading dots. */
function safeName(name: string): string {
  const base = name.split(/[\\/]/).pop()!.replace(/[\u0000-\u001f\u007f]/g, '').replace(/^\.+/, '').trim();
  return base === '' ? 'file' : base;
}

export class FileTransfers implements PerContactState {
  readonly #ctx: FileTransfersDeps;
  readonly #in = new Map<string, { meta: InMeta; received: Set<number> }>();

  constructor(deps: FileTransfersDeps) {
    this.#ctx = deps;
  }

  /**
   * Cleans up sends that a crash interrupted (see the module comment), and emits again the
   * received files the app had not released (holdReceivedFiles).
   */
  async load(): Promise<void> {
    const ctx = this.#ctx;
    for (const [, m] of await listRecords<InMeta>(ctx.store, K.allFilesIn)) {
      if (!m.done || !ctx.contacts.get(m.contact)) continue;
      const bytes = await this.#assemble(m);
      if (bytes) ctx.emit('file', { contact: m.contact, fileId: m.fileId, id: m.msgId, name: m.name, mime: m.mime, bytes });
    }
    for (const [key, rec] of await listRecords<{ contact: string; msgId: string }>(ctx.store, K.filesWriting)) {
      const fileId = key.slice(K.filesWriting.length);
      await ctx.outbox.remove(ctx.outbox.ofContact(rec.contact).filter((e) => e.fileId === fileId));
      await ctx.store.delete(key);
      const c = ctx.contacts.get(rec.contact);
      await this.#failOutgoing(rec.contact, fileId, rec.msgId);
      if (c) await ctx.send.sendDurable(c, { type: MessageType.fileCancel, body: { fileId: fromHex(fileId), reason: FileCancelReason.cancelled } });
    }
    // outgoing progress of transfers still in the outbox
    const left = new Map<string, number>();
    for (const c of ctx.contacts.all()) {
      for (const e of ctx.outbox.ofContact(c.key)) {
        if (e.fileId !== undefined && e.chunk !== undefined) left.set(`${c.key}/${e.fileId}`, (left.get(`${c.key}/${e.fileId}`) ?? 0) + 1);
      }
    }
    for (const [key, n] of left) {
      const [contact, fileId] = key.split('/') as [string, string];
      const item = (await ctx.history.list(contact)).find((i) => i.dir === 'out' && i.file?.fileId === fileId);
      if (!item?.file) continue;
      const total = Math.ceil(item.file.size / FILE_CHUNK_SIZE);
      ctx.progress.start(contact, fileId, { total, size: item.file.size, delivered: total - n, sent: total - n });
    }
  }

  /** Offers a file and queues all of its chunks (OUTBOX_FULL if they do not fit). */
  async send(c: Contact, file: { name: string; mime?: string; bytes: Uint8Array }): Promise<{ id: string; fileId: string }> {
    const ctx = this.#ctx;
    const { bytes } = file;
    const mime = file.mime ?? '';
    if (!(bytes instanceof Uint8Array)) throw new TypeError('file.bytes must be a Uint8Array');
    if (bytes.length > MAX_FILE_SIZE) throw new EngineError('TOO_LARGE', `a file may have at most ${MAX_FILE_SIZE} bytes, got ${bytes.length}`);
    const nameLen = new TextEncoder().encode(file.name).length;
    if (nameLen < 1 || nameLen > MAX_FILENAME_BYTES) throw new EngineError('TOO_LARGE', `a file name has 1 to ${MAX_FILENAME_BYTES} bytes, got ${nameLen}`);
    if (new TextEncoder().encode(mime).length > MAX_MIME_BYTES) throw new EngineError('TOO_LARGE', `a MIME type has at most ${MAX_MIME_BYTES} bytes`);
    const chunkCount = Math.ceil(bytes.length / FILE_CHUNK_SIZE);
    const slot = ctx.outbox.reserve(1 + chunkCount);
    try {
      const fileIdBytes = ctx.clock.randomBytes(FILE_ID_SIZE);
      const fileId = toHex(fileIdBytes);
      const offer = await ctx.send.exclusive(c, async () => {
        const sealed = await ctx.send.sealDurable(
          c,
          { type: MessageType.fileOffer, body: { fileId: fileIdBytes, name: file.name, mime, size: bytes.length, chunkSize: FILE_CHUNK_SIZE, chunkCount, digest: fileDigest(bytes) } },
          { fileId, history: { kind: 'file', file: { fileId, name: file.name, mime, size: bytes.length, state: 'sending' } } },
        );
        const marker = putRecord(K.fileWriting(fileId), { contact: c.key, msgId: sealed.entry.msgId });
        await ctx.store.batch([...sealed.ops, marker]);
        return sealed;
      });
      ctx.progress.start(c.key, fileId, { total: chunkCount, size: bytes.length, delivered: 0, sent: 0 });
      ctx.send.commit([offer]);
      for (let first = 0; first < chunkCount; first += WRITE_GROUP) {
        // one lane turn per group: a v2 session's state lands in seal order (Sender.exclusive)
        const group = await ctx.send.exclusive(c, async () => {
          const sealed: Sealed[] = [];
          for (let index = first; index < Math.min(chunkCount, first + WRITE_GROUP); index++) {
            const data = bytes.subarray(index * FILE_CHUNK_SIZE, (index + 1) * FILE_CHUNK_SIZE);
            sealed.push(await ctx.send.sealDurable(c, { type: MessageType.fileChunk, body: { fileId: fileIdBytes, index, data } }, { fileId, chunk: index }));
          }
          await ctx.store.batch(sealed.flatMap((s) => s.ops));
          return sealed;
        });
        ctx.send.commit(group);
      }
      await ctx.store.delete(K.fileWriting(fileId));
      return { id: offer.entry.msgId, fileId };
    } finally {
      slot.release();
    }
  }

  /** Stops a transfer in either direction and tells the peer (file_cancel, reason cancelled). */
  cancel(c: Contact, fileId: string): Promise<void> {
    return this.#ctx.serial.run(() => this.#cancel(c, fileId));
  }

  async #cancel(c: Contact, fileId: string): Promise<void> {
    const ctx = this.#ctx;
    const ops: StoreOp[] = [];
    const entries = ctx.outbox.ofContact(c.key).filter((e) => e.fileId === fileId);
    const t = await this.#loadIn(c.key, fileId);
    if (entries.length === 0 && !t) throw new EngineError('NOT_ALLOWED', `no transfer ${fileId} with ${c.key}`);
    ops.push(...ctx.outbox.removeOps(entries));
    if (t) ops.push(...(await this.#dropInOps(t.meta)));
    await ctx.store.batch(ops);
    ctx.outbox.forget(entries);
    this.#in.delete(`${c.key}/${fileId}`);
    ctx.progress.end(c.key, fileId);
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
        defer: async (m: Received<EnvelopeOf<typeof MessageType.fileChunk>>) =>
          (await this.knows(m.contact.key, m.env.body.fileId)) ? undefined : 'a chunk of a transfer whose offer has not arrived',
        act: (m, act) => this.onChunk(m.contact, m.env, act),
      },
      cancel: { act: (m, act) => this.onCancel(m.contact, m.env, act) },
    };
  }

  /** True if an offer for this transfer arrived and the transfer is open. */
  async knows(contact: string, fileId: Uint8Array): Promise<boolean> {
    return (await this.#loadIn(contact, toHex(fileId))) !== undefined;
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
   * chunks, sealed with the offer, would be refused as STALE, and the sender has given them up
   * (its outbox drops what the window refuses), so they could only wait forever.
   */
  expireIncoming(): Promise<void> {
    const ctx = this.#ctx;
    return ctx.serial.run(async () => {
      const floor = ctx.clock.now() - REPLAY_WINDOW_MS;
      for (const [, m] of await listRecords<InMeta>(ctx.store, K.allFilesIn)) {
        if (m.done || m.sentAt === undefined || m.sentAt >= floor) continue;
        const ops = await this.#dropInOps(m);
        const item = await ctx.history.get(m.contact, m.msgId);
        if (item?.file) {
          item.file.state = 'failed';
          ops.push(ctx.history.put(item));
        }
        await ctx.store.batch(ops);
        this.#in.delete(`${m.contact}/${m.fileId}`);
        if (item) ctx.emit('history', { item });
        ctx.emit('file-failed', { contact: m.contact, fileId: m.fileId, direction: 'in', reason: 'expired' });
      }
    });
  }

  async onOffer(c: Contact, env: Env<typeof MessageType.fileOffer>, id: string, act: Act): Promise<void> {
    const ctx = this.#ctx;
    const o = env.body;
    const fileId = toHex(o.fileId);
    if (o.chunkCount !== Math.ceil(o.size / o.chunkSize)) throw new OpenError('BAD_MESSAGE', 'the chunk count does not match the size');
    const opened = await this.#loadIn(c.key, fileId);
    if (opened && !(opened.meta.held && opened.meta.msgId === id)) return; // the same transfer offered again under another id
    const meta = this.#meta(c, env, id);
    const item: HistoryItem = {
      id, contact: c.key, seq: ctx.history.nextSeq(), dir: 'in', kind: 'file', sentAt: env.sentAt, receivedAt: ctx.clock.now(),
      file: { fileId, name: meta.name, mime: meta.mime, size: meta.size, state: 'receiving' },
    };
    if (opened?.meta.cancelled) {
      // cancelled while held: shown, as failed
      item.file!.state = 'failed';
      act.ops.push(del(K.fileIn(c.key, fileId)), ctx.history.put(item));
      act.after.push(() => {
        this.#in.delete(`${c.key}/${fileId}`);
        ctx.emit('history', { item });
      });
      return;
    }
    if (!opened && (await this.#openIn(c.key)) >= MAX_INCOMING_TRANSFERS_PER_CONTACT) {
      item.file!.state = 'failed';
      act.ops.push(ctx.history.put(item));
      act.after.push(() => this.#failIn(c, fileId, 'too_large', FileCancelReason.tooLarge));
      return;
    }
    act.ops.push(putRecord(K.fileIn(c.key, fileId), meta), ctx.history.put(item));
    act.after.push(async () => {
      const t = opened ?? { meta, received: new Set<number>() };
      t.meta = meta; // no longer held
      this.#in.set(`${c.key}/${fileId}`, t);
      ctx.emit('history', { item });
      this.#progressIn(t);
      if (t.received.size === meta.chunkCount) await this.#complete(c, t);
    });
  }

  async onChunk(c: Contact, env: Env<typeof MessageType.fileChunk>, act: Act): Promise<void> {
    const ch = env.body;
    const t = (await this.#loadIn(c.key, toHex(ch.fileId)))!;
    const m = t.meta;
    if (m.cancelled) return; // a chunk still in flight when the sender cancelled: acknowledged, dropped
    const expected = ch.index === m.chunkCount - 1 ? m.size - (m.chunkCount - 1) * m.chunkSize : m.chunkSize;
    if (ch.index >= m.chunkCount || ch.data.length !== expected) {
      act.ops.push(...(await this.#dropInOps(m)));
      act.after.push(() => this.#failIn(c, m.fileId, 'invalid', FileCancelReason.corrupt));
      return;
    }
    if (t.received.has(ch.index)) return;
    act.ops.push({ op: 'put', key: K.chunk(c.key, m.fileId, ch.index), value: ch.data.slice() });
    act.after.push(async () => {
      t.received.add(ch.index);
      this.#progressIn(t);
      if (t.received.size === m.chunkCount && !t.meta.held) await this.#complete(c, t);
    });
  }

  async onCancel(c: Contact, env: Env<typeof MessageType.fileCancel>, act: Act): Promise<void> {
    const ctx = this.#ctx;
    const fileId = toHex(env.body.fileId);
    const reason = reasonName(env.body);
    const t = await this.#loadIn(c.key, fileId);
    if (t?.meta.held) {
      // The offer is held for ordering and not shown yet: keep a tombstone so that, when it is
      // acted on, it shows as failed instead of opening the transfer again.
      const chunks = await this.#ctx.store.list(K.chunks(c.key, fileId));
      act.ops.push(...chunks.map(del), putRecord(K.fileIn(c.key, fileId), { ...t.meta, cancelled: true }));
      act.after.push(() => void this.#in.delete(`${c.key}/${fileId}`));
    } else if (t && !t.meta.cancelled) {
      act.ops.push(...(await this.#dropInOps(t.meta)));
      const item = await ctx.history.get(c.key, t.meta.msgId);
      if (item?.file && item.file.state === 'receiving') {
        item.file.state = 'failed';
        act.ops.push(ctx.history.put(item));
      }
      act.after.push(() => {
        this.#in.delete(`${c.key}/${fileId}`);
        if (item) ctx.emit('history', { item });
        ctx.emit('file-failed', { contact: c.key, fileId, direction: 'in', reason });
      });
    }
    const entries = ctx.outbox.ofContact(c.key).filter((e) => e.fileId === fileId);
    const offer = (await ctx.history.list(c.key)).find((i) => i.dir === 'out' && i.file?.fileId === fileId);
    if (entries.length > 0 || (offer && offer.file!.state === 'sending')) {
      act.ops.push(...ctx.outbox.removeOps(entries));
      act.after.push(async () => {
        ctx.outbox.forget(entries);
        ctx.progress.end(c.key, fileId);
        if (offer) await this.#failOutgoing(c.key, fileId, offer.id);
        ctx.emit('file-failed', { contact: c.key, fileId, direction: 'out', reason });
      });
    }
  }

  async removeOps(c: Contact): Promise<StoreOp[]> {
    const contact = c.key;
    for (const k of [...this.#in.keys()]) if (k.startsWith(`${contact}/`)) this.#in.delete(k);
    const keys = [...(await this.#ctx.store.list(K.filesIn(contact))), ...(await this.#ctx.store.list(K.allChunks(contact)))];
    return keys.map(del);
  }

  #progressIn(t: { meta: InMeta; received: Set<number> }): void {
    const m = t.meta;
    const bytes = Math.min(m.size, t.received.size * m.chunkSize);
    this.#ctx.emit('file-progress', { contact: m.contact, fileId: m.fileId, direction: 'in', chunks: t.received.size, totalChunks: m.chunkCount, bytes, size: m.size });
  }

  /** The transfer's content from its stored chunks, if every chunk is there and the digest matches. */
  async #assemble(m: InMeta): Promise<Uint8Array | undefined> {
    const h = fileDigestHasher();
    const out = new Uint8Array(m.size);
    for (let i = 0; i < m.chunkCount; i++) {
      const data = await this.#ctx.store.get(K.chunk(m.contact, m.fileId, i));
      if (!data) return undefined;
      h.update(data);
      out.set(data, i * m.chunkSize);
    }
    return equalBytes(h.digest(), m.digest) ? out : undefined;
  }

  async #complete(c: Contact, t: { meta: InMeta; received: Set<number> }): Promise<void> {
    const ctx = this.#ctx;
    const m = t.meta;
    const out = await this.#assemble(m);
    const ok = out !== undefined;
    const item = await ctx.history.get(c.key, m.msgId);
    const keep = ok && ctx.holdReceivedFiles;
    const ops = keep ? [putRecord(K.fileIn(c.key, m.fileId), { ...m, done: true })] : await this.#dropInOps(m);
    if (item?.file) {
      item.file.state = ok ? 'received' : 'failed';
      ops.push(ctx.history.put(item));
    }
    await ctx.store.batch(ops);
    if (keep) m.done = true;
    else this.#in.delete(`${c.key}/${m.fileId}`);
    if (item) ctx.emit('history', { item });
    if (ok) ctx.emit('file', { contact: c.key, fileId: m.fileId, id: m.msgId, name: m.name, mime: m.mime, bytes: out });
    else await this.#failIn(c, m.fileId, 'corrupt', FileCancelReason.corrupt);
  }

  async #failIn(c: Contact, fileId: string, reason: FileFailed['reason'], code: FileCancel['reason']): Promise<void> {
    this.#in.delete(`${c.key}/${fileId}`);
    this.#ctx.emit('file-failed', { contact: c.key, fileId, direction: 'in', reason });
    await this.#ctx.send.sendDurable(c, { type: MessageType.fileCancel, body: { fileId: fromHex(fileId), reason: code } });
  }

  async #failOutgoing(contact: string, fileId: string, msgId: string): Promise<void> {
    const item = await this.#ctx.history.get(contact, msgId);
    if (!item?.file) return;
    item.file.state = 'failed';
    await this.#ctx.store.batch([this.#ctx.history.put(item)]);
    this.#ctx.emit('history', { item });
  }

  /** Incoming transfers of `contact` still running (not complete and waiting for release). */
  async #openIn(contact: string): Promise<number> {
    return (await listRecords<InMeta>(this.#ctx.store, K.filesIn(contact))).filter(([, m]) => !m.done && !m.cancelled).length;
  }

  /** Drops the kept chunks of a received file the app has stored (holdReceivedFiles). */
  release(contact: string, fileId: string): Promise<void> {
    const ctx = this.#ctx;
    return ctx.serial.run(async () => {
      const meta = await getRecord<InMeta>(ctx.store, K.fileIn(contact, fileId));
      if (!meta?.done) return;
      await ctx.store.batch(await this.#dropInOps(meta));
      this.#in.delete(`${contact}/${fileId}`);
    });
  }

  async #dropInOps(m: InMeta): Promise<StoreOp[]> {
    const keys = await this.#ctx.store.list(K.chunks(m.contact, m.fileId));
    return [...keys.map(del), del(K.fileIn(m.contact, m.fileId))];
  }

  async #loadIn(contact: string, fileId: string): Promise<{ meta: InMeta; received: Set<number> } | undefined> {
    const key = `${contact}/${fileId}`;
    const have = this.#in.get(key);
    if (have) return have;
    const meta = await getRecord<InMeta>(this.#ctx.store, K.fileIn(contact, fileId));
    if (!meta) return undefined;
    const prefix = K.chunks(contact, fileId);
    const received = new Set((await this.#ctx.store.list(prefix)).map((k) => Number(k.slice(prefix.length))));
    const t = { meta, received };
    this.#in.set(key, t);
    return t;
  }
}

function reasonName(c: FileCancel): FileFailed['reason'] {
  const n = FileCancelReasonNames[c.reason];
  return n === 'too_large' || n === 'corrupt' ? n : 'cancelled';
}
