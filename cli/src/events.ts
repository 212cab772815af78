/**
 * Engine events as wschat events (bridge/schema.ts), shared by `listen`, `listen --json`,
 * `chat` and `bridge`: incoming messages, receipts, presence, files (saved into the
 * downloads folder), contact requests, connection state. Also the backlog: messages that an
 * earlier process received but no reader handled.
 */
import { MessageType, PresenceStateNames } from '@parley/generated';
import { toHex } from '@parley/runtime/crypto';
import { requestExpiresAt, type Contact, type Engine, type EngineEvents, type FileProgress, type HistoryItem } from '@parley/runtime/engine';
import { classify, scrub } from './errors.ts';
import type { OutEvent } from './bridge/schema.ts';
import type { Session } from './session.ts';

/** Receives each event; `contact` is the key of the contact a message or file came from. */
export type Emit = (e: OutEvent, contact?: string) => void;

export function peer(engine: Engine, key: string): { id: string; name: string } {
  const c = engine.contact(key);
  return c ? { id: c.id, name: c.name } : { id: key.slice(0, 16), name: '' };
}

function peerOf(c: Pick<Contact, 'id' | 'name'>): { id: string; name: string } {
  return { id: c.id, name: c.name };
}

export interface WatchOptions {
  /** Only events about this contact (key). */
  contact?: string;
  /** Report connection state changes. */
  state?: boolean;
}

/** Ids whose last reported receipt is remembered (a record can change again): bounds the memory. */
const MAX_REMEMBERED_RECEIPTS = 4096;
/** Transfers whose last reported progress is remembered: bounds the memory. */
const MAX_REMEMBERED_TRANSFERS = 1024;

const RECEIPT_RANK = { sent: 1, delivered: 2, read: 3 } as const;

/**
 * Passes a transfer's progress at most once per percent of each counter (chunks confirmed or
 * stored, and for outgoing transfers chunks sent): bounds the output of a large transfer.
 */
export class ProgressSteps {
  readonly #last = new Map<string, string>();

  pass(p: FileProgress): boolean {
    const key = `${p.direction}/${p.fileId}`;
    const percent = (n: number): number => (p.totalChunks === 0 ? 100 : Math.floor((n * 100) / p.totalChunks));
    const step = `${percent(p.chunks)}/${percent(p.sent ?? 0)}`;
    if (this.#last.get(key) === step) return false;
    this.#last.delete(key);
    this.#last.set(key, step);
    if (this.#last.size > MAX_REMEMBERED_TRANSFERS) this.#last.delete(this.#last.keys().next().value!);
    return true;
  }
}

/** The engine's file progress as an event (`sent` only for outgoing transfers). */
export function progressEvent(engine: Engine, p: FileProgress): OutEvent {
  return {
    type: 'file-progress', contact: peer(engine, p.contact), fileId: p.fileId, direction: p.direction, bytes: p.bytes, size: p.size, chunks: p.chunks,
    ...(p.direction === 'out' && p.sent !== undefined ? { sent: p.sent } : {}),
    totalChunks: p.totalChunks,
  };
}

/** Subscribes to the engine; returns the unsubscribe function. */
export function watch(session: Session, emit: Emit, o: WatchOptions = {}): () => void {
  const { engine } = session;
  const mine = (key: string): boolean => o.contact === undefined || o.contact === key;
  const offs: (() => void)[] = [];
  const steps = new ProgressSteps();
  const reported = new Map<string, number>();
  offs.push(
    engine.on('message', (m) => {
      if (!mine(m.contact.key)) return;
      const from = peerOf(m.contact);
      if (m.type === MessageType.text) {
        const replyTo = m.body.replyTo.some((b) => b !== 0) ? toHex(m.body.replyTo) : undefined;
        emit({ type: 'message', id: m.id, from, text: m.body.text, sentAt: m.sentAt, receivedAt: m.receivedAt, ...(replyTo ? { replyTo } : {}) }, m.contact.key);
      } else if (m.type === MessageType.edit) {
        emit({ type: 'edit', id: m.id, from, target: toHex(m.body.target), text: m.body.text });
      } else if (m.type === MessageType.delete) {
        emit({ type: 'delete', id: m.id, from, target: toHex(m.body.target) });
      } else if (m.type === MessageType.presence) {
        const state = PresenceStateNames[m.body.state];
        if (state === 'online' || state === 'away' || state === 'offline') emit({ type: 'presence', from, state });
      } else if (m.type === MessageType.typing) {
        emit({ type: 'typing', from, active: m.body.active === 1 });
      }
    }),
    engine.on('history', (h) => onHistory(h)),
    engine.on('file-progress', (p) => {
      if (mine(p.contact) && steps.pass(p)) emit(progressEvent(engine, p));
    }),
    engine.on('file-failed', (f) => onFileFailed(f)),
    session.onFile(({ file, path, error }) => {
      if (!mine(file.contact)) return;
      emit({
        type: 'file', id: file.id, fileId: file.fileId, from: peer(engine, file.contact), name: file.name, mime: file.mime, size: file.size,
        ...(path !== undefined ? { path } : {}), ...(error !== undefined ? { error } : {}),
      }, file.contact);
    }),
    engine.on('contact-request', (r) => onRequest(r)),
    engine.on('contact-accepted', (r) => onAccepted(r)),
    engine.on('contact-request-expired', (r) => onExpired(r)),
    engine.on('session-reset', (r) => {
      if (mine(r.contact.key)) emit({ type: 'session-reset', contact: peerOf(r.contact), by: r.by, protection: r.protection });
    }),
  );
  // Receipts come from history records, not from the engine's sent/delivered events: those
  // also name file chunks, accepts and cancels, ids the user was never given. A history record
  // is a text or a file offer, and its status moves sent → delivered → read. A `read` that
  // skipped `delivered` (a read receipt says delivered too) reports both.
  function onHistory({ item }: EngineEvents['history']): void {
    if (item.dir !== 'out' || item.kind === 'pending' || !mine(item.contact)) return;
    const status = item.status;
    if (status !== 'sent' && status !== 'delivered' && status !== 'read') return;
    const last = reported.get(item.id) ?? 0;
    if (RECEIPT_RANK[status] <= last) return;
    reported.delete(item.id);
    reported.set(item.id, RECEIPT_RANK[status]);
    if (reported.size > MAX_REMEMBERED_RECEIPTS) reported.delete(reported.keys().next().value!);
    const contact = peer(engine, item.contact);
    if (status === 'read' && last < RECEIPT_RANK.delivered) emit({ type: 'receipt', contact, status: 'delivered', ids: [item.id] });
    emit({ type: 'receipt', contact, status, ids: [item.id] });
  }
  function onFileFailed(f: EngineEvents['file-failed']): void {
    if (mine(f.contact)) emit({ type: 'file-failed', contact: peer(engine, f.contact), fileId: f.fileId, direction: f.direction, reason: f.reason });
  }
  function onRequest(r: EngineEvents['contact-request']): void {
    if (mine(r.contact.key)) emit({ type: 'contact-request', contact: peerOf(r.contact), note: r.note, keyChange: r.contact.keyChangeOf !== undefined });
  }
  function onAccepted(r: EngineEvents['contact-accepted']): void {
    if (mine(r.contact.key)) emit({ type: 'contact-accepted', contact: peerOf(r.contact) });
  }
  function onExpired(r: EngineEvents['contact-request-expired']): void {
    const expiredAt = requestExpiresAt(r.contact);
    if (mine(r.contact.key) && expiredAt !== undefined) emit({ type: 'contact-request-expired', contact: peerOf(r.contact), direction: r.contact.state === 'pending' ? 'in' : 'out', expiredAt });
  }
  // What happened while the command waited for the relay, before this reader existed.
  for (const e of session.early.take().events) {
    if (e.name === 'history') onHistory(e.value);
    else if (e.name === 'file-failed') onFileFailed(e.value);
    else if (e.name === 'contact-request') onRequest(e.value);
    else if (e.name === 'contact-request-expired') onExpired(e.value);
    else onAccepted(e.value);
  }
  if (o.state) {
    offs.push(
      // an internal failure (e.g. the store); the engine keeps running
      engine.on('error', ({ error, context }) => emit({ type: 'error', code: 'INTERNAL', message: `${context}: ${classify(error).message}` })),
    );
    offs.push(
      engine.on('state', (s) => {
        // endpoint: the relay node (a relay may have several); a URL, never a secret
        const at = s.state === 'offline' || s.state === 'online' ? (s.endpoint !== undefined ? { endpoint: s.endpoint } : {}) : {};
        if (s.state === 'offline') emit({ type: 'state', state: 'offline', retryInMs: s.retryInMs, reason: scrub(s.error?.message ?? s.reason), ...at });
        else if (s.state === 'online' || s.state === 'stopped') emit({ type: 'state', state: s.state, ...at });
      }),
    );
  }
  return () => offs.forEach((off) => off());
}

/** Tells accepted contacts we are online now and after each reconnect (best effort, ephemeral). */
export function announcePresence(session: Session): { off: () => void; goodbye: () => Promise<void> } {
  const say = (state: 'online' | 'offline'): Promise<void> => session.engine.sendPresence(state).catch(() => undefined);
  if (session.engine.state.state === 'online') void say('online');
  const off = session.engine.on('state', (s) => {
    if (s.state === 'online') void say('online');
  });
  return {
    off,
    goodbye: async () => {
      off();
      if (session.engine.state.state === 'online') await say('offline');
    },
  };
}

/** A history item (text, or received file) as an event, marked as backlog. */
export function backlogEvent(session: Session, item: HistoryItem): OutEvent | undefined {
  const from = peer(session.engine, item.contact);
  if (item.kind === 'text') {
    return { type: 'message', id: item.id, from, text: item.text ?? '', sentAt: item.sentAt, receivedAt: item.receivedAt ?? item.sentAt, ...(item.replyTo ? { replyTo: item.replyTo } : {}), backlog: true };
  }
  if (item.kind === 'file' && item.file) {
    const path = session.inbox.savedPath(item.id);
    return { type: 'file', id: item.id, fileId: item.file.fileId, from, name: item.file.name, mime: item.file.mime, size: item.file.size, ...(path ? { path } : {}), backlog: true };
  }
  return undefined;
}
