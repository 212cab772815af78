/**
 * The outbox (spec/DESIGN.md "Mailbox and outbox"; spec OUTBOX_MAX_MESSAGES,
 * RESEND_INTERVAL_MS): every durable outgoing message stays in the store, as its sealed frame,
 * until the peer's `delivered` receipt names it. Frames are stored with a zero route, so a
 * resend is byte-identical except for the route the session masks at send time; a receiver
 * recognises a resend by its message id (a duplicate is acknowledged again, not shown again).
 *
 * Sending is windowed per contact: only the oldest entries that fit in the window (frames and
 * bytes, a share of the relay's per-sender mailbox share) are on the wire at once; each is resent
 * after every reconnect and every RESEND_INTERVAL_MS until acknowledged. The window keeps a large
 * transfer to an offline contact from overflowing its mailbox over and over.
 *
 * Resealing (spec/DESIGN.md "v2 sessions", the outbox across session changes): a frame is
 * bound to the session that sealed it, so each entry records that session (`sealedUnder`, the
 * session's seal tag) and keeps its envelope; when the contact's session changes (upgrade, reset,
 * or B's first sending chain) the sender seals the envelope again under the new session before
 * the entry goes out again. The message id stays, so a receiver that got the old frame too takes
 * the new one as a duplicate (acknowledged, not shown).
 *
 * Layout: `o/<seq>` the entry (JSON), `of/<seq>` the frame (raw), `oe/<seq>` the envelope
 * (unpadded codec bytes; not for session control or first contact, which are never resealed).
 */
import {
  MAILBOX_MAX_BYTES,
  MAILBOX_MAX_FRAMES,
  MAILBOX_SENDER_SHARE_DIVISOR,
  MessageType,
  OUTBOX_MAX_MESSAGES,
  RESEND_INTERVAL_MS,
} from '@parley/generated';
import { EngineError } from './errors.ts';
import { K, del, listRecords, putRecord } from './records.ts';
import type { Store, StoreOp } from './storage.ts';

/** Frames of one contact on the wire at once: half its fair share of a relay mailbox. */
export const WINDOW_FRAMES = Math.floor(MAILBOX_MAX_FRAMES / MAILBOX_SENDER_SHARE_DIVISOR / 2);
/** Bytes of one contact on the wire at once: half its fair share of a relay mailbox. */
export const WINDOW_BYTES = Math.floor(MAILBOX_MAX_BYTES / MAILBOX_SENDER_SHARE_DIVISOR / 2);

export interface OutboxEntry {
  readonly seq: number;
  /** Contact key (hex X25519 key). */
  readonly contact: string;
  /** Message id, hex. */
  readonly msgId: string;
  /** message_type code of the envelope. */
  readonly type: number;
  /** peer, or first_contact (a contact request: resent until contact_accept arrives). */
  readonly kind: 'peer' | 'first_contact';
  /** Frame bytes. */
  readonly size: number;
  readonly createdAt: number;
  /** first_contact: the invite's expiry (ms); the entry is dropped after it. */
  readonly expiresAt?: number;
  /** File transfers: the file id (hex) and chunk index, for progress. */
  readonly fileId?: string;
  readonly chunk?: number;
  /**
   * The seal tag of the session that sealed the frame (PeerSessions.sealTag); set only on entries
   * whose envelope is kept (`oe/<seq>`), the ones that can be resealed.
   */
  readonly sealedUnder?: string;
}

interface Live extends OutboxEntry {
  /** Connection epoch in which the frame was queued or sent; undefined: not yet. */
  epoch?: number;
  lastSentAt?: number;
  sentOnce?: boolean;
}

export type NewEntry = Omit<OutboxEntry, 'seq' | 'size' | 'createdAt'>;

export class Outbox {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #entries = new Map<number, Live>();
  readonly #byMsg = new Map<string, number>();
  #nextSeq = 1;
  #reserved = 0;
  /**
   * Frames put on the wire again by this engine (an entry it sent before; the first send of one
   * found in the store at start is not counted). Counted so a soak can report what reconnects,
   * relay restarts and lost mailboxes cost in resends.
   */
  #resends = 0;

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  async load(): Promise<void> {
    for (const [, e] of await listRecords<OutboxEntry>(this.#store, K.outMetas)) {
      this.#entries.set(e.seq, { ...e });
      this.#byMsg.set(`${e.contact}/${e.msgId}`, e.seq);
      if (e.seq >= this.#nextSeq) this.#nextSeq = e.seq + 1;
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Frames resent so far (see #resends). */
  get resends(): number {
    return this.#resends;
  }

  /** Reserves room for `n` entries (OUTBOX_FULL if there is none); call `release` after adding. */
  reserve(n: number): { release(): void } {
    if (this.#entries.size + this.#reserved + n > OUTBOX_MAX_MESSAGES) {
      throw new EngineError('OUTBOX_FULL', `the outbox holds ${this.#entries.size} of ${OUTBOX_MAX_MESSAGES} messages; ${n} more do not fit`);
    }
    this.#reserved += n;
    let done = false;
    return {
      release: () => {
        if (!done) this.#reserved -= n;
        done = true;
      },
    };
  }

  /**
   * Builds an entry and the store operations that add it; `commit` it once they are written.
   * `envelope` (unpadded codec bytes) makes the entry resealable (`e.sealedUnder` must be set).
   */
  prepare(e: NewEntry, frame: Uint8Array, envelope?: Uint8Array): { entry: OutboxEntry; ops: StoreOp[] } {
    const entry: OutboxEntry = { ...e, seq: this.#nextSeq++, size: frame.length, createdAt: this.#now() };
    const ops: StoreOp[] = [putRecord(K.outMeta(entry.seq), entry), { op: 'put', key: K.outFrame(entry.seq), value: frame }];
    if (envelope) ops.push({ op: 'put', key: K.outEnvelope(entry.seq), value: envelope });
    return { entry, ops };
  }

  /** The kept envelope of a resealable entry (unpadded codec bytes). */
  envelope(seq: number): Promise<Uint8Array | undefined> {
    return this.#store.get(K.outEnvelope(seq));
  }

  /**
   * An entry sealed again under the session `tag` names: the new frame replaces the old one under
   * the same seq and message id. Write `ops` (with the session's new state), then `resealed`.
   */
  resealOps(e: OutboxEntry, frame: Uint8Array, tag: string): { entry: OutboxEntry; ops: StoreOp[] } {
    const entry: OutboxEntry = { ...e, size: frame.length, sealedUnder: tag };
    return { entry, ops: [putRecord(K.outMeta(entry.seq), entry), { op: 'put', key: K.outFrame(entry.seq), value: frame }] };
  }

  /** The resealed entry is current and due at once; false if it was acknowledged meanwhile. */
  resealed(entry: OutboxEntry): boolean {
    const cur = this.#entries.get(entry.seq);
    if (!cur) return false;
    this.#entries.set(entry.seq, { ...entry, sentOnce: cur.sentOnce });
    return true;
  }

  /**
   * Makes due at once the entries of `contact` that `stale` picks (sealed under a session that is
   * no longer the contact's): the sender reseals them when they come up.
   */
  requeue(contact: string, stale: (e: OutboxEntry) => boolean): void {
    for (const e of this.#entries.values()) {
      if (e.contact !== contact || !stale(e)) continue;
      e.epoch = undefined;
      e.lastSentAt = undefined;
    }
  }

  commit(entry: OutboxEntry): void {
    this.#entries.set(entry.seq, { ...entry });
    this.#byMsg.set(`${entry.contact}/${entry.msgId}`, entry.seq);
  }

  has(contact: string, msgId: string): boolean {
    return this.#byMsg.has(`${contact}/${msgId}`);
  }

  get(seq: number): OutboxEntry | undefined {
    return this.#entries.get(seq);
  }

  frame(seq: number): Promise<Uint8Array | undefined> {
    return this.#store.get(K.outFrame(seq));
  }

  /**
   * The entries a delivered receipt names, and the operations that delete them; call `forget`
   * once the operations landed. Unknown ids (already acknowledged, or never ours) are ignored.
   */
  ackOps(contact: string, msgIds: readonly string[]): { entries: OutboxEntry[]; ops: StoreOp[] } {
    const entries: OutboxEntry[] = [];
    for (const id of msgIds) {
      const seq = this.#byMsg.get(`${contact}/${id}`);
      const e = seq === undefined ? undefined : this.#entries.get(seq);
      if (e && e.kind === 'peer') entries.push(e);
    }
    return { entries, ops: this.removeOps(entries) };
  }

  /**
   * Makes due now the entries of `types` that were sent to `contact` before the last of `acked`
   * and are still unacknowledged: a later one got through first, so these were probably lost,
   * and the receiver holds the later ones until they arrive (spec structs.order_extension).
   */
  expedite(contact: string, acked: readonly OutboxEntry[], types: ReadonlySet<number>): void {
    let last = -1;
    for (const a of acked) if (types.has(a.type) && a.seq > last) last = a.seq;
    if (last < 0) return;
    const now = this.#now();
    for (const e of this.#entries.values()) {
      if (e.seq >= last) break; // entries are kept in outbox order
      if (e.contact === contact && types.has(e.type) && e.lastSentAt !== undefined) e.lastSentAt = now - RESEND_INTERVAL_MS;
    }
  }

  removeOps(entries: readonly OutboxEntry[]): StoreOp[] {
    return entries.flatMap((e) => [del(K.outMeta(e.seq)), del(K.outFrame(e.seq)), ...(e.sealedUnder !== undefined ? [del(K.outEnvelope(e.seq))] : [])]);
  }

  /** Drops entries from memory (their store operations landed). */
  forget(entries: readonly OutboxEntry[]): void {
    for (const e of entries) {
      this.#entries.delete(e.seq);
      this.#byMsg.delete(`${e.contact}/${e.msgId}`);
    }
  }

  /** Removes entries (and their frames) from the store, then from memory. */
  async remove(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#store.batch(this.removeOps(entries));
    this.forget(entries);
  }

  /** Every entry of a contact, in send order. */
  ofContact(contact: string, kind?: OutboxEntry['kind']): OutboxEntry[] {
    return [...this.#entries.values()].filter((e) => e.contact === contact && (kind === undefined || e.kind === kind));
  }

  /** Entries created before `t` (ms). */
  olderThan(t: number): OutboxEntry[] {
    return [...this.#entries.values()].filter((e) => e.createdAt < t);
  }

  /** Entries whose first-contact invite has expired. */
  expired(now: number): OutboxEntry[] {
    return [...this.#entries.values()].filter((e) => e.expiresAt !== undefined && e.expiresAt <= now);
  }

  /**
   * The entries to put on the wire now, in send order: per contact, those inside the window that
   * were not yet sent in this connection `epoch`, or were sent more than RESEND_INTERVAL_MS ago
   * (session control whatever the window).
   * `sendable(contact, kind)` says whether a contact's entries of that kind may go now. `used`
   * gets each contact's share of the window in use (file chunks take what is left).
   */
  due(
    epoch: number,
    sendable: (contact: string, kind: OutboxEntry['kind']) => boolean,
    used = new Map<string, { frames: number; bytes: number }>(),
  ): OutboxEntry[] {
    const now = this.#now();
    const out: OutboxEntry[] = [];
    for (const e of this.#entries.values()) {
      if (!sendable(e.contact, e.kind)) continue;
      const u = used.get(e.contact) ?? { frames: 0, bytes: 0 };
      used.set(e.contact, u);
      // Session control is outside the window: at most an offer and an answer per contact, and a
      // window full of frames the contact refuses until it has the new session must not hold it.
      if (e.type !== MessageType.session) {
        if (u.frames >= WINDOW_FRAMES || (u.frames > 0 && u.bytes + e.size > WINDOW_BYTES)) continue;
        u.frames++;
        u.bytes += e.size;
      }
      const fresh = e.epoch !== epoch;
      const stale = e.lastSentAt !== undefined && now - e.lastSentAt >= RESEND_INTERVAL_MS;
      if (fresh || stale) out.push(e);
    }
    return out;
  }

  /** Marks an entry as queued on the wire in `epoch` (so `due` does not return it twice). */
  queued(seq: number, epoch: number): void {
    const e = this.#entries.get(seq);
    if (e) {
      e.epoch = epoch;
      e.lastSentAt = undefined;
    }
  }

  /** Marks an entry as sent now; true the first time it is ever sent by this process. */
  sent(seq: number): boolean {
    const e = this.#entries.get(seq);
    if (!e) return false;
    e.lastSentAt = this.#now();
    const first = !e.sentOnce;
    e.sentOnce = true;
    if (!first) this.#resends++;
    return first;
  }
}
