/**
 * Starting a group call from a conversation: the header's "Group call" button opens a small
 * dialog listing accepted contacts as checkboxes (this conversation's contact ticked), bounded
 * by MAX_CALL_PARTICIPANTS (group.ts), then a voice or video call to all of them at once: one
 * call_invite each, carrying the whole roster. Keyboard: Tab through the boxes and buttons,
 * Space ticks, Escape closes and gives focus back to the button.
 */
import { For, Show, createSignal, createUniqueId, onCleanup } from 'solid-js';
import type { Contact } from '../messages/protocol.ts';
import { CallIcon } from './CallIcon.tsx';
import type { Calls } from './calls.ts';
import { MAX_OTHERS, canPick, togglePick } from './group.ts';

export function GroupCallPicker(props: { calls: Calls; contact: Contact; disabled: boolean; onError: (err: unknown) => void }) {
  const [open, setOpen] = createSignal(false);
  const [picked, setPicked] = createSignal<string[]>([]);
  const id = createUniqueId();
  let opener: HTMLButtonElement | undefined;
  let panel: HTMLDivElement | undefined;
  const others = () => props.calls.contacts().filter((c) => c.state === 'accepted');

  const show = () => {
    setPicked([props.contact.key]);
    setOpen(true);
    queueMicrotask(() => panel?.querySelector<HTMLInputElement>('input:not(:disabled)')?.focus());
  };
  const close = () => {
    setOpen(false);
    opener?.focus();
  };
  const start = (video: boolean) => {
    const keys = picked();
    setOpen(false);
    props.calls.start(keys, video).catch(props.onError);
  };
  // A click outside closes it, like any popup.
  const outside = (e: MouseEvent) => open() && !panel?.contains(e.target as Node) && !opener?.contains(e.target as Node) && setOpen(false);
  document.addEventListener('click', outside, true);
  onCleanup(() => document.removeEventListener('click', outside, true));

  return (
    <Show when={others().length > 1}>
      <span class="call-group">
        <button type="button" class="icon-button" ref={opener} disabled={props.disabled} aria-expanded={open()} aria-controls={id} data-testid="call-group" onClick={() => (open() ? close() : show())}>
          <CallIcon name="group" />
          <span class="sr-only">Group call</span>
        </button>
        <div
          id={id}
          ref={panel}
          class="call-group-picker card"
          role="dialog"
          aria-label="Group call"
          hidden={!open()}
          data-testid="call-group-picker"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation();
              close();
            }
          }}
        >
          <fieldset>
            <legend>Call together (up to {MAX_OTHERS} people)</legend>
            <For each={others()}>
              {(c) => (
                <label class="check">
                  <input
                    type="checkbox"
                    data-testid="call-group-pick"
                    data-key={c.key}
                    checked={picked().includes(c.key)}
                    disabled={!canPick(picked(), c.key)}
                    onChange={(e) => setPicked(togglePick(picked(), c.key, e.currentTarget.checked))}
                  />
                  <span>{c.name || 'Unnamed contact'}</span>
                </label>
              )}
            </For>
          </fieldset>
          <p class="muted" aria-live="polite">
            {picked().length} of {MAX_OTHERS} chosen
          </p>
          <div class="row">
            <button type="button" class="primary" disabled={picked().length === 0} data-testid="call-group-audio" onClick={() => start(false)}>
              <CallIcon name="phone" /> Voice call
            </button>
            <button type="button" class="primary" disabled={picked().length === 0} data-testid="call-group-video" onClick={() => start(true)}>
              <CallIcon name="video" /> Video call
            </button>
            <button type="button" onClick={close}>
              Cancel
            </button>
          </div>
        </div>
      </span>
    </Show>
  );
}
