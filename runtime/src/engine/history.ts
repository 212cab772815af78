/**
 * Conversation history: one record per text or file message, in and out, under
 * `h/<contact>/<msgId>`. The engine keeps it so that edits and deletes can be checked against
 * who sent the target (spec: they apply only to the same sender's messages), so receipts can
 * move an outgoing message's status, and so every consumer (web, CLI) can show a conversation
 * after a restart. Apps may keep their own views; this is the durable source.
 */
import { K, getRecord, listRecords, putRecord } from './records.ts';
import type { Store, StoreOp } from './storage.ts';

export type OutStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

/**
 * Why a transfer ended without the file: corrupt (digest mismatch), cancelled, too_large,
 * invalid (chunks that do not fit the offer), or expired (the offer left the replay window).
 */
export type FileEndReason = 'corrupt' | 'cancelled' | 'too_large' | 'invalid' | 'expired';

export interface HistoryFile {
  fileId: string;
  name: string;
  mime: string;
  size: number;
  state: 'sending' | 'sent' | 'receiving' | 'received' | 'failed';
  /** Sending, paused by the user (Engine.pauseFile); kept here so a view opened later shows it. */
  paused?: boolean;
  /** Failed: why (the `file-failed` event's reason), kept so a view opened later shows it. */
  reason?: FileEndReason;
}

export interface HistoryItem {
  /** Message id, hex. */
  id: string;
  /** Contact key. */
  contact: string;
  /** Order within the conversation (local, increasing). */
  seq: number;
  dir: 'in' | 'out';
  /** `pending`: an edit or delete arrived before its target; the target fills it in. */
  kind: 'text' | 'file' | 'pending';
  text?: string;
  /** Hex id of the message this replies to. */
  replyTo?: string;
  sentAt: number;
  receivedAt?: number;
  /** Outgoing messages: how far they got. */
  status?: OutStatus;
  /** Incoming messages: marked read by the user. */
  read?: boolean;
  editedAt?: number;
  deleted?: boolean;
  file?: HistoryFile;
}

export class History {
  readonly #store: Store;
  readonly #now: () => number;
  #lastSeq = 0;

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  /** A local order key: increasing within this process and across restarts (clock-based). */
  nextSeq(): number {
    this.#lastSeq = Math.max(this.#lastSeq + 1, this.#now() * 1000);
    return this.#lastSeq;
  }

  get(contact: string, id: string): Promise<HistoryItem | undefined> {
    return getRecord<HistoryItem>(this.#store, K.history(contact, id));
  }

  put(item: HistoryItem): StoreOp {
    return putRecord(K.history(item.contact, item.id), item);
  }

  /** A conversation, oldest first; `limit` keeps the newest. */
  async list(contact: string, limit?: number): Promise<HistoryItem[]> {
    const items = (await listRecords<HistoryItem>(this.#store, K.histories(contact))).map(([, v]) => v);
    items.sort((a, b) => a.seq - b.seq);
    return limit === undefined ? items : items.slice(Math.max(0, items.length - limit));
  }

  /** Store operations that apply a receipt to outgoing messages; returns the ids it changed. */
  async receiptOps(contact: string, ids: readonly string[], status: 'delivered' | 'read'): Promise<{ ops: StoreOp[]; changed: string[] }> {
    const ops: StoreOp[] = [];
    const changed: string[] = [];
    for (const id of ids) {
      const item = await this.get(contact, id);
      if (!item || item.dir !== 'out' || item.status === 'read' || item.status === status) continue;
      item.status = status;
      ops.push(this.put(item));
      changed.push(id);
    }
    return { ops, changed };
  }

  async removeOps(contact: string): Promise<StoreOp[]> {
    return (await this.#store.list(K.histories(contact))).map((key) => ({ op: 'delete' as const, key }));
  }
}
