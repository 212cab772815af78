/**
 * Progress of outgoing file transfers: chunks first on the wire (`sent`) and delivered, as
 * `file-progress` events, and the offer's history record marked `sent` once every chunk is
 * delivered. The sender reports chunks sent, the receipt handler chunks delivered; files.ts
 * starts and ends transfers.
 */
import { FILE_CHUNK_SIZE } from '@parley/generated';
import type { History } from './history.ts';
import type { OutboxEntry } from './outbox.ts';
import { report, type Emit } from './parts.ts';
import type { Serial } from './serial.ts';
import type { Store } from './storage.ts';

export interface OutProgress {
  total: number;
  size: number;
  delivered: number;
  sent: number;
  /** The user paused the transfer (file-send.ts setPaused). */
  paused?: boolean;
}

export interface FileProgressDeps {
  emit: Emit;
  store: Store;
  serial: Serial;
  history: Pick<History, 'list' | 'put'>;
}

export class OutgoingFileProgress {
  readonly #d: FileProgressDeps;
  readonly #out = new Map<string, OutProgress>();

  constructor(deps: FileProgressDeps) {
    this.#d = deps;
  }

  /** A transfer to `contact` starts (or, at load, goes on with what the outbox still holds). */
  start(contact: string, fileId: string, p: OutProgress): void {
    this.#out.set(`${contact}/${fileId}`, p);
  }

  /** The transfer was cancelled or failed: no more progress. */
  end(contact: string, fileId: string): void {
    this.#out.delete(`${contact}/${fileId}`);
  }

  /**
   * The transfer was paused or resumed: said at once, so the app shows it, and written on the
   * offer's history record, so a view opened later (or after a restart) shows it too.
   */
  async paused(contact: string, fileId: string, paused: boolean): Promise<void> {
    const p = this.#out.get(`${contact}/${fileId}`);
    if (p) {
      p.paused = paused;
      this.#emit(contact, fileId, p);
    }
    const { history, store, emit } = this.#d;
    const item = (await history.list(contact)).find((i) => i.dir === 'out' && i.file?.fileId === fileId);
    if (!item?.file || item.file.state !== 'sending' || !!item.file.paused === paused) return;
    if (paused) item.file.paused = true;
    else delete item.file.paused;
    await store.batch([history.put(item)]);
    emit('history', { item });
  }

  /** A chunk went on the wire for the first time. */
  chunkSent(e: OutboxEntry): void {
    const p = this.#out.get(`${e.contact}/${e.fileId}`);
    if (!p) return;
    p.sent++;
    this.#emit(e.contact, e.fileId!, p);
  }

  /** A chunk of a transfer went on the wire for the first time (file-send.ts). */
  sent(contact: string, fileId: string): void {
    const p = this.#out.get(`${contact}/${fileId}`);
    if (!p) return;
    p.sent++;
    this.#emit(contact, fileId, p);
  }

  /** The receiver has acknowledged `acked` chunks of a transfer (file-send.ts). */
  delivered(contact: string, fileId: string, acked: number): void {
    const key = `${contact}/${fileId}`;
    const p = this.#out.get(key);
    if (!p) return;
    p.delivered = acked;
    this.#emit(contact, fileId, p);
    if (p.delivered >= p.total) {
      this.#out.delete(key);
      void this.#d.serial.run(() => this.#markSent(contact, fileId)).catch((err) => report(this.#d.emit, 'file history', err));
    }
  }

  /** Delivered receipts named these entries. */
  chunksAcked(entries: readonly OutboxEntry[]): void {
    for (const e of entries) {
      if (e.fileId === undefined || e.chunk === undefined) continue;
      const key = `${e.contact}/${e.fileId}`;
      const p = this.#out.get(key);
      if (!p) continue;
      p.delivered++;
      this.#emit(e.contact, e.fileId, p);
      if (p.delivered >= p.total) {
        this.#out.delete(key);
        void this.#d.serial.run(() => this.#markSent(e.contact, e.fileId!)).catch((err) => report(this.#d.emit, 'file history', err));
      }
    }
  }

  #emit(contact: string, fileId: string, p: OutProgress): void {
    const bytes = Math.min(p.size, p.delivered * FILE_CHUNK_SIZE);
    this.#d.emit('file-progress', { contact, fileId, direction: 'out', chunks: p.delivered, sent: p.sent, totalChunks: p.total, bytes, size: p.size, ...(p.paused ? { paused: true } : {}) });
  }

  async #markSent(contact: string, fileId: string): Promise<void> {
    const { history, store, emit } = this.#d;
    const item = (await history.list(contact)).find((i) => i.dir === 'out' && i.file?.fileId === fileId);
    if (!item?.file || item.file.state !== 'sending') return;
    item.file.state = 'sent';
    delete item.file.paused;
    await store.batch([history.put(item)]);
    emit('history', { item });
  }
}
