/** Settings: theme, notifications (asked on a click; components/NotificationSettings.tsx), this identity and its relay. */
import { For, Show } from 'solid-js';
import { CallSettings } from '../calls/CallSettings.tsx';
import { Icon } from '../components/Icon.tsx';
import { NotificationSettings } from '../components/NotificationSettings.tsx';
import { useApp } from '../context.ts';
import type { ThemeMode } from '../stores/theme.ts';

const THEMES: { mode: ThemeMode; label: string }[] = [
  { mode: 'system', label: 'Like the system' },
  { mode: 'light', label: 'Light' },
  { mode: 'dark', label: 'Dark' },
];

export default function Settings() {
  const app = useApp();
  const status = () => (app.session.state.status.state === 'ready' ? app.session.state.status : undefined);

  return (
    <section class="page" aria-labelledby="settings-title">
      <header class="bar">
        <button type="button" class="icon-button back" onClick={() => app.router.navigate('/')}>
          <Icon name="back" />
          <span class="sr-only">Back</span>
        </button>
        <h2 id="settings-title">Settings</h2>
      </header>
      <div class="page-body">
        <fieldset class="card">
          <legend>Theme</legend>
          <For each={THEMES}>
            {(t) => (
              <label class="check">
                <input type="radio" name="theme" value={t.mode} checked={app.theme.state.mode === t.mode} onChange={() => app.theme.set(t.mode)} />
                <span>{t.label}</span>
              </label>
            )}
          </For>
        </fieldset>
        <NotificationSettings />
        <CallSettings />
        <Show when={status()}>
          {(s) => (
            <section class="card" aria-labelledby="me-title">
              <h3 id="me-title">This device</h3>
              <dl class="facts">
                <dt>Name</dt>
                <dd>{s().name || '—'}</dd>
                <dt>Id</dt>
                <dd class="mono">{s().id}</dd>
                <dt>Keys at rest</dt>
                <dd>{s().protected ? 'Encrypted with your passphrase' : 'Not encrypted (no passphrase)'}</dd>
                <dt>Relay</dt>
                <dd class="mono">{s().relay.url}</dd>
                <Show when={s().relay.fingerprint}>
                  <dt>Relay fingerprint</dt>
                  <dd class="mono">{s().relay.fingerprint}</dd>
                </Show>
              </dl>
              <Show when={s().relayChanged}>
                {(r) => (
                  <div class="warning" role="alert">
                    <p>
                      The relay now publishes different keys ({r().fingerprint ?? r().x.slice(0, 16)}). Parley keeps using the keys it pinned. Trust the new keys only if
                      the relay's operator told you they changed.
                    </p>
                    <button type="button" class="danger" onClick={() => void app.session.trustRelay().catch((err) => app.toast((err as Error).message))}>
                      Trust the new relay keys
                    </button>
                  </div>
                )}
              </Show>
            </section>
          )}
        </Show>
      </div>
    </section>
  );
}
