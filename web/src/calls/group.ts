/**
 * Picking the people for a group call (GroupCallPicker.tsx): at most MAX_CALL_PARTICIPANTS - 1
 * others, in the order they were ticked (the invite's roster follows it, the caller first).
 */
import { MAX_CALL_PARTICIPANTS } from '@parley/generated';

/** How many others one call can include. */
export const MAX_OTHERS = MAX_CALL_PARTICIPANTS - 1;

/** The selection after ticking (`on`) or unticking `key`; a tick past the limit changes nothing. */
export function togglePick(picked: readonly string[], key: string, on: boolean, max = MAX_OTHERS): string[] {
  if (!on) return picked.filter((k) => k !== key);
  if (picked.includes(key) || picked.length >= max) return [...picked];
  return [...picked, key];
}

/** Whether `key`'s box can be ticked now (unticked boxes go disabled at the limit). */
export function canPick(picked: readonly string[], key: string, max = MAX_OTHERS): boolean {
  return picked.includes(key) || picked.length < max;
}
