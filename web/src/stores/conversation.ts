/**
 * createConversation: one conversation's history, file progress and actions.
 *
 * - `send` shows the text at once as a local pending item; when the worker has stored it in the
 *   outbox the real record (status `queued`, then sent, delivered, read) replaces it, in one change
 *   whichever comes first, its history event or sendText's answer. If the
 *   worker refuses (OUTBOX_FULL, TOO_LARGE...), the local item is removed and the error rethrown.
 * - `edit` and `remove` change the item first and restore it if the worker fails, then rethrow.
 * - History events from the worker are the truth: they upsert by id and keep `seq` order.
 * - File transfers: progress, speed and time left (transfer-rate.ts; sampled again every
 *   second, so a stalled transfer's speed falls), why one ended, and pause, resume, cancel and
 *   send again.
 */
import { createStore, produce, reconcile, unwrap } from 'solid-js/store';
import type { Client } from '../ui-thread/client.ts';
import type { FileFailed, FileProgress, HistoryItem } from '../messages/protocol.ts';
import { RateMeter, type Rate } from './transfer-rate.ts';

export interface ConversationState {
  items: HistoryItem[];
  /** Transfers in progress, by fileId. */
  progress: Record<string, FileProgress>;
  /** Speed and time left of transfers in progress (not paused), by fileId. */
  rates: Record<string, Rate>;
  /** Why a transfer ended without the file (seen during this session), by fileId. */
  ended: Record<string, FileFailed['reason']>;
  loaded: boolean;
}

/** How many messages a conversation view loads (the newest). */
export const HISTORY_PAGE = 500;
const LOCAL_PREFIX = 'local-';
let localSeq = 0;

export function isLocal(item: HistoryItem): boolean {
  return item.id.startsWith(LOCAL_PREFIX);
}

export function createConversation(client: Client, contact: string) {
  const [state, setState] = createStore<ConversationState>({ items: [], progress: {}, rates: {}, ended: {}, loaded: false });
  const meters = new Map<string, RateMeter>();
  const RESAMPLE_MS = 1_000;

  function upsert(item: HistoryItem): void {
    if (item.contact !== contact || item.kind === 'pending') return;
    const at = state.items.findIndex((i) => i.id === item.id);
    // In place, so views keyed by the item (and the blob: URLs they hold) survive updates.
    if (at >= 0) return void setState('items', at, reconcile(item));
    setState(
      'items',
      produce((items) => {
        // The stored copy of a text sent from here takes its local item's place in this same change:
        // the worker's history event comes before sendText's answer, and a user must never see both.
        const local = item.dir === 'out' && item.kind === 'text' ? items.findIndex((i) => isLocal(i) && i.text === item.text) : -1;
        if (local >= 0) items.splice(local, 1);
        let pos = items.length;
        while (pos > 0 && isLocal(items[pos - 1]!)) pos--; // local items stay last until replaced
        while (pos > 0 && items[pos - 1]!.seq > item.seq) pos--;
        items.splice(pos, 0, item);
      }),
    );
  }

  function drop(id: string): void {
    setState('items', (items) => items.filter((i) => i.id !== id));
  }

  function endTransfer(fileId: string): void {
    meters.delete(fileId);
    setState('progress', produce((all) => void delete all[fileId]));
    setState('rates', produce((all) => void delete all[fileId]));
  }

  function sample(p: FileProgress): void {
    let m = meters.get(p.fileId);
    if (!m) meters.set(p.fileId, (m = new RateMeter()));
    if (p.paused) {
      m.reset();
      setState('rates', produce((all) => void delete all[p.fileId]));
      return;
    }
    m.add(Date.now(), p.bytes);
    const r = m.rate(p.size);
    if (r) setState('rates', p.fileId, r);
  }

  const offs = [
    client.on('history', upsert),
    client.on('progress', (p) => {
      if (p.contact !== contact) return;
      if (p.chunks >= p.totalChunks) return endTransfer(p.fileId);
      // `paused` written out: the store merges objects, and a resumed transfer's event omits it
      setState('progress', p.fileId, { ...p, paused: p.paused ?? false });
      sample(p);
    }),
    client.on('file-failed', (f) => {
      if (f.contact !== contact) return;
      endTransfer(f.fileId);
      setState('ended', f.fileId, f.reason);
    }),
  ];
  // A transfer that stalls sends no progress: sampled again with the same bytes, its speed falls.
  const resample = setInterval(() => {
    for (const p of Object.values(state.progress)) sample({ ...unwrap(p) });
  }, RESAMPLE_MS);

  /** A detached copy (store items are updated in place). */
  const copy = (i: HistoryItem): HistoryItem => structuredClone(unwrap(i));

  async function restoring<T>(id: string, change: (i: HistoryItem) => HistoryItem, action: () => Promise<T>): Promise<T> {
    const found = state.items.find((i) => i.id === id);
    const before = found && copy(found);
    if (before) upsert(change({ ...before }));
    try {
      return await action();
    } catch (err) {
      if (before) upsert(before);
      throw err;
    }
  }

  return {
    state,
    async load(): Promise<void> {
      const items = await client.api.history({ contact, limit: HISTORY_PAGE });
      const live = state.items.filter((i) => !items.some((h) => h.id === i.id));
      setState({ items: [...items, ...live].sort((a, b) => (isLocal(a) ? 1 : 0) - (isLocal(b) ? 1 : 0) || a.seq - b.seq), loaded: true });
    },

    async send(text: string): Promise<HistoryItem> {
      const local: HistoryItem = { id: `${LOCAL_PREFIX}${++localSeq}`, contact, seq: Number.MAX_SAFE_INTEGER, dir: 'out', kind: 'text', text, sentAt: Date.now(), status: 'queued' };
      setState('items', (items) => [...items, local]);
      try {
        const item = await client.api.sendText({ contact, text });
        drop(local.id);
        upsert(item);
        return item;
      } catch (err) {
        drop(local.id);
        throw err;
      }
    },

    edit: (id: string, text: string) => restoring(id, (i) => ({ ...i, text, editedAt: Date.now() }), () => client.api.editMessage({ contact, id, text })),

    remove: (id: string) =>
      restoring(
        id,
        (i) => {
          const { text: _text, ...rest } = i;
          return { ...rest, deleted: true };
        },
        () => client.api.deleteMessage({ contact, id }),
      ),

    async sendFile(file: { name: string; type: string; arrayBuffer(): Promise<ArrayBuffer> }): Promise<{ id: string; fileId: string }> {
      const bytes = new Uint8Array(await file.arrayBuffer());
      return client.api.sendFile({ contact, name: file.name, mime: file.type, bytes });
    },

    pauseFile: (fileId: string) => client.api.pauseFile({ contact, fileId }),
    resumeFile: (fileId: string) => client.api.resumeFile({ contact, fileId }),
    /** Cancels a transfer either way; the peer is told (it sees file-failed, this side does not). */
    async cancelFile(fileId: string): Promise<void> {
      await client.api.cancelFile({ contact, fileId });
      endTransfer(fileId);
      setState('ended', fileId, 'cancelled');
    },

    /** Offers a sent file again (its bytes were kept when it was first sent), as a new transfer. */
    async retryFile(fileId: string): Promise<{ id: string; fileId: string }> {
      const f = await client.api.fileBytes({ contact, fileId });
      if (!f) throw new Error('this file is no longer kept here: choose it again to send it');
      return client.api.sendFile({ contact, name: f.name, mime: f.mime, bytes: f.bytes });
    },

    /** Incoming messages shown but not read yet. */
    unreadIds: () => state.items.filter((i) => i.dir === 'in' && !i.read && !i.deleted).map((i) => i.id),

    /** Marks these messages read here at once and tells the worker (read receipts). */
    async markRead(ids: string[]): Promise<void> {
      if (ids.length === 0) return;
      const before = ids.flatMap((id) => state.items.filter((i) => i.id === id).map(copy));
      for (const i of before) upsert({ ...i, read: true });
      try {
        await client.api.markRead({ contact, ids });
      } catch (err) {
        for (const i of before) upsert(i);
        throw err;
      }
    },

    dispose(): void {
      clearInterval(resample);
      for (const off of offs) off();
    },
  };
}

export type Conversation = ReturnType<typeof createConversation>;
