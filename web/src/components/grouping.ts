/**
 * How a conversation reads at a glance, as in the messengers people use daily: consecutive
 * messages from the same side within GROUP_GAP_MS form one group (tight spacing, one tail), and
 * a date separator ("Today", "Yesterday", "Mon 3 Mar") opens every new day. Pure, for tests.
 */

/** Longest pause between two messages from the same side that keeps them in one group. */
export const GROUP_GAP_MS = 5 * 60_000;

export interface RowPlace {
  /** The first row of a group (a new sender, a long pause, or a new day). */
  groupStart: boolean;
  /** The last row of its group (where the bubble's tail goes). */
  groupEnd: boolean;
  /** A date separator goes before this row (its label). */
  day?: string;
}

const dayKey = (t: number): string => {
  const d = new Date(t);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
};

/** "Today", "Yesterday", else the weekday and date (with the year when it is not this year). */
export function dayLabel(t: number, now: number = Date.now()): string {
  if (dayKey(t) === dayKey(now)) return 'Today';
  if (dayKey(t) === dayKey(now - 86_400_000)) return 'Yesterday';
  const d = new Date(t);
  const sameYear = d.getFullYear() === new Date(now).getFullYear();
  return d.toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short', ...(sameYear ? {} : { year: 'numeric' }) });
}

/** The place of each row; `side` is 'in', 'out' or anything else for rows that stand alone (call log). */
export function placeRows(rows: readonly { side: string; at: number }[], now: number = Date.now()): RowPlace[] {
  const out: RowPlace[] = rows.map(() => ({ groupStart: true, groupEnd: true }));
  rows.forEach((r, i) => {
    const prev = rows[i - 1];
    const newDay = !prev || dayKey(prev.at) !== dayKey(r.at);
    if (newDay) out[i]!.day = dayLabel(r.at, now);
    const joined = !!prev && !newDay && prev.side === r.side && (r.side === 'in' || r.side === 'out') && r.at - prev.at <= GROUP_GAP_MS;
    if (joined) {
      out[i]!.groupStart = false;
      out[i - 1]!.groupEnd = false;
    }
  });
  return out;
}

/** Up to a few emoji and nothing else: shown large, as people expect. */
const ONLY_EMOJI = /^(?:\p{Extended_Pictographic}(?:\uFE0F|\u200D\p{Extended_Pictographic}|\p{Emoji_Modifier})*\s*){1,3}$/u;
export function isOnlyEmoji(text: string | undefined): boolean {
  return !!text && ONLY_EMOJI.test(text.trim());
}
