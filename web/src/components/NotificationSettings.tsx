/**
 * The Notifications card of Settings: permission is asked only from these buttons. With a
 * notifier (notifier.json), turning notifications on also subscribes to push, so "New message"
 * arrives while Parley is closed; without one, in a browser without the Push API, or when the
 * notifier does not push to this browser's push service, notifications show only while it runs.
 */
import { Match, Switch, createSignal, onMount } from 'solid-js';
import { useApp } from '../context.ts';
import { pushFor, type PushStatus } from '../ui-thread/push.ts';

export function NotificationSettings() {
  const app = useApp();
  const push = pushFor(app.client);
  const [s, setS] = createSignal<PushStatus>({ state: 'busy' });
  const run = (action: () => Promise<PushStatus>) => void action().then(setS, (err) => setS({ state: 'error', message: (err as Error).message }));
  onMount(() => run(push.refresh));
  const inPage = () => typeof Notification !== 'undefined' && Notification.permission === 'granted';
  const state = () => s().state;

  return (
    <section class="card" aria-labelledby="notif-title" data-testid="notifications" data-state={state()}>
      <h3 id="notif-title">Notifications</h3>
      <p class="muted small">A notification says who wrote while Parley is open, and only "New message" or "Incoming call" while it is closed: never what.</p>
      <Switch>
        <Match when={state() === 'busy'}>
          <p aria-busy="true">One moment…</p>
        </Match>
        <Match when={state() === 'on'}>
          <p>Notifications are on, also while Parley is closed.</p>
          <button type="button" onClick={() => run(push.disable)}>
            Turn off notifications while closed
          </button>
        </Match>
        <Match when={state() === 'off' && inPage()}>
          <p>Notifications are on while Parley is open.</p>
          <button type="button" onClick={() => run(push.enable)}>
            Also notify me while Parley is closed
          </button>
        </Match>
        <Match when={state() === 'off'}>
          <button type="button" onClick={() => run(push.enable)}>
            Turn on notifications
          </button>
        </Match>
        <Match when={state() === 'unavailable'}>
          <p>Notifications are on while Parley is open. This server offers no push notifications for when it is closed.</p>
        </Match>
        <Match when={state() === 'local'}>
          <p>Notifications are on while Parley is open. This browser cannot receive push notifications while Parley is closed.</p>
        </Match>
        <Match when={s().state === 'refused' && (s() as { message: string })}>
          {(e) => (
            <>
              <p>{inPage() ? 'Notifications are on while Parley is open. ' : ''}This server cannot notify this browser while Parley is closed: {e().message}.</p>
              <button type="button" onClick={() => run(push.enable)}>
                Try again
              </button>
            </>
          )}
        </Match>
        <Match when={state() === 'blocked'}>
          <p>Notifications are blocked in the browser's or the system's settings for Parley.</p>
        </Match>
        <Match when={state() === 'unsupported'}>
          <p>This browser has no notifications.</p>
        </Match>
        <Match when={s().state === 'error' && (s() as { message: string })}>
          {(e) => (
            <>
              <p class="form-error" role="alert">
                Push notifications could not be turned on: {e().message}
              </p>
              <button type="button" onClick={() => run(push.enable)}>
                Try again
              </button>
            </>
          )}
        </Match>
      </Switch>
    </section>
  );
}
