/**
 * Outgoing file transfers (spec file_offer, file_chunk; FILE_SEND_SAVE_CHUNKS).
 *
 * `sendFile` reads the source once, in chunks: each chunk goes into the digest and into a
 * spooled copy (a blob, synced once at the end), so the transfer survives restarts of this
 * process without the app keeping the original and without the file ever being in memory. The
 * offer then goes through the outbox like any durable message, in one batch with the transfer's
 * record `fo/<file>` (contact, size, the bitmap of chunks the receiver acknowledged).
 *
 * Chunks are not stored in the outbox: each is read from the blob and sealed when the contact's
 * send window has room (the window the outbox leaves free: half the sender's share of the
 * relay mailbox), so memory holds at most a window of chunks. A chunk is resent, sealed again
 * under a new message id, after every reconnect and every RESEND_INTERVAL_MS until a `delivered`
 * receipt names one of its ids; the receiver stores each index once, whatever the id. Acknowledged
 * chunks are recorded every FILE_SEND_SAVE_CHUNKS receipts and at the end: after a crash at most
 * those are sent again. Several transfers to one contact take turns, chunk by chunk.
 */
import { FILE_CHUNK_SIZE, FILE_SEND_SAVE_CHUNKS, MessageType, RESEND_INTERVAL_MS, REPLAY_WINDOW_MS, type EnvelopeBody } from '@parley/generated';
import { fromHex } from '../crypto/index.ts';
import type { BlobStore } from './blobs.ts';
import type { Outgoing } from './connection.ts';
import type { Clock, ContactLookup, Emit } from './parts.ts';
import { report } from './parts.ts';
import { K, del, listRecords, putRecord } from './records.ts';
import type { Store, StoreOp } from './storage.ts';
import type { Contact } from './types.ts';

/** The record of an outgoing transfer. */
export interface OutRecord {
  contact: string;
  fileId: string;
  /** The offer's message id. */
  msgId: string;
  size: number;
  chunkCount: number;
  /** Bit i set: the receiver acknowledged chunk i. */
  acked: Uint8Array;
  createdAt: number;
  /** Paused by the user: no new chunk is sealed until resumed (kept across restarts). */
  paused?: boolean;
}

interface Slot {
  epoch: number;
  /** Message ids this chunk was sealed under (one per send): a receipt may name any of them. */
  ids: string[];
  lastSentAt?: number;
  sentOnce?: boolean;
  /** Order of the last sealing among all chunks (see `acked`: what was sent before an acknowledged chunk). */
  order?: number;
}

interface OutT {
  rec: OutRecord;
  ackedCount: number;
  /** Lowest index that may still be unsent and unacknowledged. */
  next: number;
  inflight: Map<number, Slot>;
  unsaved: number;
}

export interface OutgoingFilesDeps {
  clock: Clock;
  emit: Emit;
  store: Store;
  blobs: BlobStore;
  contacts: Pick<ContactLookup, 'get'>;
  /** Seals one message for `c` (no outbox entry): its frame and message id. */
  seal(c: Contact, body: EnvelopeBody): Promise<{ frame: Uint8Array; msgId: string }>;
  /** Chunk `index` of a transfer went on the wire for the first time; chunks acknowledged now `acked`. */
  progress: { sent(contact: string, fileId: string): void; delivered(contact: string, fileId: string, acked: number): void };
}

/** A source of file bytes read in pieces (a file on disk, a browser File, an array). */
export interface FileSource {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export const outBlob = (fileId: string) => `out-${fileId}`;

const has = (bits: Uint8Array, i: number) => (bits[i >> 3]! & (1 << (i & 7))) !== 0;
const set = (bits: Uint8Array, i: number) => void (bits[i >> 3]! |= 1 << (i & 7));
export const bitmap = (n: number) => new Uint8Array(Math.ceil(n / 8));
export const countBits = (bits: Uint8Array, n: number) => {
  let c = 0;
  for (let i = 0; i < n; i++) if (has(bits, i)) c++;
  return c;
};
export { has as hasBit, set as setBit };

const chunkLength = (size: number, index: number) => Math.min(FILE_CHUNK_SIZE, size - index * FILE_CHUNK_SIZE);

export class OutgoingFiles {
  readonly #d: OutgoingFilesDeps;
  readonly #t = new Map<string, OutT>();
  /** Chunk ids waiting for a receipt, with the order of that sealing. */
  readonly #byMsg = new Map<string, { fileId: string; index: number; order: number }>();
  /** Frame size of a sealed chunk (all are padded to the largest bucket); learned at the first seal. */
  #frameSize = FILE_CHUNK_SIZE;
  #order = 0;
  /** Per contact, which transfer goes next (round robin). */
  readonly #turn = new Map<string, number>();

  constructor(deps: OutgoingFilesDeps) {
    this.#d = deps;
  }

  /** Reads `src` once into a synced blob, returning its digest (the caller writes the offer). */
  async spool(fileId: string, src: FileSource, hasher: { update(b: Uint8Array): void; digest(): Uint8Array }): Promise<Uint8Array> {
    const blob = outBlob(fileId);
    try {
      for (let at = 0; at < src.size; at += FILE_CHUNK_SIZE) {
        const want = Math.min(FILE_CHUNK_SIZE, src.size - at);
        const data = await src.read(at, want);
        if (data.length !== want) throw new RangeError(`the file changed while it was read: ${data.length} bytes at ${at}, expected ${want}`);
        hasher.update(data);
        await this.#d.blobs.write(blob, at, data);
      }
      await this.#d.blobs.sync(blob);
    } catch (err) {
      await this.#d.blobs.delete(blob).catch(() => undefined);
      throw err;
    }
    return hasher.digest();
  }

  /** The record of a new transfer (written with its offer). */
  recordOp(rec: OutRecord): StoreOp {
    return putRecord(K.fileOut(rec.fileId), rec);
  }

  /** A transfer whose offer and record landed: its chunks may go. */
  add(rec: OutRecord): void {
    const ackedCount = countBits(rec.acked, rec.chunkCount);
    let next = 0;
    while (next < rec.chunkCount && has(rec.acked, next)) next++;
    this.#t.set(rec.fileId, { rec, ackedCount, next, inflight: new Map(), unsaved: 0 });
  }

  /** Transfers left by the last run; records of removed contacts and blobs of no transfer go. */
  async load(): Promise<OutRecord[]> {
    const d = this.#d;
    const live = new Set<string>();
    for (const [key, rec] of await listRecords<OutRecord>(d.store, K.filesOut)) {
      if (!d.contacts.get(rec.contact)) {
        await d.store.delete(key);
        continue;
      }
      live.add(outBlob(rec.fileId));
      this.add(rec);
    }
    for (const name of await d.blobs.list('out-')) if (!live.has(name)) await d.blobs.delete(name);
    return [...this.#t.values()].map((t) => t.rec);
  }

  /** Chunks of every transfer not acknowledged yet (they count against OUTBOX_MAX_MESSAGES). */
  unacked(): number {
    let n = 0;
    for (const t of this.#t.values()) n += t.rec.chunkCount - t.ackedCount;
    return n;
  }

  /** True while any transfer is in progress. */
  hasAny(): boolean {
    return this.#t.size > 0;
  }

  /** True if `msgId` is a chunk of ours waiting for its receipt. */
  owns(msgId: string): boolean {
    return this.#byMsg.has(msgId);
  }

  get(fileId: string): OutRecord | undefined {
    return this.#t.get(fileId)?.rec;
  }

  /** Every transfer to `contact`. */
  ofContact(contact: string): OutRecord[] {
    return [...this.#t.values()].filter((t) => t.rec.contact === contact).map((t) => t.rec);
  }

  /** Operations that remove a transfer; call `forget` once they landed (it removes the blob). */
  dropOps(fileId: string): StoreOp[] {
    return [del(K.fileOut(fileId))];
  }

  async forget(fileId: string): Promise<void> {
    const t = this.#t.get(fileId);
    this.#t.delete(fileId);
    if (t) for (const [id, v] of this.#byMsg) if (v.fileId === fileId) this.#byMsg.delete(id);
    await this.#d.blobs.delete(outBlob(fileId));
  }

  /**
   * Pauses or resumes a transfer: a paused one seals no new chunk (those in flight may still be
   * resent and acknowledged); resuming goes on from the chunks acknowledged. The flag is written
   * to the transfer's record, so a restart keeps it paused. The caller pumps the sender after a resume.
   */
  async setPaused(fileId: string, paused: boolean): Promise<OutRecord | undefined> {
    const t = this.#t.get(fileId);
    if (!t) return undefined;
    if (paused) t.rec.paused = true;
    else delete t.rec.paused;
    await this.#d.store.batch([this.recordOp(t.rec)]);
    return t.rec;
  }

  /** Transfers started longer than the replay window ago: their chunks would be refused (STALE). */
  expired(now: number): OutRecord[] {
    return [...this.#t.values()].filter((t) => t.rec.createdAt < now - REPLAY_WINDOW_MS).map((t) => t.rec);
  }

  /**
   * Delivered receipt ids of `contact`: the chunks they name are acknowledged. Records progress
   * every FILE_SEND_SAVE_CHUNKS, and at the end removes the transfer. True if any id was a chunk.
   */
  async acked(contact: string, ids: readonly string[]): Promise<boolean> {
    const touched = new Set<OutT>();
    let last = -1;
    for (const id of ids) {
      const hit = this.#byMsg.get(id);
      if (!hit) continue;
      this.#byMsg.delete(id);
      const t = this.#t.get(hit.fileId);
      if (!t || t.rec.contact !== contact) continue;
      const slot = t.inflight.get(hit.index);
      if (hit.order > last) last = hit.order;
      for (const other of slot?.ids ?? []) this.#byMsg.delete(other);
      t.inflight.delete(hit.index);
      if (has(t.rec.acked, hit.index)) continue;
      set(t.rec.acked, hit.index);
      t.ackedCount++;
      t.unsaved++;
      touched.add(t);
    }
    // The receiver acknowledges in the order it received (groups are made durable in order), so
    // a chunk sealed before an acknowledged one and still unacknowledged was lost (a receiver that
    // restarted, a connection that died on its side): it goes again now, not after RESEND_INTERVAL_MS.
    const now = this.#d.clock.now();
    for (const t of this.#t.values()) {
      if (t.rec.contact !== contact) continue;
      for (const s of t.inflight.values()) if (s.order !== undefined && s.order < last && s.lastSentAt !== undefined) s.lastSentAt = now - RESEND_INTERVAL_MS;
    }
    for (const t of touched) {
      const { fileId } = t.rec;
      this.#d.progress.delivered(contact, fileId, t.ackedCount);
      if (t.ackedCount === t.rec.chunkCount) {
        await this.#d.store.batch(this.dropOps(fileId));
        await this.forget(fileId);
      } else if (t.unsaved >= FILE_SEND_SAVE_CHUNKS) {
        // not awaited: the receipts behind this one need not wait for it (records only grow)
        t.unsaved = 0;
        void this.#d.store.batch([this.recordOp(t.rec)]).catch((err) => report(this.#d.emit, 'file progress record', err));
      }
    }
    return touched.size > 0;
  }

  /**
   * Chunks of `contact`'s transfers to put on the wire now, within `room` (what the outbox left
   * of the window): those in flight that were queued in an earlier session or sent more than
   * RESEND_INTERVAL_MS ago, then new ones, taking turns between transfers.
   */
  due(c: Contact, room: { frames: number; bytes: number }, epoch: number, send: (o: Outgoing) => void): void {
    const transfers = [...this.#t.values()].filter((t) => t.rec.contact === c.key);
    if (transfers.length === 0) return;
    const now = this.#d.clock.now();
    const picks: [OutT, number][] = [];
    let frames = room.frames;
    let bytes = room.bytes;
    const fits = () => frames > 0 && bytes >= this.#frameSize;
    const take = (t: OutT, index: number) => {
      frames--;
      bytes -= this.#frameSize;
      picks.push([t, index]);
    };
    for (const t of transfers) {
      for (const [index, s] of t.inflight) {
        const resend = s.epoch !== epoch || (s.lastSentAt !== undefined && now - s.lastSentAt >= RESEND_INTERVAL_MS);
        if (fits()) {
          frames--;
          bytes -= this.#frameSize;
          if (resend) picks.push([t, index]);
        } else if (resend) {
          s.epoch = -1; // over the window (it shrank): goes once there is room
        }
      }
    }
    // new chunks, one transfer after another
    const start = (this.#turn.get(c.key) ?? 0) % transfers.length;
    let idle = 0;
    for (let k = start; fits() && idle < transfers.length; k = (k + 1) % transfers.length) {
      const t = transfers[k]!;
      if (t.rec.paused) {
        idle++;
        continue;
      }
      while (t.next < t.rec.chunkCount && (has(t.rec.acked, t.next) || t.inflight.has(t.next))) t.next++;
      if (t.next >= t.rec.chunkCount) {
        idle++;
        continue;
      }
      idle = 0;
      take(t, t.next);
      t.inflight.set(t.next, { epoch, ids: [] });
      t.next++;
      this.#turn.set(c.key, k + 1);
    }
    for (const [t, index] of picks) this.#queue(c, t, index, epoch, send);
  }

  #queue(c: Contact, t: OutT, index: number, epoch: number, send: (o: Outgoing) => void): void {
    const d = this.#d;
    const { fileId, size } = t.rec;
    const slot = t.inflight.get(index) ?? { epoch, ids: [] };
    slot.epoch = epoch;
    slot.lastSentAt = undefined;
    t.inflight.set(index, slot);
    const id = fromHex(c.id);
    // read now, so the reads of a window overlap (each waits for the disk or the thread pool)
    // while the send loop seals the chunks before it
    const reading = d.blobs.read(outBlob(fileId), index * FILE_CHUNK_SIZE, chunkLength(size, index));
    reading.catch(() => undefined); // a transfer dropped meanwhile: its chunk is not built
    send({
      size: this.#frameSize,
      bulk: true,
      build: async (s) => {
        if (this.#t.get(fileId) !== t || has(t.rec.acked, index)) return undefined;
        const data = await reading;
        const sealed = await d.seal(c, { type: MessageType.fileChunk, body: { fileId: fromHex(fileId), index, data } });
        this.#frameSize = sealed.frame.length;
        slot.order = ++this.#order;
        this.#byMsg.set(sealed.msgId, { fileId, index, order: slot.order });
        slot.ids.push(sealed.msgId);
        return s.route(sealed.frame, id);
      },
      sent: () => {
        slot.lastSentAt = d.clock.now();
        if (!slot.sentOnce) {
          slot.sentOnce = true;
          try {
            d.progress.sent(c.key, fileId);
          } catch (err) {
            report(d.emit, 'file progress', err);
          }
        }
      },
    });
  }
}

export const chunkSize = chunkLength;
