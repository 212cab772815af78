/**
 * Settings → Calls: route every call through the relay's TURN server, so the other side never
 * learns this device's IP address (iceTransportPolicy 'relay'; needs TURN on the relay).
 */
import { createSignal } from 'solid-js';
import { RELAY_ONLY_KEY } from './calls.ts';

export function CallSettings() {
  const storage = (() => {
    try {
      return window.localStorage;
    } catch {
      return undefined;
    }
  })();
  const [on, setOn] = createSignal(storage?.getItem(RELAY_ONLY_KEY) === '1');
  const change = (v: boolean) => {
    setOn(v);
    if (v) storage?.setItem(RELAY_ONLY_KEY, '1');
    else storage?.removeItem(RELAY_ONLY_KEY);
  };
  return (
    <fieldset class="card">
      <legend>Calls</legend>
      <label class="check">
        <input type="checkbox" checked={on()} data-testid="calls-relay-only" onChange={(e) => change(e.currentTarget.checked)} />
        <span>Always relay calls through the server (hides your IP address from the people you call; may lower quality)</span>
      </label>
    </fieldset>
  );
}
