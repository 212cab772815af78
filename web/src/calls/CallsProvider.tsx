/**
 * Mounts calls in the app: creates the call engine once (it must hear `signal` events from the
 * start), gives it to the screens through useCalls(), and shows the call screen over whatever
 * route is open. `window.parleyCallDebug` exposes the call's state and live link statistics
 * (tests and the bench read inbound-rtp bytes through it; it holds no secret).
 *
 * The call screen is a lazy chunk, fetched when a call starts or rings (the service worker
 * precaches it): the first screen never needs it. calls.css stays here, in the app's CSS, since
 * the call buttons and the call log use it too.
 */
import { Show, Suspense, createContext, createEffect, lazy, onCleanup, useContext, type JSX } from 'solid-js';
import type { AppCtx } from '../context.ts';
import { browserNotifyEnv } from '../ui-thread/notify.ts';
import { createCalls, type Calls } from './calls.ts';
import './calls.css';

const CallScreen = lazy(() => import('./CallScreen.tsx').then((m) => ({ default: m.CallScreen })));

const CallsContext = createContext<Calls>();

export function useCalls(): Calls | undefined {
  return useContext(CallsContext);
}

export interface CallDebug {
  state(): { phase?: string; peers: { key: string; status: string; connected: boolean }[]; tone: string };
  stats(): ReturnType<Calls['linkStats']>;
}

export function CallsProvider(props: { app: AppCtx; children: JSX.Element }) {
  const app = props.app;
  const me = () => {
    const s = app.session.state.status;
    return s.state === 'ready' ? s.key : undefined;
  };
  const calls = createCalls(app.client, {
    me,
    contact: (key) => app.contacts.byKey(key),
    contacts: () => app.contacts.conversations().filter((c) => c.state === 'accepted'),
    toast: app.toast,
    notify: (title, body, contact) => {
      const env = browserNotifyEnv();
      if (env.hidden() && env.permission() === 'granted') void env.show(title, { body, tag: 'parley-call', icon: '/icons/icon-192.png', data: { url: `/c/${contact}` } }).catch(() => undefined);
    },
  });
  createEffect(() => me() && calls.ready());

  const debug: CallDebug = {
    state: () => ({ phase: calls.state.call?.phase, peers: (calls.state.call?.peers ?? []).map((p) => ({ key: p.key, status: p.status, connected: p.connected })), tone: calls.state.tone }),
    stats: () => calls.linkStats(),
  };
  (window as unknown as { parleyCallDebug?: CallDebug }).parleyCallDebug = debug;
  const leave = () => calls.hangup();
  window.addEventListener('pagehide', leave);
  onCleanup(() => window.removeEventListener('pagehide', leave));

  return (
    <CallsContext.Provider value={calls}>
      {props.children}
      <Show when={calls.state.call}>
        {/* its own boundary: while the chunk loads, nothing else is suspended */}
        <Suspense>
          <CallScreen calls={calls} contacts={calls.contacts} />
        </Suspense>
      </Show>
    </CallsContext.Provider>
  );
}
