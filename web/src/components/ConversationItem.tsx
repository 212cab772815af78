/** One row of the conversations list: name, last message, time, unread count. */
import { Show } from 'solid-js';
import type { Contact, HistoryItem } from '../messages/protocol.ts';
import { Avatar } from './Avatar.tsx';
import { StatusIcon } from './StatusIcon.tsx';

export interface ConversationItemProps {
  contact: Contact;
  last?: HistoryItem;
  unread: number;
  active: boolean;
  onOpen: () => void;
}

export function preview(item: HistoryItem | undefined): string {
  if (!item) return 'No messages yet';
  if (item.deleted) return 'Message deleted';
  if (item.kind === 'file') return `File: ${item.file?.name ?? 'unnamed'}`;
  return item.text ?? '';
}

export function shortTime(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

export function ConversationItem(props: ConversationItemProps) {
  const href = () => `/c/${props.contact.key}`;
  return (
    <li class={`conv-item ${props.active ? 'active' : ''}`}>
      <a
        href={href()}
        aria-current={props.active ? 'page' : undefined}
        data-testid="conversation-item"
        onClick={(e) => {
          if (e.metaKey || e.ctrlKey || e.shiftKey) return;
          e.preventDefault();
          props.onOpen();
        }}
      >
        <Avatar name={props.contact.name} seed={props.contact.key} />
        <span class="conv-main">
          <span class="conv-top">
            <span class="conv-name">{props.contact.name || 'Unnamed contact'}</span>
            <Show when={props.last}>{(l) => <time class="conv-time">{shortTime(l().sentAt)}</time>}</Show>
          </span>
          <span class="conv-bottom">
            <Show when={props.last?.dir === 'out' && props.last.status}>{(s) => <StatusIcon status={s()} />}</Show>
            <span class="conv-preview">{props.contact.state === 'requested' ? 'Waiting for them to accept' : preview(props.last)}</span>
            <Show when={props.unread > 0}>
              <span class="badge" data-testid="unread">
                {props.unread}
                <span class="sr-only"> unread</span>
              </span>
            </Show>
          </span>
        </span>
      </a>
    </li>
  );
}
