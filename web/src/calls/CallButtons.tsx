/**
 * The conversation header's call buttons (its `actions` slot): a voice call and a video call
 * with this contact, and a group call with them and others (GroupCallPicker.tsx). Disabled
 * until the contact has accepted, and while a call is going on.
 */
import { Show } from 'solid-js';
import type { Contact } from '../messages/protocol.ts';
import { CallIcon } from './CallIcon.tsx';
import { useCalls } from './CallsProvider.tsx';
import { GroupCallPicker } from './GroupCallPicker.tsx';

export function CallButtons(props: { contact: Contact; onError: (err: unknown) => void }) {
  const calls = useCalls();
  const disabled = () => {
    const call = calls()?.state.call;
    return props.contact.state !== 'accepted' || (call !== undefined && call.phase !== 'ended');
  };
  const start = (video: boolean) => calls()?.start(props.contact.key, video).catch(props.onError);
  return (
    <Show when={calls()}>
      {(c) => (
        <>
          <button type="button" class="icon-button" disabled={disabled()} data-testid="call-audio" onClick={() => start(false)}>
            <CallIcon name="phone" />
            <span class="sr-only">Voice call</span>
          </button>
          <button type="button" class="icon-button" disabled={disabled()} data-testid="call-video" onClick={() => start(true)}>
            <CallIcon name="video" />
            <span class="sr-only">Video call</span>
          </button>
          <GroupCallPicker calls={c()} contact={props.contact} disabled={disabled()} onError={props.onError} />
        </>
      )}
    </Show>
  );
}
