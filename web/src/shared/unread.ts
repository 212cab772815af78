/** What counts as unread, shared by the worker (summaries) and the UI (live updates). */
import type { HistoryItem } from '@parley/runtime';

/** Unread: incoming, not read, not deleted, and arrived (not a placeholder for an early edit). */
export function isUnread(i: HistoryItem): boolean {
  return i.dir === 'in' && !i.read && !i.deleted && i.kind !== 'pending';
}
