/** The conversations list: newest first, with unread counts, requests and key-change warnings. */
import { For, Show } from 'solid-js';
import { ConnectionBadge } from '../components/ConnectionBadge.tsx';
import { ConversationItem } from '../components/ConversationItem.tsx';
import { Icon } from '../components/Icon.tsx';
import { KeyChangeWarning } from '../components/KeyChangeWarning.tsx';
import { useApp } from '../context.ts';

export function Conversations() {
  const app = useApp();
  const { contacts, router, session } = app;
  const activeKey = () => {
    const r = router.route();
    return r.name === 'chat' || r.name === 'contact' ? r.key : undefined;
  };
  const nav = (to: string) => (e: MouseEvent) => {
    e.preventDefault();
    router.navigate(to);
  };

  return (
    <nav class="sidebar" aria-label="Conversations">
      <header class="bar">
        <h1 class="app-title">Parley</h1>
        <div class="bar-actions">
          <a href="/add" class="icon-button" onClick={nav('/add')} data-testid="add-contact">
            <Icon name="plus" />
            <span class="sr-only">Add contact</span>
          </a>
          <a href="/settings" class="icon-button" onClick={nav('/settings')}>
            <Icon name="gear" />
            <span class="sr-only">Settings</span>
          </a>
        </div>
      </header>
      <ConnectionBadge state={session.state.connection} online={session.state.online} onRetry={() => void session.reconnect()} />
      <Show when={session.state.status.state === 'ready' && session.state.status.relayChanged}>
        <div class="warning" role="alert">
          The relay now presents different keys. Parley keeps the keys it trusted.{' '}
          <a href="/settings" onClick={nav('/settings')}>
            Review
          </a>
        </div>
      </Show>
      <For each={contacts.keyChanges()}>
        {(req) => <KeyChangeWarning request={req} {...(contacts.byKey(req.keyChangeOf!) ? { previous: contacts.byKey(req.keyChangeOf!)! } : {})} onReview={() => router.navigate('/requests')} />}
      </For>
      <Show when={contacts.requests().length > 0}>
        <a href="/requests" class="requests-link" onClick={nav('/requests')} data-testid="requests-link">
          Contact requests <span class="badge">{contacts.requests().length}</span>
        </a>
      </Show>
      <Show
        when={contacts.conversations().length > 0}
        fallback={
          <Show when={contacts.state.loaded}>
            <div class="empty">
              <p>No conversations yet.</p>
              <a href="/add" class="button primary" onClick={nav('/add')}>
                Add a contact
              </a>
            </div>
          </Show>
        }
      >
        <ul class="conv-list" data-testid="conversations">
          <For each={contacts.conversations()}>
            {(c) => (
              <ConversationItem
                contact={c}
                {...(contacts.state.summaries[c.key]?.last ? { last: contacts.state.summaries[c.key]!.last! } : {})}
                unread={contacts.unread(c.key)}
                active={activeKey() === c.key}
                onOpen={() => router.navigate(`/c/${c.key}`)}
              />
            )}
          </For>
        </ul>
      </Show>
    </nav>
  );
}
