/**
 * Mounts calls in the app: gives the call engine to the screens through useCalls(), and shows the
 * call screen over whatever route is open. `window.parleyCallDebug` exposes the call's state and
 * live link statistics (tests and the bench read inbound-rtp bytes through it; it holds no secret).
 *
 * The call engine (calls.ts: the state machine, media, links, ring tone, call log) and the call
 * screen are lazy chunks, off the first load (web/bench): the engine is fetched once the
 * conversations are loaded (the screen is usable) and the page is idle, or at once when a call
 * message arrives first; the screen when a
 * call starts or rings. Call messages that arrive before the engine are held here and handed to
 * it (createCalls `held`), so a call that rings at start-up is not lost. The service worker
 * precaches both chunks, so calls work offline-first like the rest. calls.css stays here, in
 * the app's CSS, since the call buttons and the call log use it too.
 */
import { Show, Suspense, createContext, createEffect, createSignal, lazy, onCleanup, useContext, type Accessor, type JSX } from 'solid-js';
import type { AppCtx } from '../context.ts';
import type { SignalMessage } from '../messages/protocol.ts';
import { browserNotifyEnv } from '../ui-thread/notify.ts';
import type { Calls } from './calls.ts';
import './calls.css';

const CallScreen = lazy(() => import('./CallScreen.tsx').then((m) => ({ default: m.CallScreen })));

/** Call messages held until the engine is loaded (more are dropped: a flood cannot grow memory). */
const HELD_MAX = 64;
/** The longest the idle load waits for an idle moment. */
const IDLE_LOAD_TIMEOUT_MS = 2000;

const CallsContext = createContext<Accessor<Calls | undefined>>(() => undefined);

/** The call engine, once loaded (undefined before, and outside the provider). */
export function useCalls(): Accessor<Calls | undefined> {
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
  const [calls, setCalls] = createSignal<Calls>();
  const held: SignalMessage[] = [];
  const hold = app.client.on('signal', (s) => {
    if (held.length < HELD_MAX) held.push(s);
    void load();
  });
  let loading: Promise<void> | undefined;
  let disposed = false;

  function load(): Promise<void> {
    loading ??= import('./calls.ts').then(
      ({ createCalls }) => {
        if (disposed) return;
        const c = createCalls(app.client, {
          me,
          contact: (key) => app.contacts.byKey(key),
          contacts: () => app.contacts.conversations().filter((c) => c.state === 'accepted'),
          toast: app.toast,
          notify: (title, body, contact) => {
            const env = browserNotifyEnv();
            if (env.hidden() && env.permission() === 'granted') void env.show(title, { body, tag: 'parley-call', icon: '/icons/icon-192.png', data: { url: `/c/${contact}` } }).catch(() => undefined);
          },
          held: held.splice(0),
        });
        // same tick as createCalls subscribed: no message is missed or handed over twice
        hold();
        const debug: CallDebug = {
          state: () => ({ phase: c.state.call?.phase, peers: (c.state.call?.peers ?? []).map((p) => ({ key: p.key, status: p.status, connected: p.connected })), tone: c.state.tone }),
          stats: () => c.linkStats(),
        };
        (window as unknown as { parleyCallDebug?: CallDebug }).parleyCallDebug = debug;
        setCalls(c);
      },
      (err) => {
        // a chunk that could not be fetched: the next call message or start-up tries again
        loading = undefined;
        console.warn(`parley calls: loading the call engine: ${(err as Error)?.message ?? err}`);
      },
    );
    return loading;
  }

  createEffect(() => {
    if (!me() || !app.contacts.state.loaded || calls()) return;
    const idle = (globalThis as { requestIdleCallback?: (fn: () => void, o: { timeout: number }) => number }).requestIdleCallback;
    if (idle) idle(() => void load(), { timeout: IDLE_LOAD_TIMEOUT_MS });
    else setTimeout(() => void load(), 0);
  });
  createEffect(() => me() && calls()?.ready());

  const leave = () => calls()?.hangup();
  window.addEventListener('pagehide', leave);
  onCleanup(() => {
    disposed = true;
    hold();
    window.removeEventListener('pagehide', leave);
  });

  return (
    <CallsContext.Provider value={calls}>
      {props.children}
      <Show when={calls()?.state.call && calls()}>
        {(c) => (
          // its own boundary: while the screen's chunk loads, nothing else is suspended
          <Suspense>
            <CallScreen calls={c()} contacts={c().contacts} />
          </Suspense>
        )}
      </Show>
    </CallsContext.Provider>
  );
}
