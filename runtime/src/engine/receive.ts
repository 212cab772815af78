/**
 * The receive path of peer frames (spec receive_order): open (unmask was the session's; then
 * candidates, kind and length, signature, decryption, envelope), then the replay window, then
 * act. Acting means: build the store operations (the message's effects and its replay-window
 * entry), write them in one atomic batch, emit, then acknowledge with a `delivered` receipt.
 *
 * - A duplicate (id already in the window) is acknowledged again but not emitted again.
 * - Receipts are never acknowledged.
 * - Edits and deletes apply only to the sender's own messages: one naming a message we sent is
 *   rejected with BAD_MESSAGE (a `dropped` event). It is still recorded and acknowledged, so the
 *   sender does not resend what can never be accepted.
 * - Ordered types (text, edit, delete, file offer; order.ts) are acted on in the sender's order:
 *   one that overtook an earlier one is recorded, acknowledged and held until the gap fills
 *   (the sender resends the missing one when it sees the later one acknowledged), at most
 *   ORDER_HOLD_MAX per contact and ORDER_GAP_TIMEOUT_MS long. A held file offer opens its
 *   transfer at once, so its chunks are kept.
 * - A file chunk of a transfer whose offer has not arrived is neither recorded nor acknowledged:
 *   the sender resends it after the offer got through.
 * - If the batch fails nothing is acknowledged (the sender resends) and the window is reloaded.
 *
 * What a message means is its type's handler's (receive-handlers.ts, one per message type); this
 * module is the order every message goes through. Frames are opened by the session layer
 * (sessions.ts), first-contact frames by the contact book.
 */
import { FrameKind, KEM_MISSING_HOLD_MAX, Layouts, MessageType, type ContactAccept, type Envelope } from '@parley/generated';
import { toHex } from '../crypto/index.ts';
import { isOpenError } from '../protocol/errors.ts';
import { isRatchetError } from '../protocol/ratchet/index.ts';
import { decodeEnvelopeChecked } from '../protocol/envelope.ts';
import type { IncomingRoute } from '../protocol/session.ts';
import { snapshot } from './contact-list.ts';
import { readOrder, type OrderIn, type OrderMark } from './order.ts';
import { dropInfo, report, type Act, type Clock, type ContactLookup, type Emit, type HandlerTable, type MessageHandler, type Send } from './parts.ts';
import type { ReplayStore } from './replay-store.ts';
import type { Serial } from './serial.ts';
import type { DuplicateFrame, OpenedSession, PeerSessions } from './sessions.ts';
import type { Store, StoreOp } from './storage.ts';
import type { Contact, IncomingMessage } from './types.ts';

export type { Act } from './parts.ts';

/** The envelope's flag bits (spec structs.envelope.flags): bit 0 is "silent". */
export const SILENT_FLAG = Layouts.envelope.fields.find((f) => f.id === 'flags')!.mask!;

/** How the contact book takes part in receiving (contacts.ts). */
export interface ContactIntake {
  /** A first-contact frame: checked, and kept as a pending request. */
  onFirstContact(route: IncomingRoute, frame: Uint8Array): Promise<void>;
  /** A contact_accept, or any verified frame from a contact we asked: store operations to land. */
  onAccept(c: Contact, body?: ContactAccept): { ops: StoreOp[]; changed: boolean };
  /** After an accept landed. */
  accepted(c: Contact, changed: boolean): Promise<void>;
}

/** What the receive path uses. */
export interface ReceiverDeps {
  clock: Pick<Clock, 'now'>;
  emit: Emit;
  store: Store;
  /** Every received frame is handled in this lane, one at a time. */
  serial: Serial;
  contacts: Pick<ContactLookup, 'get' | 'byId'>;
  intake: ContactIntake;
  /** Peer and ratchet frames are opened here (the session layer, sessions.ts / ratchet-sessions.ts). */
  sessions: Pick<PeerSessions, 'open'>;
  /** A frame from these candidates did not open (session control may ask for a new session). */
  openFailed?(candidates: readonly Contact[], err: unknown): void;
  replay: ReplayStore;
  orderIn: OrderIn;
  acks: Pick<Send, 'queueAck'>;
  /** What each message type means (receive-handlers.ts). */
  handlers: HandlerTable;
  /** EngineOptions.beforeRecord: the app's own record of a message, written before ours. */
  beforeRecord?: (m: IncomingMessage) => void;
}

export class Receiver {
  readonly #ctx: ReceiverDeps;

  constructor(deps: ReceiverDeps) {
    this.#ctx = deps;
  }

  /** Ratchet frames refused with KEM_MISSING, per contact key, waiting for another frame to open. */
  readonly #kemHeld = new Map<string, { route: IncomingRoute; frame: Uint8Array }[]>();

  onFrame(route: IncomingRoute, frame: Uint8Array): Promise<void> {
    return this.#ctx.serial.run(() => this.#onFrame(route, frame));
  }

  async #onFrame(route: IncomingRoute, frame: Uint8Array): Promise<void> {
    try {
      // peer (v1) and ratchet (v2) frames: the session layer tells them apart by kind
      if (route.kind === FrameKind.firstContact) await this.#ctx.intake.onFirstContact(route, frame);
      else await this.#peer(route, frame);
    } catch (err) {
      report(this.#ctx.emit, 'receive', err);
    }
  }

  async #peer(route: IncomingRoute, frame: Uint8Array): Promise<void> {
    const ctx = this.#ctx;
    // Pending requests are not contacts yet: nothing of theirs is opened before the user accepts.
    const candidates = ctx.contacts.byId(toHex(route.id)).filter((c) => c.state !== 'pending');
    let opened: OpenedSession | DuplicateFrame;
    try {
      opened = await ctx.sessions.open(candidates, frame);
    } catch (err) {
      if (candidates.length === 1 && isRatchetError(err, 'KEM_MISSING')) this.#holdKemMissing(candidates[0]!.key, route, frame);
      else ctx.emit('dropped', dropInfo('peer', err));
      ctx.openFailed?.(candidates, err);
      return;
    }
    // a frame of this contact opened: those held for a chain start may open now (after this one)
    const retry = this.#kemHeld.get(opened.sender.key);
    if (retry) this.#kemHeld.delete(opened.sender.key);
    try {
      await this.#openedOrDuplicate(opened);
    } finally {
      for (const h of retry ?? []) await this.#peer(h.route, h.frame);
    }
  }

  /**
   * A ratchet frame refused with KEM_MISSING changed nothing: it waits (KEM_MISSING_HOLD_MAX per
   * contact, oldest dropped first) for the next frame of the contact that opens, usually the
   * chain's first message that it overtook (spec sessions, the KEM block).
   */
  #holdKemMissing(key: string, route: IncomingRoute, frame: Uint8Array): void {
    let held = this.#kemHeld.get(key);
    if (!held) this.#kemHeld.set(key, (held = []));
    held.push({ route: { ...route, id: route.id.slice() }, frame: frame.slice() });
    if (held.length > KEM_MISSING_HOLD_MAX) {
      held.shift();
      this.#ctx.emit('dropped', { kind: 'peer', code: 'KEM_MISSING', message: `more than ${KEM_MISSING_HOLD_MAX} frames wait for a chain's first message: the oldest is dropped`, contact: key });
    }
  }

  async #openedOrDuplicate(opened: OpenedSession | DuplicateFrame): Promise<void> {
    const ctx = this.#ctx;
    if ('duplicate' in opened) {
      // a v2 frame taken before whose acknowledgement was lost (its key is erased): acknowledge again
      ctx.acks.queueAck(opened.sender.key, opened.msgId);
      return;
    }
    try {
      await this.#opened(opened);
    } finally {
      opened.release();
    }
  }

  /** Stores only the session's new state (a message recorded before, opened again). */
  async #landState(opened: OpenedSession): Promise<void> {
    if (opened.ops.length === 0) return;
    await this.#land(opened.sender, { ops: [...opened.ops], after: [], landed: () => opened.commit() });
  }

  async #opened(opened: OpenedSession): Promise<void> {
    const ctx = this.#ctx;
    const c = opened.sender;
    const env = opened.envelope;
    const id = toHex(env.msgId);
    const ack = env.type !== MessageType.receipt;
    if (await ctx.replay.has(c.key, env.msgId)) {
      await this.#landState(opened);
      if (ack) await this.#ackDuplicate(c, env, id);
      return;
    }
    const handler = this.#handler(env);
    const deferred = await handler.defer?.({ contact: c, env, id });
    if (deferred !== undefined) {
      // not taken, but its session step is: the chain's later messages open without it
      opened.skip?.();
      ctx.emit('dropped', { kind: 'peer', code: 'DEFERRED', message: deferred, contact: c.key });
      return;
    }
    let checked;
    try {
      checked = await ctx.replay.check(c.key, env.msgId, env.sentAt, ctx.clock.now());
    } catch (err) {
      ctx.emit('dropped', dropInfo('peer', err, c.key));
      return;
    }
    if (checked.verdict === 'duplicate') {
      await this.#landState(opened);
      if (ack) await this.#ackDuplicate(c, env, id);
      return;
    }
    if (handler.stage && c.state !== 'requested') {
      // The chunk is made durable with its group (file chunks) and acknowledged then; a v2 state
      // becomes current now (the next frame opens with it) and is stored with the group
      // (RatchetSessions.save), not once per chunk (spec/DESIGN.md "Bulk messages and the ratchet").
      if (opened.defer) opened.defer();
      else await this.#landState(opened);
      await handler.stage({ contact: c, env, id }, checked.ops, () => ctx.acks.queueAck(c.key, id));
      return;
    }
    // the session's new state lands with the message's records, then becomes current
    const act: Act = { ops: [...checked.ops, ...opened.ops], after: [], landed: () => opened.commit() };
    if (c.state === 'requested') {
      // A verified peer frame from someone we asked means they accepted (the accept itself may
      // have been lost or overtaken by this frame).
      const r = ctx.intake.onAccept(c, env.type === MessageType.contactAccept ? env.body : undefined);
      act.ops.push(...r.ops);
      act.after.push(() => ctx.intake.accepted(c, r.changed));
    } else if (env.type === MessageType.contactAccept) {
      act.ops.push(...ctx.intake.onAccept(c, env.body).ops);
    }
    let mark: OrderMark | undefined;
    try {
      mark = readOrder(env);
    } catch (err) {
      if (!isOpenError(err, 'BAD_MESSAGE')) throw err;
      ctx.emit('dropped', dropInfo('peer', err, c.key));
      if (await this.#land(c, act)) ctx.acks.queueAck(c.key, id); // recorded, so never resent
      return;
    }
    if (!mark) {
      if (await this.#apply(c, env, id, act)) {
        if (ack) ctx.acks.queueAck(c.key, id);
      }
      return;
    }
    // Ordered (spec structs.order_extension): a held sequence of another epoch goes first.
    for (const n of await ctx.orderIn.superseded(c.key, mark)) await this.#release(c, n, false);
    const admission = await ctx.orderIn.admit(c.key, mark);
    if (admission.kind === 'hold') {
      act.ops.push(...ctx.orderIn.holdOps(c.key, mark, opened.plaintext));
      if (handler.holdOps) act.ops.push(...(await handler.holdOps({ contact: c, env, id })));
      if (!(await this.#land(c, act))) return;
      ctx.orderIn.held(c.key, mark);
      ctx.acks.queueAck(c.key, id);
      return;
    }
    // At the hold cap the gap is given up on: what is held below this one goes first.
    if (admission.advance) for (const n of ctx.orderIn.heldBelow(c.key, mark.seq)) await this.#release(c, n, true);
    if (!(await this.#apply(c, env, id, act, { mark, advance: admission.advance }))) return;
    ctx.acks.queueAck(c.key, id);
    await this.#releaseReady(c);
  }

  /**
   * A duplicate is acknowledged again; one of a staged type waits for its group, in case the
   * first copy is not durable yet (an early acknowledgement would lose it in a crash).
   */
  async #ackDuplicate(c: Contact, env: Envelope, id: string): Promise<void> {
    const ack = () => this.#ctx.acks.queueAck(c.key, id);
    const stage = this.#handler(env).stage;
    if (stage) await stage({ contact: c, env, id }, [], ack);
    else ack();
  }

  /** Writes `act.ops` and runs `act.after`; false (nothing acknowledged, window reloaded) if the store failed. */
  async #land(c: Contact, act: Act): Promise<boolean> {
    const ctx = this.#ctx;
    try {
      await ctx.store.batch(act.ops);
    } catch (err) {
      ctx.replay.forget(c.key);
      ctx.orderIn.forget(c.key);
      report(ctx.emit, 'store received message', err);
      return false;
    }
    act.landed?.();
    act.landed = undefined;
    for (const f of act.after) await f();
    return true;
  }

  /**
   * Acts on a message: its effects and `act.ops` in one batch, then the `message` event and the
   * actions that wait for the batch. False if the store failed.
   */
  async #apply(c: Contact, env: Envelope, id: string, act: Act, order?: { mark: OrderMark; advance: boolean }): Promise<boolean> {
    const ctx = this.#ctx;
    let emit = true;
    const handler = this.#handler(env);
    try {
      await handler.act({ contact: c, env, id }, act);
    } catch (err) {
      if (!isOpenError(err, 'BAD_MESSAGE')) throw err;
      ctx.emit('dropped', dropInfo('peer', err, c.key));
      emit = false;
    }
    if (order) act.ops.push(...ctx.orderIn.actOps(c.key, order.mark, order.advance));
    const after = act.after;
    act.after = [];
    const message = (): IncomingMessage => ({
      ...(env as Envelope),
      contact: snapshot(c),
      id,
      sentAt: env.sentAt,
      receivedAt: ctx.clock.now(),
      silent: (env.flags & SILENT_FLAG) !== 0,
      extensions: env.extensions,
      ...(act.applied !== undefined ? { applied: act.applied } : {}),
    });
    const event = emit && handler.event !== false;
    if (event && ctx.beforeRecord) {
      try {
        ctx.beforeRecord(message());
      } catch (err) {
        // nothing recorded, nothing acknowledged: the sender resends it
        ctx.replay.forget(c.key);
        ctx.orderIn.forget(c.key);
        report(ctx.emit, 'record received message (app)', err);
        return false;
      }
    }
    if (!(await this.#land(c, act))) return false;
    if (order) ctx.orderIn.acted(c.key, order.mark, order.advance);
    if (event) ctx.emit('message', message());
    for (const f of after) await f();
    return true;
  }

  /** Acts on a held message (already recorded in the replay window and acknowledged). */
  async #release(c: Contact, seq: number, advance: boolean): Promise<void> {
    const ctx = this.#ctx;
    const mark = { epoch: ctx.orderIn.epochOf(c.key)!, seq };
    const plaintext = await ctx.orderIn.heldEnvelope(c.key, seq);
    let env: Envelope | undefined;
    try {
      env = plaintext && decodeEnvelopeChecked(plaintext);
    } catch (err) {
      report(ctx.emit, 'held message', err); // our own store's bytes: corrupt, not hostile
    }
    if (!env) {
      await this.#land(c, { ops: ctx.orderIn.actOps(c.key, mark, advance), after: [() => ctx.orderIn.acted(c.key, mark, advance)] });
      return;
    }
    await this.#apply(c, env, toHex(env.msgId), { ops: [], after: [] }, { mark, advance });
  }

  /** Acts on held messages while the next expected one is among them. */
  async #releaseReady(c: Contact): Promise<void> {
    for (let n = this.#ctx.orderIn.ready(c.key); n !== undefined; n = this.#ctx.orderIn.ready(c.key)) await this.#release(c, n, true);
  }

  /** Gives up on gaps older than ORDER_GAP_TIMEOUT_MS: acts on what is held, in order. */
  releaseExpired(): Promise<void> {
    const ctx = this.#ctx;
    return ctx.serial.run(async () => {
      for (const { contact, seqs } of ctx.orderIn.expired()) {
        const c = ctx.contacts.get(contact);
        if (!c) continue;
        for (const n of seqs) await this.#release(c, n, true);
        await this.#releaseReady(c);
      }
    });
  }

  /** The handler of the envelope's type (the codec only decodes types the spec defines). */
  #handler(env: Envelope): MessageHandler {
    const h = this.#ctx.handlers[env.type] as MessageHandler | undefined;
    if (!h) throw new Error(`no handler for message type ${env.type}`);
    return h;
  }
}
