/** The relay connection, always visible: online, connecting, or offline with the next retry. */
import { Show, createSignal, onCleanup } from 'solid-js';
import type { ConnectionState } from '../messages/protocol.ts';

export interface ConnectionBadgeProps {
  state: ConnectionState;
  /** The page's own network state. */
  online: boolean;
  onRetry: () => void;
}

export function ConnectionBadge(props: ConnectionBadgeProps) {
  const [now, setNow] = createSignal(Date.now());
  const timer = setInterval(() => setNow(Date.now()), 1000);
  onCleanup(() => clearInterval(timer));

  const kind = () => (props.state.state === 'online' ? 'online' : props.state.state === 'offline' || props.state.state === 'stopped' ? 'offline' : 'connecting');
  const label = () => {
    const s = props.state;
    if (!props.online) return 'Offline: no network';
    switch (s.state) {
      case 'online':
        return 'Online';
      case 'connecting':
        return s.attempt > 1 ? `Connecting (attempt ${s.attempt})` : 'Connecting';
      case 'handshaking':
        return 'Connecting';
      case 'offline': {
        // another node of the relay is dialled at once (spec documents.well_known endpoints)
        if (s.failover !== undefined) return 'Switching to another relay node';
        if (s.error?.code === 'BAD_RELAY') return 'Relay keys do not match';
        const secs = Math.max(0, Math.ceil((s.retryAt - now()) / 1000));
        return secs > 0 ? `Offline, retrying in ${secs} s` : 'Offline, retrying';
      }
      default:
        return 'Not connected';
    }
  };

  return (
    <div class={`conn conn-${kind()}`} data-testid="connection" data-state={props.state.state}>
      <span class="conn-dot" aria-hidden="true" />
      <span role="status" aria-live="polite">
        {label()}
      </span>
      <Show when={props.state.state === 'offline' && props.online}>
        <button type="button" class="link-button" onClick={() => props.onRetry()}>
          Retry now
        </button>
      </Show>
    </div>
  );
}
