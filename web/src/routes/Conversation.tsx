/** One conversation: history, receipts, files, edits and deletes, and the composer. */
import { For, Show, createEffect, createMemo, createSignal, onCleanup, onMount } from 'solid-js';
import { Composer } from '../components/Composer.tsx';
import { ConversationHeader } from '../components/ConversationHeader.tsx';
import { KeyChangeWarning } from '../components/KeyChangeWarning.tsx';
import { EmptyState } from '../components/EmptyState.tsx';
import { MessageBubble } from '../components/MessageBubble.tsx';
import { placeRows } from '../components/grouping.ts';
import { CallButtons } from '../calls/CallButtons.tsx';
import { CallLogItem, useCallLog } from '../calls/CallLogItem.tsx';
import { isCallEntry, mergeCallLog } from '../calls/log.ts';
import { useApp } from '../context.ts';
import { createConversation } from '../stores/conversation.ts';
import type { HistoryItem } from '../messages/protocol.ts';
import { isRequestExpired, requestExpiresAt } from '@parley/runtime';

export default function ConversationView(props: { contactKey: string }) {
  const app = useApp();
  const conv = createConversation(app.client, props.contactKey);
  const contact = () => app.contacts.byKey(props.contactKey);
  const [editing, setEditing] = createSignal<HistoryItem>();
  const [visible, setVisible] = createSignal(document.visibilityState === 'visible');
  const callLog = useCallLog(props.contactKey);
  let list: HTMLDivElement | undefined;

  const onVisibility = () => setVisible(document.visibilityState === 'visible');
  document.addEventListener('visibilitychange', onVisibility);
  onCleanup(() => {
    document.removeEventListener('visibilitychange', onVisibility);
    conv.dispose();
  });
  onMount(() => conv.load().catch((err) => app.toast((err as Error).message)));

  // Read receipts: what is on screen while the page is visible has been read.
  createEffect(() => {
    const ids = conv.unreadIds();
    if (!visible() || ids.length === 0 || contact()?.state !== 'accepted') return;
    app.contacts.markedRead(props.contactKey, ids);
    conv.markRead(ids).catch((err) => app.toast((err as Error).message));
  });

  // Keep the newest message in view.
  createEffect(() => {
    void conv.state.items.length;
    void callLog().length;
    queueMicrotask(() => list && (list.scrollTop = list.scrollHeight));
  });

  // the clock for the request's expiry notice (a minute is fine enough for a bound of days)
  const [now, setNow] = createSignal(Date.now());
  const clock = setInterval(() => setNow(Date.now()), 60_000);
  onCleanup(() => clearInterval(clock));
  const rows = createMemo(() => mergeCallLog(conv.state.items, callLog()));
  const places = createMemo(() => placeRows(rows().map((r) => (isCallEntry(r) ? { side: 'call', at: r.at } : { side: r.dir, at: r.sentAt }))));
  const connection = () => app.session.state.connection.state;
  const fail = (err: unknown) => app.toast((err as Error).message);
  /** A file's speed, why it ended, and its controls (read from the store when the view reads them). */
  const transferOf = (fileId: string) => {
    const rate = conv.state.rates[fileId];
    const ended = conv.state.ended[fileId];
    return {
      ...(rate ? { rate } : {}),
      ...(ended ? { ended } : {}),
      onPause: () => void conv.pauseFile(fileId).catch(fail),
      onResume: () => void conv.resumeFile(fileId).catch(fail),
      onCancel: () => void conv.cancelFile(fileId).catch(fail),
      onRetry: () => void conv.retryFile(fileId).catch(fail),
    };
  };
  const keyChange = () => app.contacts.requests().find((r) => r.keyChangeOf === props.contactKey);

  return (
    <Show when={contact()} fallback={<p class="empty">This contact does not exist.</p>}>
      {(c) => (
        <section class="conversation" aria-label={`Conversation with ${c().name || 'contact'}`}>
          <ConversationHeader contact={c()} onBack={() => app.router.navigate('/')} onDetails={() => app.router.navigate(`/contact/${c().key}`)} actions={<CallButtons contact={c()} onError={fail} />} />
          <Show when={keyChange()}>{(req) => <KeyChangeWarning request={req()} previous={c()} onReview={() => app.router.navigate('/requests')} />}</Show>
          {/* the sidebar (with the connection line) is hidden on phones: say it here too */}
          <Show when={!app.session.state.online || connection() === 'offline' || connection() === 'stopped'}>
            <p class="notice notice-offline" role="status" data-testid="conversation-offline">
              {app.session.state.online ? 'Not connected to the relay.' : 'Offline.'} Messages you write wait and go out when you are back online.
            </p>
          </Show>
          <Show when={c().state === 'requested'}>
            {/* The invite's owner answers nothing to a request it drops (an invite already used),
                so the bound is said from the start, and the expiry plainly when it comes. */}
            <Show
              when={isRequestExpired(c(), now())}
              fallback={
                <p class="notice" data-testid="awaiting-accept">
                  Waiting for {c().name || 'them'} to accept your request. Messages you write now are sent once they do. If there is no answer by{' '}
                  {new Date(requestExpiresAt(c())!).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })}, the request expires: maybe the invite
                  was already used by someone else.
                </p>
              }
            >
              <div class="notice notice-offline" role="alert" data-testid="request-expired">
                <p>
                  Your request to {c().name || 'this contact'} expired without an answer. If the invite had already been used, they never saw it. Ask{' '}
                  {c().name || 'them'} for a new invite link, then remove this contact.
                </p>
                <button type="button" class="danger" onClick={() => void app.contacts.remove(c().key).then(() => app.router.navigate('/'), fail)}>
                  Remove {c().name || 'contact'}
                </button>
              </div>
            </Show>
          </Show>
          <div class="messages" ref={list} role="log" aria-live="polite" aria-label="Messages" tabindex="0" data-testid="messages">
            <Show when={conv.state.loaded && rows().length === 0 && c().state === 'accepted'}>
              <EmptyState title="No messages yet" text={`Say hello to ${c().name || 'your contact'}. Everything you write is end-to-end encrypted.`} />
            </Show>
            <ol class="message-list">
            <For each={rows()}>
              {(item, i) => (
                <>
                  <Show when={places()[i()]?.day}>
                    {(day) => (
                      <li class="day-sep" data-testid="day-separator">
                        <span>{day()}</span>
                      </li>
                    )}
                  </Show>
                  {isCallEntry(item) ? <CallLogItem entry={item} /> : (
                    <MessageBubble
                      item={item}
                      groupStart={places()[i()]?.groupStart ?? true}
                      groupEnd={places()[i()]?.groupEnd ?? true}
                      {...(item.file && conv.state.progress[item.file.fileId] ? { progress: conv.state.progress[item.file.fileId]! } : {})}
                      {...(item.file ? { transfer: transferOf(item.file.fileId) } : {})}
                      loadFile={(fileId) => app.client.api.fileBytes({ contact: props.contactKey, fileId })}
                      onEdit={(i) => setEditing(i)}
                      onDelete={(i) => conv.remove(i.id).catch(fail)}
                    />
                  )}
                </>
              )}
            </For>
            </ol>
          </div>
          <Composer
            {...(editing() ? { editing: editing()!.text ?? '' } : {})}
            onSend={(text) => conv.send(text)}
            onSaveEdit={async (text) => {
              const item = editing();
              setEditing(undefined);
              if (item) await conv.edit(item.id, text);
            }}
            onCancelEdit={() => setEditing(undefined)}
            onFiles={async (files) => {
              for (const f of files) await conv.sendFile(f);
            }}
            onError={fail}
          />
        </section>
      )}
    </Show>
  );
}
