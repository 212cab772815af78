/**
 * The conversation's header: back (phone layout), the contact, its verification and protection (v2
 * session: forward secrecy, post-quantum after the first round trip), and an
 * `actions` slot on the right where the call buttons go (issue 7).
 */
import { Show, type JSX } from 'solid-js';
import type { Contact } from '../messages/protocol.ts';
import { Avatar } from './Avatar.tsx';
import { Icon } from './Icon.tsx';

export interface ConversationHeaderProps {
  contact: Contact;
  onBack: () => void;
  onDetails: () => void;
  actions?: JSX.Element;
}

export function ConversationHeader(props: ConversationHeaderProps) {
  return (
    <header class="bar conv-header">
      <button type="button" class="icon-button back" onClick={() => props.onBack()}>
        <Icon name="back" />
        <span class="sr-only">Back to conversations</span>
      </button>
      <button type="button" class="contact-button" onClick={() => props.onDetails()} data-testid="contact-details">
        <Avatar name={props.contact.name} seed={props.contact.key} />
        <span class="contact-title">
          <span class="contact-name">{props.contact.name || 'Unnamed contact'}</span>
          <span class="contact-sub">
            <Show when={props.contact.verified} fallback={<span>Not verified · details</span>}>
              <span class="verified">
                <Icon name="shield" /> Verified
              </span>
            </Show>
            <Show when={props.contact.protection}>
              {(p) => (
                <span class="protection" data-testid="protection" title={p().version === 2 ? 'A new key for every message: messages already read stay safe if a key leaks later' : 'This contact uses an older version: no forward secrecy yet'}>
                  {' · '}
                  {p().label}
                </span>
              )}
            </Show>
          </span>
        </span>
      </button>
      <div class="bar-actions call-actions" data-slot="call-actions">
        {props.actions}
      </div>
    </header>
  );
}
