/** Delivery state of one of our messages: pending (queued), sent, delivered, read, failed. */
import type { HistoryItem } from '../messages/protocol.ts';
import { Icon, type IconName } from './Icon.tsx';

const LABEL: Record<string, string> = {
  queued: 'Pending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not delivered',
};
const GLYPH: Record<string, IconName> = { queued: 'clock', sent: 'check', delivered: 'checks', read: 'checks', failed: 'warn' };

export function StatusIcon(props: { status: NonNullable<HistoryItem['status']> }) {
  return (
    <span class={`status status-${props.status}`} data-status={props.status} title={LABEL[props.status]}>
      <Icon name={GLYPH[props.status]!} />
      {/* read is told apart at a glance by its word as well as its filled mark; the others by
          their glyph, with the word for screen readers */}
      <span class={props.status === 'read' ? 'status-word' : 'sr-only'}>{LABEL[props.status]}</span>
    </span>
  );
}
