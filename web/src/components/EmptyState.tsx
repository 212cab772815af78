/** A friendly empty screen: an illustration-like icon, a title and a line of what to do next. */
import type { JSX } from 'solid-js';

export function EmptyState(props: { title: string; text: string; children?: JSX.Element }) {
  return (
    <div class="empty-state" data-testid="empty-state">
      <svg class="empty-art" viewBox="0 0 64 64" aria-hidden="true">
        <path d="M10 14h34a6 6 0 0 1 6 6v16a6 6 0 0 1-6 6H26l-10 8v-8h-6a6 6 0 0 1-6-6V20a6 6 0 0 1 6-6z" />
        <path d="M50 26h4a6 6 0 0 1 6 6v14a6 6 0 0 1-6 6h-2v6l-8-6H32a6 6 0 0 1-6-6v-4" />
      </svg>
      <h2 class="empty-title">{props.title}</h2>
      <p class="muted">{props.text}</p>
      {props.children}
    </div>
  );
}
