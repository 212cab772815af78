/**
 * The stores (createConversation, createContacts, createSession, createTheme) against a fake
 * worker client: optimistic changes show at once, are replaced by the worker's records, and
 * roll back (then rethrow) when the worker fails. Runs on solid-js's server build in Node:
 * stores update; nothing here depends on effects.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Contact, HistoryItem } from '../src/messages/protocol.ts';
import { createContacts } from '../src/stores/contacts.ts';
import { createConversation, isLocal } from '../src/stores/conversation.ts';
import { createSession } from '../src/stores/session.ts';
import { THEME_KEY, createTheme } from '../src/stores/theme.ts';
import { fakeClient } from './_fake-client.ts';

const K = 'a'.repeat(64);
const item = (o: Partial<HistoryItem>): HistoryItem => ({ id: 'id1', contact: K, seq: 1, dir: 'out', kind: 'text', text: 't', sentAt: 1, status: 'queued', ...o });
const contact = (o: Partial<Contact>): Contact =>
  ({ key: K, id: K.slice(0, 16), x: new Uint8Array(32), ed: new Uint8Array(32), name: 'bob', note: '', state: 'accepted', verified: false, version: 1, createdAt: 1, ...o }) as Contact;
const texts = (items: readonly HistoryItem[]) => items.map((i) => i.text ?? (i.deleted ? '<deleted>' : ''));

describe('createConversation', () => {
  it('shows a sent text at once, then the stored record in its place', async () => {
    let resolve!: (i: HistoryItem) => void;
    const { client, emit } = fakeClient({ sendText: () => new Promise((r) => (resolve = r)) });
    const c = createConversation(client, K);
    const p = c.send('hello');
    expect(c.state.items).toHaveLength(1);
    expect(isLocal(c.state.items[0]!)).toBe(true);
    expect(c.state.items[0]!.status).toBe('queued');
    const stored = item({ id: 'm1', seq: 10, text: 'hello' });
    emit('history', stored); // the worker's event comes before the answer
    expect(c.state.items.map((i) => i.id)).toEqual(['m1']); // never both at once
    resolve(stored);
    await p;
    expect(c.state.items.map((i) => i.id)).toEqual(['m1']);
    emit('history', { ...stored, status: 'read' });
    expect(c.state.items[0]!.status).toBe('read');
  });

  it('removes the local text and rethrows when the worker refuses it', async () => {
    const { client } = fakeClient({ sendText: async () => Promise.reject(Object.assign(new Error('full'), { code: 'OUTBOX_FULL' })) });
    const c = createConversation(client, K);
    await expect(c.send('x')).rejects.toThrow('full');
    expect(c.state.items).toEqual([]);
  });

  it('edits and deletes optimistically and restores the message on failure', async () => {
    const edit = vi.fn(async () => {});
    const del = vi.fn(async () => Promise.reject(new Error('no')));
    const { client, emit } = fakeClient({ editMessage: edit, deleteMessage: del });
    const c = createConversation(client, K);
    emit('history', item({ id: 'm1', text: 'before' }));
    await c.edit('m1', 'after');
    expect(texts(c.state.items)).toEqual(['after']);
    expect(edit).toHaveBeenCalledWith({ contact: K, id: 'm1', text: 'after' });
    const p = c.remove('m1');
    expect(c.state.items[0]!.deleted).toBe(true);
    await expect(p).rejects.toThrow('no');
    expect(c.state.items[0]!.deleted).toBeFalsy();
    expect(texts(c.state.items)).toEqual(['after']);
  });

  it('keeps history in seq order, ignores other conversations, and tracks file progress', async () => {
    const { client, emit } = fakeClient({ history: async () => [item({ id: 'b', seq: 20, text: 'b' })] });
    const c = createConversation(client, K);
    emit('history', item({ id: 'c', seq: 30, text: 'c' }));
    await c.load();
    emit('history', item({ id: 'a', seq: 10, text: 'a' }));
    emit('history', item({ id: 'z', contact: 'b'.repeat(64), seq: 5 }));
    expect(c.state.items.map((i) => i.id)).toEqual(['a', 'b', 'c']);
    emit('progress', { contact: K, fileId: 'f1', direction: 'in', chunks: 1, totalChunks: 4, bytes: 1, size: 4 });
    expect(c.state.progress.f1?.chunks).toBe(1);
    emit('progress', { contact: K, fileId: 'f1', direction: 'in', chunks: 4, totalChunks: 4, bytes: 4, size: 4 });
    expect(c.state.progress.f1).toBeUndefined();
  });

  it('marks read at once and undoes it if the worker fails; dispose stops listening', async () => {
    const { client, emit, listeners } = fakeClient({ markRead: async () => Promise.reject(new Error('down')) });
    const c = createConversation(client, K);
    emit('history', item({ id: 'in1', dir: 'in', status: undefined }));
    expect(c.unreadIds()).toEqual(['in1']);
    const p = c.markRead(['in1']);
    expect(c.unreadIds()).toEqual([]);
    await expect(p).rejects.toThrow('down');
    expect(c.unreadIds()).toEqual(['in1']);
    c.dispose();
    expect(listeners('history')).toBe(0);
  });
});

describe('createContacts', () => {
  it('keeps summaries (last message, unread) from history events', async () => {
    const { client, emit } = fakeClient({ contacts: async () => [contact({})], summaries: async () => [{ contact: K, unread: ['x'] }] });
    const cs = createContacts(client);
    await cs.load();
    expect(cs.unread(K)).toBe(1);
    emit('history', item({ id: 'y', dir: 'in', seq: 5, status: undefined }));
    expect(cs.unread(K)).toBe(2);
    expect(cs.state.summaries[K]!.last!.id).toBe('y');
    emit('history', item({ id: 'y', dir: 'in', seq: 5, status: undefined, read: true }));
    cs.markedRead(K, ['x']);
    expect(cs.unreadTotal()).toBe(0);
  });

  it('lists requests apart from conversations and flags key changes', async () => {
    const other = 'c'.repeat(64);
    const { client } = fakeClient({ contacts: async () => [contact({}), contact({ key: other, state: 'pending', keyChangeOf: K })], summaries: async () => [] });
    const cs = createContacts(client);
    await cs.load();
    expect(cs.conversations().map((c) => c.key)).toEqual([K]);
    expect(cs.requests().map((c) => c.key)).toEqual([other]);
    expect(cs.keyChanges().map((c) => c.keyChangeOf)).toEqual([K]);
  });

  it('renames and verifies optimistically, and rolls back on failure', async () => {
    const { client } = fakeClient({
      contacts: async () => [contact({})],
      summaries: async () => [],
      renameContact: async () => Promise.reject(new Error('nope')),
      rejectContact: async () => Promise.reject(new Error('nope')),
    });
    const cs = createContacts(client);
    await cs.load();
    const p = cs.rename(K, 'robert');
    expect(cs.byKey(K)!.name).toBe('robert');
    await expect(p).rejects.toThrow('nope');
    expect(cs.byKey(K)!.name).toBe('bob');
    await expect(cs.reject(K)).rejects.toThrow('nope');
    expect(cs.state.list).toHaveLength(1);
  });
});

describe('createSession and createTheme', () => {
  it('follows the identity status and the connection', async () => {
    const { client, emit } = fakeClient({
      status: async () => ({ state: 'locked', name: 'a', id: '00' }),
      unlock: async () => ({ state: 'ready', name: 'a', id: '00', relay: { url: 'ws://x/', x: '', ed: '', source: 'stored' }, protected: true }),
      connection: async () => ({ state: 'connecting', attempt: 1 }),
      setOnline: async () => {},
    });
    const s = createSession(client);
    await s.load();
    expect(s.state.status.state).toBe('locked');
    await s.unlock('pw');
    expect(s.state.status.state).toBe('ready');
    expect(s.state.connection.state).toBe('connecting');
    emit('state', { state: 'online', relayTime: 1, mailboxPending: 0 });
    expect(s.state.connection.state).toBe('online');
    await s.setOnline(false);
    expect(s.state.online).toBe(false);
  });

  it('stores the theme and applies it to the root element', () => {
    const saved = new Map<string, string>();
    const storage = { getItem: (k: string) => saved.get(k) ?? null, setItem: (k: string, v: string) => void saved.set(k, v) };
    const root = { dataset: {} as DOMStringMap };
    const t = createTheme(storage, root);
    expect(t.state.mode).toBe('system');
    t.set('dark');
    expect(root.dataset.theme).toBe('dark');
    expect(saved.get(THEME_KEY)).toBe('dark');
    expect(createTheme(storage, { dataset: {} as DOMStringMap }).state.mode).toBe('dark'); // kept for the next start
    t.set('system');
    expect(root.dataset.theme).toBeUndefined(); // the system's choice: no attribute
    expect(createTheme(storage, root).state.mode).toBe('system');
    saved.set(THEME_KEY, 'neon');
    expect(createTheme(storage, root).state.mode).toBe('system'); // an unknown stored value is ignored
  });
});
