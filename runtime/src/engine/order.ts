/**
 * Per-sender order of the ordered message types (spec structs.order_extension, constants
 * ORDER_*): the state behind it, on both sides.
 *
 * Sending: one random epoch per store (`engine/order-epoch`) and a counter per contact
 * (`oo/<contact>`, written in the same batch as the message). A counter written out of order by
 * two concurrent sends, or lost with a store, never blocks a receiver: a number at or below what
 * it expects is acted on at once.
 *
 * Receiving: per contact the epoch and the next expected number (`oi/<contact>`), and the
 * messages held while an earlier one is missing (`oh/<contact>/<seq>`: the decrypted envelope,
 * written in the same batch as its replay-window entry, so it is acknowledged and survives a
 * restart). What to do with each message is decided here; the Receiver does the acting.
 */
import {
  CodecError,
  ExtensionTag,
  MessageType,
  ORDER_EPOCH_SIZE,
  ORDER_GAP_TIMEOUT_MS,
  ORDER_HOLD_MAX,
  decodeOrderExtension,
  encodeOrderExtension,
  type Envelope,
  type Extension,
} from '@parley/generated';
import { toHex } from '../crypto/index.ts';
import { OpenError } from '../protocol/errors.ts';
import { K, del, getRecord, putRecord } from './records.ts';
import type { Store, StoreOp } from './storage.ts';

/** The message types that carry an order extension (spec structs.order_extension). */
export const ORDERED_TYPES: ReadonlySet<number> = new Set([MessageType.text, MessageType.edit, MessageType.delete, MessageType.fileOffer]);

export interface OrderMark {
  epoch: string;
  seq: number;
}

/**
 * The order extension of a received envelope of an ordered type; undefined when it carries none,
 * and for other types (ignored there, so a later version may order more types); BAD_MESSAGE if it
 * is repeated or malformed.
 */
export function readOrder(env: Envelope): OrderMark | undefined {
  if (!ORDERED_TYPES.has(env.type)) return undefined;
  const ext = env.extensions.filter((e) => e.tag === ExtensionTag.order);
  if (ext.length === 0) return undefined;
  if (ext.length > 1) throw new OpenError('BAD_MESSAGE', 'more than one order extension');
  try {
    const o = decodeOrderExtension(ext[0]!.value);
    return { epoch: toHex(o.epoch), seq: o.seq };
  } catch (err) {
    if (err instanceof CodecError) throw new OpenError('BAD_MESSAGE', `a malformed order extension: ${err.message}`);
    throw err;
  }
}

/** The sending side: numbers ordered messages per contact. */
export class OrderOut {
  readonly #store: Store;
  readonly #random: (n: number) => Uint8Array;
  #epoch: Uint8Array | undefined;
  readonly #last = new Map<string, number>();

  constructor(store: Store, random: (n: number) => Uint8Array) {
    this.#store = store;
    this.#random = random;
  }

  async load(): Promise<void> {
    const have = await getRecord<{ epoch: Uint8Array }>(this.#store, K.orderEpoch);
    if (have && have.epoch.length === ORDER_EPOCH_SIZE) this.#epoch = have.epoch;
    else {
      this.#epoch = this.#random(ORDER_EPOCH_SIZE);
      await this.#store.batch([putRecord(K.orderEpoch, { epoch: this.#epoch })]);
    }
  }

  /** The next number for `contact`: its extension and the store operation that keeps the counter. */
  async next(contact: string): Promise<{ extension: Extension; ops: StoreOp[] }> {
    let last = this.#last.get(contact);
    if (last === undefined) last = (await getRecord<number>(this.#store, K.orderOut(contact))) ?? 0;
    const seq = Math.max(last, this.#last.get(contact) ?? 0) + 1; // another send may have counted meanwhile
    this.#last.set(contact, seq);
    const value = encodeOrderExtension({ epoch: this.#epoch!, seq });
    return { extension: { tag: ExtensionTag.order, value }, ops: [putRecord(K.orderOut(contact), seq)] };
  }

  removeOps(contact: string): StoreOp[] {
    this.#last.delete(contact);
    return [del(K.orderOut(contact))];
  }
}

interface InState {
  epoch: string;
  next: number;
  /** Held numbers → when they were held (ms, this process's clock). */
  held: Map<number, number>;
}

/** What the receiver does with an ordered message. */
export type Admission =
  /** Act now; `advance` says whether it is the expected one (then held successors may follow). */
  | { kind: 'act'; advance: boolean }
  /** Store it as held and acknowledge it. */
  | { kind: 'hold' };

/** The receiving side: expected numbers and held messages per contact. */
export class OrderIn {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #state = new Map<string, InState>();

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  async #get(contact: string): Promise<InState | undefined> {
    const have = this.#state.get(contact);
    if (have) return have;
    const rec = await getRecord<{ epoch: string; next: number }>(this.#store, K.orderIn(contact));
    if (!rec) return undefined;
    const held = new Map<number, number>();
    const prefix = K.orderHelds(contact);
    for (const key of await this.#store.list(prefix)) held.set(Number(key.slice(prefix.length)), this.#now());
    const s = { epoch: rec.epoch, next: rec.next, held };
    this.#state.set(contact, s);
    return s;
  }

  /** Held numbers of a sequence that `mark` replaces (another epoch), to act on first, in order. */
  async superseded(contact: string, mark: OrderMark): Promise<number[]> {
    const s = await this.#get(contact);
    return s && s.epoch !== mark.epoch ? [...s.held.keys()].sort((a, b) => a - b) : [];
  }

  /** Decides, for a message that passed the replay window. Call `superseded` first. */
  async admit(contact: string, mark: OrderMark): Promise<Admission> {
    let s = await this.#get(contact);
    if (!s || s.epoch !== mark.epoch) {
      s = { epoch: mark.epoch, next: 1, held: new Map() };
      this.#state.set(contact, s);
    }
    if (mark.seq < s.next) return { kind: 'act', advance: false };
    if (mark.seq === s.next) return { kind: 'act', advance: true };
    if (s.held.size < ORDER_HOLD_MAX && !s.held.has(mark.seq)) return { kind: 'hold' };
    // At the cap: the gap is given up on; what is held goes first (the caller releases it).
    return { kind: 'act', advance: true };
  }

  /** Store operations that hold a message (its decrypted envelope). */
  holdOps(contact: string, mark: OrderMark, plaintext: Uint8Array): StoreOp[] {
    const s = this.#state.get(contact)!;
    return [{ op: 'put', key: K.orderHeld(contact, mark.seq), value: plaintext.slice() }, putRecord(K.orderIn(contact), { epoch: s.epoch, next: s.next })];
  }

  /** After the hold landed. */
  held(contact: string, mark: OrderMark): void {
    this.#state.get(contact)!.held.set(mark.seq, this.#now());
  }

  /**
   * Store operations for acting on `mark` now (its number becomes the last one acted on when it
   * is the expected one, or when a gap is given up on) and the state they lead to.
   */
  actOps(contact: string, mark: OrderMark, advance: boolean): StoreOp[] {
    const s = this.#state.get(contact)!;
    const ops: StoreOp[] = [];
    if (s.held.has(mark.seq)) ops.push(del(K.orderHeld(contact, mark.seq)));
    const next = advance ? Math.max(s.next, mark.seq + 1) : s.next;
    ops.push(putRecord(K.orderIn(contact), { epoch: s.epoch, next }));
    return ops;
  }

  /** After acting on `mark` landed. */
  acted(contact: string, mark: OrderMark, advance: boolean): void {
    const s = this.#state.get(contact)!;
    s.held.delete(mark.seq);
    if (advance) s.next = Math.max(s.next, mark.seq + 1);
  }

  /** The held number that may be acted on now (the expected one), if any. */
  ready(contact: string): number | undefined {
    const s = this.#state.get(contact);
    return s && s.held.has(s.next) ? s.next : undefined;
  }

  /** Every held number of `contact` below `seq`, in order (released before a given-up gap). */
  heldBelow(contact: string, seq: number): number[] {
    const s = this.#state.get(contact);
    return s ? [...s.held.keys()].filter((n) => n < seq).sort((a, b) => a - b) : [];
  }

  /** Contacts whose oldest held message has waited ORDER_GAP_TIMEOUT_MS: their held numbers, in order. */
  expired(): { contact: string; seqs: number[] }[] {
    const now = this.#now();
    const out: { contact: string; seqs: number[] }[] = [];
    for (const [contact, s] of this.#state) {
      if (s.held.size === 0) continue;
      if (now - Math.min(...s.held.values()) >= ORDER_GAP_TIMEOUT_MS) out.push({ contact, seqs: [...s.held.keys()].sort((a, b) => a - b) });
    }
    return out;
  }

  /** Loads the state of every contact with held messages (after a restart, so their timeouts run). */
  async load(): Promise<void> {
    const contacts = new Set((await this.#store.list(K.allOrderHeld)).map((k) => k.split('/')[1]!));
    for (const c of contacts) await this.#get(c);
  }

  /** Drops the cached state of `contact` (a batch failed; the store is the truth). */
  forget(contact: string): void {
    this.#state.delete(contact);
  }

  epochOf(contact: string): string | undefined {
    return this.#state.get(contact)?.epoch;
  }

  async heldEnvelope(contact: string, seq: number): Promise<Uint8Array | undefined> {
    return this.#store.get(K.orderHeld(contact, seq));
  }

  async removeOps(contact: string): Promise<StoreOp[]> {
    this.#state.delete(contact);
    return [del(K.orderIn(contact)), ...(await this.#store.list(K.orderHelds(contact))).map(del)];
  }
}
