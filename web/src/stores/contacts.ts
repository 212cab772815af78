/**
 * createContacts: contacts, pending requests and each conversation's summary (last message,
 * unread ids), kept current from worker events. Optimistic actions (rename, verify, reject,
 * remove) change the state first, roll back if the worker fails, and rethrow.
 */
import { createStore, produce, reconcile } from 'solid-js/store';
import { isUnread } from '../shared/unread.ts';
import type { Client } from '../ui-thread/client.ts';
import type { Contact, HistoryItem, Summary } from '../messages/protocol.ts';

export interface ContactsState {
  list: Contact[];
  summaries: Record<string, Summary>;
  loaded: boolean;
}

/** Newest first; conversations without messages by creation time. */
function lastAt(c: Contact, s: Summary | undefined): number {
  return s?.last?.sentAt ?? c.createdAt;
}

export function createContacts(client: Client) {
  const [state, setState] = createStore<ContactsState>({ list: [], summaries: {}, loaded: false });

  client.on('contacts', (list) => setState('list', reconcile(list, { key: 'key' })));
  client.on('history', (item) => applyItem(item));

  function applyItem(item: HistoryItem): void {
    if (item.kind === 'pending') return;
    setState(
      'summaries',
      produce((all) => {
        const s = (all[item.contact] ??= { contact: item.contact, unread: [] });
        if (!s.last || s.last.id === item.id || item.seq >= s.last.seq) s.last = item;
        const has = s.unread.includes(item.id);
        if (isUnread(item) && !has) s.unread.push(item.id);
        if (!isUnread(item) && has) s.unread = s.unread.filter((id) => id !== item.id);
      }),
    );
  }

  /** Runs `change` now; if `action` fails, restores the list and rethrows. */
  async function optimistic<T>(change: () => void, action: () => Promise<T>): Promise<T> {
    const before = state.list.map((c) => ({ ...c }));
    change();
    try {
      return await action();
    } catch (err) {
      setState('list', reconcile(before, { key: 'key' }));
      throw err;
    }
  }

  const byKey = (key: string) => state.list.find((c) => c.key === key);
  const index = (key: string) => state.list.findIndex((c) => c.key === key);

  return {
    state,
    byKey,
    /** Contacts to chat with (accepted, or requested: messages wait for the accept), newest first. */
    conversations: () =>
      state.list.filter((c) => c.state !== 'pending').sort((a, b) => lastAt(b, state.summaries[b.key]) - lastAt(a, state.summaries[a.key])),
    requests: () => state.list.filter((c) => c.state === 'pending'),
    /** Contacts whose keys another request claims to replace (a key change). */
    keyChanges: () => state.list.filter((c) => c.state === 'pending' && c.keyChangeOf),
    unread: (key: string) => state.summaries[key]?.unread.length ?? 0,
    unreadTotal: () => Object.values(state.summaries).reduce((n, s) => n + s.unread.length, 0),

    async load(): Promise<void> {
      const [list, summaries] = await Promise.all([client.api.contacts(), client.api.summaries()]);
      setState({ list, summaries: Object.fromEntries(summaries.map((s) => [s.contact, s])), loaded: true });
    },
    applyItem,
    /** Marks messages read locally (the conversation store tells the worker). */
    markedRead(key: string, ids: readonly string[]): void {
      if (!state.summaries[key]) return;
      setState('summaries', key, 'unread', (u) => u.filter((id) => !ids.includes(id)));
    },
    async accept(key: string, name?: string): Promise<Contact> {
      const i = index(key);
      return optimistic(
        () => i >= 0 && setState('list', i, 'state', 'accepted'),
        () => client.api.acceptContact({ contact: key, ...(name ? { name } : {}) }),
      );
    },
    reject: (key: string) => optimistic(() => setState('list', (l) => l.filter((c) => c.key !== key)), () => client.api.rejectContact({ contact: key })),
    remove: (key: string) => optimistic(() => setState('list', (l) => l.filter((c) => c.key !== key)), () => client.api.removeContact({ contact: key })),
    rename: (key: string, name: string) => optimistic(() => setState('list', index(key), 'name', name), () => client.api.renameContact({ contact: key, name })),
    verify: (key: string, verified: boolean) => optimistic(() => setState('list', index(key), 'verified', verified), () => client.api.verifyContact({ contact: key, verified })),
    async add(invite: string, o: { name?: string; note?: string } = {}): Promise<Contact> {
      const c = await client.api.addContact({ invite, ...o });
      if (!byKey(c.key)) setState('list', (l) => [...l, c]);
      return c;
    },
  };
}

export type Contacts = ReturnType<typeof createContacts>;
