/**
 * The app shell: picks the screen from the identity's status (onboarding, unlock, main), wires
 * global events (network, notifications, invite links), and lays out the list and the
 * conversation side by side on wide screens, one at a time on phones.
 */
import { Match, Show, Suspense, Switch, createEffect, createSignal, lazy, on, onCleanup, onMount } from 'solid-js';
import { announceContactEvents } from './announce.ts';
import { installAppHooks } from './app-hooks.ts';
import { CallsProvider } from './calls/CallsProvider.tsx';
import { AppContext, type AppCtx } from './context.ts';
import { EmptyState } from './components/EmptyState.tsx';
import { createRouter } from './router.ts';
import { Conversations } from './routes/Conversations.tsx';
import { Onboarding } from './routes/Onboarding.tsx';
import { Unlock } from './routes/Unlock.tsx';
import { skipToMain } from './skip-link.ts';
import type { Client } from './ui-thread/client.ts';
import { takeInviteFromAddress } from './ui-thread/invite-links.ts';
import { browserNotifyEnv, notifyIncoming } from './ui-thread/notify.ts';
import { createContacts } from './stores/contacts.ts';
import { createSession } from './stores/session.ts';
import { createTheme } from './stores/theme.ts';

/** Performance mark set once the conversations list is loaded (web/bench reads it). */
export const USABLE_MARK = 'parley:usable';

const ConversationView = lazy(() => import('./routes/Conversation.tsx'));
const AddContact = lazy(() => import('./routes/AddContact.tsx'));
const Requests = lazy(() => import('./routes/Requests.tsx'));
const ContactDetails = lazy(() => import('./routes/ContactDetails.tsx'));
const Settings = lazy(() => import('./routes/Settings.tsx'));

export function App(props: { client: Client }) {
  const client = props.client;
  const router = createRouter();
  const session = createSession(client, navigator.onLine);
  const contacts = createContacts(client);
  const theme = createTheme(safeStorage(), document.documentElement);
  const [pendingInvite, setPendingInvite] = createSignal<string>();
  const [toast, setToast] = createSignal('');
  let toastTimer: ReturnType<typeof setTimeout> | undefined;

  // An invite link (opened now, or while the app runs): kept for the worker to check, its secret
  // dropped from the address bar. Other fragments are left alone.
  const takeInvite = () => takeInviteFromAddress(window, setPendingInvite);
  takeInvite();
  const onHash = () => takeInvite() && status().state === 'ready' && router.navigate('/add');

  const ctx: AppCtx = {
    client,
    session,
    contacts,
    theme,
    router,
    pendingInvite,
    setPendingInvite,
    toast(message) {
      setToast(message);
      clearTimeout(toastTimer);
      toastTimer = setTimeout(() => setToast(''), 5000);
    },
  };

  const status = () => session.state.status;
  const hooks = installAppHooks(ctx, () => status().state === 'ready');
  onCleanup(() => hooks.dispose());
  createEffect(
    on(
      () => status().state,
      (s) => {
        if (s !== 'ready') return;
        contacts
          .load()
          .then(() => {
            performance.mark(USABLE_MARK);
            hooks.ready();
          })
          .catch((err) => ctx.toast((err as Error).message));
        if (pendingInvite()) router.navigate('/add');
      },
    ),
  );
  createEffect(() => {
    const n = contacts.unreadTotal();
    document.title = n > 0 ? `(${n}) Parley` : 'Parley';
  });

  const goOnline = () => void session.setOnline(true);
  const goOffline = () => void session.setOnline(false);
  const onVisible = () => {
    if (document.visibilityState === 'visible') client.api.resume().catch(() => undefined);
  };
  onMount(() => {
    window.addEventListener('online', goOnline);
    window.addEventListener('offline', goOffline);
    window.addEventListener('hashchange', onHash);
    document.addEventListener('visibilitychange', onVisible);
    if (!navigator.onLine) goOffline();
    session.load().catch(() => undefined);
  });
  onCleanup(() => {
    window.removeEventListener('online', goOnline);
    window.removeEventListener('offline', goOffline);
    document.removeEventListener('visibilitychange', onVisible);
    window.removeEventListener('hashchange', onHash);
  });
  const offIncoming = client.on('incoming', (m) => void notifyIncoming(browserNotifyEnv(), m).catch(() => undefined));
  const offError = client.on('error', (e) => console.warn(`parley worker: ${e.context}: ${e.message}`));
  const offAnnounce = announceContactEvents(client, ctx.toast, () => router.route().name);
  onCleanup(() => {
    offIncoming();
    offError();
    offAnnounce();
  });

  const route = () => router.route();
  const keyOf = (name: 'chat' | 'contact') => {
    const r = route();
    return r.name === name ? r.key : undefined;
  };

  return (
    <AppContext.Provider value={ctx}>
      <a href="#main" class="skip-link" onClick={(e) => skipToMain(e)}>
        Skip to content
      </a>
      {/* The toast takes its own row above the app instead of floating over it: it can never
          cover a control or the name it talks about, at any width. */}
      <div class="shell">
      <div class="toast" role="status" aria-live="polite" data-testid="toast" ref={(el) => followToastHeight(el)}>
        <Show when={toast()}>
          <p>{toast()}</p>
        </Show>
      </div>
      <div class="shell-body">
      <CallsProvider app={ctx}>
      <Switch>
        <Match when={status().state === 'loading'}>
          <main class="centered" id="main" aria-busy="true">
            <p class="muted">Opening Parley…</p>
          </main>
        </Match>
        <Match when={status().state === 'none'}>
          <Onboarding />
        </Match>
        <Match when={status().state === 'locked' && status()}>{(s) => <Unlock name={(s() as { name: string }).name} />}</Match>
        <Match when={status().state === 'busy'}>
          <main class="centered" id="main">
            <p class="card">Parley is open in another tab or window. Close it there to use it here.</p>
          </main>
        </Match>
        <Match when={status().state === 'error' && status()}>
          {(s) => (
            <main class="centered" id="main">
              <p class="card form-error" role="alert">
                Parley cannot start: {(s() as { message: string }).message}
              </p>
            </main>
          )}
        </Match>
        <Match when={status().state === 'ready'}>
          <div class={`layout ${route().name === 'home' ? 'show-list' : 'show-main'}`} data-testid="app-ready">
            <Conversations />
            <main class="main" id="main" tabindex="-1">
              <Suspense fallback={<p class="muted empty">Loading…</p>}>
                <Switch fallback={<EmptyState title="No conversation open" text="Choose a conversation on the left, or add a contact with +." />}>
                  <Match when={keyOf('chat')} keyed>
                    {(key) => <ConversationView contactKey={key} />}
                  </Match>
                  <Match when={keyOf('contact')} keyed>
                    {(key) => <ContactDetails contactKey={key} />}
                  </Match>
                  <Match when={route().name === 'add'}>
                    <AddContact />
                  </Match>
                  <Match when={route().name === 'requests'}>
                    <Requests />
                  </Match>
                  <Match when={route().name === 'settings'}>
                    <Settings />
                  </Match>
                </Switch>
              </Suspense>
            </main>
          </div>
        </Match>
      </Switch>
      </CallsProvider>
      </div>
      </div>
    </AppContext.Provider>
  );
}

function safeStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/**
 * The call screen is fixed over the whole app but starts below the toast's row (calls.css reads
 * --toast-h), so a toast during a call (a camera that failed) is seen and covers no control.
 */
function followToastHeight(el: HTMLElement): void {
  if (typeof ResizeObserver === 'undefined') return;
  const set = () => document.documentElement.style.setProperty('--toast-h', `${el.offsetHeight}px`);
  const observer = new ResizeObserver(set);
  observer.observe(el);
  set();
  onCleanup(() => observer.disconnect());
}
