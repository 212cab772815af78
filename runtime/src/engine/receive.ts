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
 */
import { FrameKind, Layouts, MessageType, ReceiptStatus, type Envelope } from '@parley/generated';
import { toHex } from '../crypto/index.ts';
import { OpenError, isOpenError } from '../protocol/errors.ts';
import { decodeEnvelopeChecked } from '../protocol/envelope.ts';
import { openPeer } from '../protocol/peer.ts';
import type { IncomingRoute } from '../protocol/session.ts';
import { dropInfo, snapshot } from './contacts.ts';
import { report, type Ctx } from './context.ts';
import type { HistoryItem } from './history.ts';
import { ORDERED_TYPES, readOrder, type OrderMark } from './order.ts';
import type { StoreOp } from './storage.ts';
import type { Contact } from './types.ts';

/** The envelope's flag bits (spec structs.envelope.flags): bit 0 is "silent". */
export const SILENT_FLAG = Layouts.envelope.fields.find((f) => f.id === 'flags')!.mask!;

/** What acting on a message produces: store operations, then actions once they landed. */
export interface Act {
  ops: StoreOp[];
  after: (() => void | Promise<void>)[];
  /** Edits and deletes: whether the target was there. */
  applied?: boolean;
}

export class Receiver {
  readonly #ctx: Ctx;

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
  }

  onFrame(route: IncomingRoute, frame: Uint8Array): Promise<void> {
    return this.#ctx.serial.run(() => this.#onFrame(route, frame));
  }

  async #onFrame(route: IncomingRoute, frame: Uint8Array): Promise<void> {
    try {
      if (route.kind === FrameKind.firstContact) await this.#ctx.contacts.onFirstContact(route, frame);
      else await this.#peer(route, frame);
    } catch (err) {
      report(this.#ctx, 'receive', err);
    }
  }

  async #peer(route: IncomingRoute, frame: Uint8Array): Promise<void> {
    const ctx = this.#ctx;
    // Pending requests are not contacts yet: nothing of theirs is opened before the user accepts.
    const candidates = ctx.contacts.byId(toHex(route.id)).filter((c) => c.state !== 'pending');
    let opened;
    try {
      opened = await openPeer({ backend: ctx.backend, me: ctx.identity, candidates, frame, pairs: ctx.pairs });
    } catch (err) {
      ctx.emit('dropped', dropInfo('peer', err));
      return;
    }
    const c = opened.sender;
    const env = opened.envelope;
    const id = toHex(env.msgId);
    const ack = env.type !== MessageType.receipt;
    if (await ctx.replay.has(c.key, env.msgId)) {
      if (ack) ctx.sender.queueAck(c.key, id);
      return;
    }
    if (env.type === MessageType.fileChunk && !(await ctx.files.knows(c.key, env.body.fileId))) {
      ctx.emit('dropped', { kind: 'peer', code: 'DEFERRED', message: 'a chunk of a transfer whose offer has not arrived', contact: c.key });
      return;
    }
    let checked;
    try {
      checked = await ctx.replay.check(c.key, env.msgId, env.sentAt, ctx.now());
    } catch (err) {
      ctx.emit('dropped', dropInfo('peer', err, c.key));
      return;
    }
    if (checked.verdict === 'duplicate') {
      if (ack) ctx.sender.queueAck(c.key, id);
      return;
    }
    const act: Act = { ops: [...checked.ops], after: [] };
    if (c.state === 'requested') {
      // A verified peer frame from someone we asked means they accepted (the accept itself may
      // have been lost or overtaken by this frame).
      const r = ctx.contacts.onAccept(c, env.type === MessageType.contactAccept ? env.body : undefined);
      act.ops.push(...r.ops);
      act.after.push(() => ctx.contacts.accepted(c, r.changed));
    } else if (env.type === MessageType.contactAccept) {
      act.ops.push(...ctx.contacts.onAccept(c, env.body).ops);
    }
    let mark: OrderMark | undefined;
    try {
      mark = readOrder(env);
    } catch (err) {
      if (!isOpenError(err, 'BAD_MESSAGE')) throw err;
      ctx.emit('dropped', dropInfo('peer', err, c.key));
      if (await this.#land(c, act)) ctx.sender.queueAck(c.key, id); // recorded, so never resent
      return;
    }
    if (!mark) {
      if (await this.#apply(c, env, id, act)) {
        if (ack) ctx.sender.queueAck(c.key, id);
      }
      return;
    }
    // Ordered (spec structs.order_extension): a held sequence of another epoch goes first.
    for (const n of await ctx.orderIn.superseded(c.key, mark)) await this.#release(c, n, false);
    const admission = await ctx.orderIn.admit(c.key, mark);
    if (admission.kind === 'hold') {
      act.ops.push(...ctx.orderIn.holdOps(c.key, mark, opened.plaintext));
      if (env.type === MessageType.fileOffer) act.ops.push(...(await ctx.files.holdOps(c, env, id)));
      if (!(await this.#land(c, act))) return;
      ctx.orderIn.held(c.key, mark);
      ctx.sender.queueAck(c.key, id);
      return;
    }
    // At the hold cap the gap is given up on: what is held below this one goes first.
    if (admission.advance) for (const n of ctx.orderIn.heldBelow(c.key, mark.seq)) await this.#release(c, n, true);
    if (!(await this.#apply(c, env, id, act, { mark, advance: admission.advance }))) return;
    ctx.sender.queueAck(c.key, id);
    await this.#releaseReady(c);
  }

  /** Writes `act.ops` and runs `act.after`; false (nothing acknowledged, window reloaded) if the store failed. */
  async #land(c: Contact, act: Act): Promise<boolean> {
    const ctx = this.#ctx;
    try {
      await ctx.store.batch(act.ops);
    } catch (err) {
      ctx.replay.forget(c.key);
      ctx.orderIn.forget(c.key);
      report(ctx, 'store received message', err);
      return false;
    }
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
    try {
      await this.#act(c, env, id, act);
    } catch (err) {
      if (!isOpenError(err, 'BAD_MESSAGE')) throw err;
      ctx.emit('dropped', dropInfo('peer', err, c.key));
      emit = false;
    }
    if (order) act.ops.push(...ctx.orderIn.actOps(c.key, order.mark, order.advance));
    const after = act.after;
    act.after = [];
    if (!(await this.#land(c, act))) return false;
    if (order) ctx.orderIn.acted(c.key, order.mark, order.advance);
    if (emit && env.type !== MessageType.fileChunk && env.type !== MessageType.mailboxToken) {
      ctx.emit('message', {
        ...(env as Envelope),
        contact: snapshot(c),
        id,
        sentAt: env.sentAt,
        receivedAt: ctx.now(),
        silent: (env.flags & SILENT_FLAG) !== 0,
        extensions: env.extensions,
        ...(act.applied !== undefined ? { applied: act.applied } : {}),
      });
    }
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
      report(ctx, 'held message', err); // our own store's bytes: corrupt, not hostile
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

  async #act(c: Contact, env: Envelope, id: string, act: Act): Promise<void> {
    const ctx = this.#ctx;
    const now = ctx.now();
    switch (env.type) {
      case MessageType.text: {
        const had = await ctx.history.get(c.key, id);
        if (had && had.dir === 'out') throw new OpenError('BAD_MESSAGE', 'a message id of ours');
        const replyTo = env.body.replyTo.some((b) => b !== 0) ? toHex(env.body.replyTo) : undefined;
        const item: HistoryItem = {
          id,
          contact: c.key,
          seq: had?.seq ?? ctx.history.nextSeq(),
          dir: 'in',
          kind: 'text',
          // an edit or delete that came first wins
          ...(had?.deleted ? {} : { text: had?.text ?? env.body.text }),
          ...(replyTo ? { replyTo } : {}),
          sentAt: env.sentAt,
          receivedAt: now,
          ...(had?.editedAt !== undefined ? { editedAt: had.editedAt } : {}),
          ...(had?.deleted ? { deleted: true } : {}),
        };
        this.#record(item, act);
        return;
      }
      case MessageType.edit:
      case MessageType.delete: {
        const target = toHex(env.body.target);
        const t = await ctx.history.get(c.key, target);
        if (t && t.dir === 'out') throw new OpenError('BAD_MESSAGE', `${env.type === MessageType.edit ? 'an edit' : 'a delete'} of a message that is not the sender's`);
        if (t && t.kind === 'file' && env.type === MessageType.edit) throw new OpenError('BAD_MESSAGE', 'an edit of a file message');
        act.applied = t !== undefined && t.kind !== 'pending';
        const item: HistoryItem = t ?? { id: target, contact: c.key, seq: ctx.history.nextSeq(), dir: 'in', kind: 'pending', sentAt: env.sentAt };
        if (env.type === MessageType.delete) {
          item.deleted = true;
          delete item.text;
        } else if (!item.deleted && env.sentAt >= (item.editedAt ?? 0)) {
          item.text = env.body.text;
          item.editedAt = env.sentAt;
        }
        this.#record(item, act);
        return;
      }
      case MessageType.receipt: {
        const ids = env.body.ids.map((r) => toHex(r.id));
        const { entries, ops } = ctx.outbox.ackOps(c.key, ids); // a read receipt also says delivered
        const { ops: hops, changed } = await ctx.history.receiptOps(c.key, ids, env.body.status === ReceiptStatus.delivered ? 'delivered' : 'read');
        act.ops.push(...ops, ...hops);
        const isRead = env.body.status === ReceiptStatus.read;
        act.after.push(async () => {
          ctx.outbox.forget(entries);
          ctx.outbox.expedite(c.key, entries, ORDERED_TYPES);
          const delivered = [...new Set([...entries.map((e) => e.msgId), ...(isRead ? [] : changed)])];
          if (delivered.length > 0) ctx.emit('delivered', { contact: c.key, ids: delivered });
          if (isRead && changed.length > 0) ctx.emit('read', { contact: c.key, ids: changed });
          for (const hid of changed) {
            const item = await ctx.history.get(c.key, hid);
            if (item) ctx.emit('history', { item });
          }
          ctx.files.chunksAcked(entries);
          ctx.sender.pump();
        });
        return;
      }
      case MessageType.fileOffer:
        return ctx.files.onOffer(c, env, id, act);
      case MessageType.fileChunk:
        return ctx.files.onChunk(c, env, act);
      case MessageType.fileCancel:
        return ctx.files.onCancel(c, env, act);
      case MessageType.contactRequest:
        throw new OpenError('BAD_MESSAGE', 'a contact request outside a first-contact frame');
      case MessageType.mailboxToken: {
        const token = env.body.token;
        act.after.push(() => ctx.mailboxTokens.received(c, token));
        return;
      }
      default:
        // contact_accept (handled above), presence, typing, calls, push registrations: the
        // event is the action.
        return;
    }
  }

  #record(item: HistoryItem, act: Act): void {
    act.ops.push(this.#ctx.history.put(item));
    act.after.push(() => this.#ctx.emit('history', { item }));
  }
}
