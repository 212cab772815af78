/**
 * The receive path's table: one handler per message type (spec enums.message_type). receive.ts
 * runs every message through the receive order, the replay window and ordering, then calls the
 * handler of its type to say what it means; a new message type does not typecheck until it has
 * an entry here.
 *
 * A handler adds store operations and after-actions to an `Act` (they land in one batch with the
 * message's replay-window entry) and refuses a message by throwing OpenError BAD_MESSAGE.
 */
import { MessageType, ReceiptStatus } from '@parley/generated';
import { toHex } from '../crypto/index.ts';
import { OpenError } from '../protocol/errors.ts';
import type { OutgoingFileProgress } from './file-progress.ts';
import type { OutgoingFiles } from './file-send.ts';
import type { FileTransfers } from './files.ts';
import type { History, HistoryItem } from './history.ts';
import type { MailboxTokens } from './mailbox-tokens.ts';
import type { SessionControl } from './session-control.ts';
import { ORDERED_TYPES } from './order.ts';
import type { Outbox } from './outbox.ts';
import type { Act, Clock, Emit, EnvelopeOf, HandlerTable, MessageHandler, Send } from './parts.ts';

/** What the handlers of texts, edits, deletes and receipts use. */
export interface HandlerDeps {
  clock: Pick<Clock, 'now'>;
  emit: Emit;
  history: Pick<History, 'get' | 'put' | 'nextSeq' | 'receiptOps'>;
  outbox: Pick<Outbox, 'ackOps' | 'forget' | 'expedite'>;
  progress: Pick<OutgoingFileProgress, 'chunksAcked'>;
  /** Outgoing transfers: their chunks are acknowledged by receipts too (file-send.ts). */
  outgoing: Pick<OutgoingFiles, 'owns' | 'acked'>;
  send: Pick<Send, 'pump'>;
  files: Pick<FileTransfers, 'handlers'>;
  mailboxTokens: Pick<MailboxTokens, 'handler'>;
  sessionControl: Pick<SessionControl, 'handler'>;
}

/** The message event is the whole action (presence, typing, calls, push registrations). */
const EVENT_ONLY: MessageHandler = { act: () => undefined };

export function handlerTable(d: HandlerDeps): HandlerTable {
  const files = d.files.handlers();
  return {
    [MessageType.text]: text(d),
    [MessageType.edit]: editOrDelete(d),
    [MessageType.delete]: editOrDelete(d),
    [MessageType.receipt]: receipt(d),
    [MessageType.presence]: EVENT_ONLY,
    [MessageType.typing]: EVENT_ONLY,
    [MessageType.fileOffer]: files.offer,
    [MessageType.fileChunk]: files.chunk,
    [MessageType.fileCancel]: files.cancel,
    [MessageType.contactRequest]: {
      act: () => {
        throw new OpenError('BAD_MESSAGE', 'a contact request outside a first-contact frame');
      },
    },
    // The contact's state changes before the table (receive.ts: any verified frame from a contact
    // we asked means they accepted); the event is the rest.
    [MessageType.contactAccept]: EVENT_ONLY,
    [MessageType.callInvite]: EVENT_ONLY,
    [MessageType.callAccept]: EVENT_ONLY,
    [MessageType.callReject]: EVENT_ONLY,
    [MessageType.callJoin]: EVENT_ONLY,
    [MessageType.callSdp]: EVENT_ONLY,
    [MessageType.callIce]: EVENT_ONLY,
    [MessageType.callBye]: EVENT_ONLY,
    [MessageType.pushRegisterWebpush]: EVENT_ONLY,
    [MessageType.pushRegisterFcm]: EVENT_ONLY,
    [MessageType.pushUnregister]: EVENT_ONLY,
    [MessageType.mailboxToken]: d.mailboxTokens.handler(),
    // v2 session control: the upgrade of a v1 contact, session resets (session-control.ts)
    [MessageType.session]: d.sessionControl.handler(),
  };
}

function record(d: HandlerDeps, item: HistoryItem, act: Act): void {
  act.ops.push(d.history.put(item));
  act.after.push(() => d.emit('history', { item }));
}

function text(d: HandlerDeps): MessageHandler<EnvelopeOf<typeof MessageType.text>> {
  return {
    async act({ contact: c, env, id }, act) {
      const had = await d.history.get(c.key, id);
      if (had && had.dir === 'out') throw new OpenError('BAD_MESSAGE', 'a message id of ours');
      const replyTo = env.body.replyTo.some((b) => b !== 0) ? toHex(env.body.replyTo) : undefined;
      const item: HistoryItem = {
        id,
        contact: c.key,
        seq: had?.seq ?? d.history.nextSeq(),
        dir: 'in',
        kind: 'text',
        // an edit or delete that came first wins
        ...(had?.deleted ? {} : { text: had?.text ?? env.body.text }),
        ...(replyTo ? { replyTo } : {}),
        sentAt: env.sentAt,
        receivedAt: d.clock.now(),
        ...(had?.editedAt !== undefined ? { editedAt: had.editedAt } : {}),
        ...(had?.deleted ? { deleted: true } : {}),
      };
      record(d, item, act);
    },
  };
}

/** Edits and deletes apply only to the sender's own messages; one that overtook its target waits as `pending`. */
function editOrDelete(d: HandlerDeps): MessageHandler<EnvelopeOf<typeof MessageType.edit | typeof MessageType.delete>> {
  return {
    async act({ contact: c, env }, act) {
      const target = toHex(env.body.target);
      const t = await d.history.get(c.key, target);
      if (t && t.dir === 'out') throw new OpenError('BAD_MESSAGE', `${env.type === MessageType.edit ? 'an edit' : 'a delete'} of a message that is not the sender's`);
      if (t && t.kind === 'file' && env.type === MessageType.edit) throw new OpenError('BAD_MESSAGE', 'an edit of a file message');
      act.applied = t !== undefined && t.kind !== 'pending';
      const item: HistoryItem = t ?? { id: target, contact: c.key, seq: d.history.nextSeq(), dir: 'in', kind: 'pending', sentAt: env.sentAt };
      if (env.type === MessageType.delete) {
        item.deleted = true;
        delete item.text;
      } else if (!item.deleted && env.sentAt >= (item.editedAt ?? 0)) {
        item.text = env.body.text;
        item.editedAt = env.sentAt;
      }
      record(d, item, act);
    },
  };
}

/** Delivered and read receipts: the outbox lets go of what they name, the history follows. */
function receipt(d: HandlerDeps): MessageHandler<EnvelopeOf<typeof MessageType.receipt>> {
  return {
    async act({ contact: c, env }, act) {
      const all = env.body.ids.map((r) => toHex(r.id));
      const chunks = all.filter((id) => d.outgoing.owns(id));
      const ids = chunks.length === 0 ? all : all.filter((id) => !d.outgoing.owns(id));
      if (ids.length === 0) {
        // file chunks only: their transfer records them (no outbox entry, no history)
        act.after.push(async () => {
          if (await d.outgoing.acked(c.key, chunks)) d.send.pump();
        });
        return;
      }
      const { entries, ops } = d.outbox.ackOps(c.key, ids); // a read receipt also says delivered
      const { ops: hops, changed } = await d.history.receiptOps(c.key, ids, env.body.status === ReceiptStatus.delivered ? 'delivered' : 'read');
      act.ops.push(...ops, ...hops);
      const isRead = env.body.status === ReceiptStatus.read;
      act.after.push(async () => {
        d.outbox.forget(entries);
        d.outbox.expedite(c.key, entries, ORDERED_TYPES);
        const delivered = [...new Set([...entries.map((e) => e.msgId), ...(isRead ? [] : changed)])];
        if (delivered.length > 0) d.emit('delivered', { contact: c.key, ids: delivered });
        if (isRead && changed.length > 0) d.emit('read', { contact: c.key, ids: changed });
        for (const hid of changed) {
          const item = await d.history.get(c.key, hid);
          if (item) d.emit('history', { item });
        }
        d.progress.chunksAcked(entries);
        if (chunks.length > 0) await d.outgoing.acked(c.key, chunks);
        d.send.pump();
      });
    },
  };
}
