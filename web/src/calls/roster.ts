/**
 * The roster cap. A roster only grows by appending (the caller first, then whoever is added),
 * but two members may each add someone at the same time, and merging both roster updates could
 * go past MAX_CALL_PARTICIPANTS (a 6-person mesh from a 4-person call). Every member must then
 * keep the same people, whatever order the updates reached them in. So each member is ranked by
 * the lowest position any roster seen has given them (added earlier: lower), ties broken by key,
 * and the first MAX_CALL_PARTICIPANTS are kept. A minimum and a union do not depend on arrival
 * order, so members who saw the same rosters agree; the people left out are told `call_bye`
 * by whoever had announced themselves to them (machine.ts).
 */
import { MAX_CALL_PARTICIPANTS } from '@parley/generated';

export interface RosterMerge {
  /** The kept members, by rank: the caller stays first. */
  roster: string[];
  /** Members of `current` or `incoming` that the cap leaves out. */
  dropped: string[];
}

/** Records each member's lowest position in `roster` into `order` (mutated). */
export function noteOrder(order: Record<string, number>, roster: readonly string[]): void {
  roster.forEach((k, i) => {
    if (!(k in order) || order[k]! > i) order[k] = i;
  });
}

/**
 * Merges a roster update into ours. `order` is updated with both rosters; `excluded` (people
 * an earlier merge left out) stay out, so a stale update cannot bring them back.
 */
export function mergeRoster(order: Record<string, number>, current: readonly string[], incoming: readonly string[], excluded: ReadonlySet<string> = new Set(), max = MAX_CALL_PARTICIPANTS): RosterMerge {
  noteOrder(order, current);
  noteOrder(order, incoming);
  const all = [...new Set([...current, ...incoming])].filter((k) => !excluded.has(k));
  all.sort((a, b) => order[a]! - order[b]! || (a < b ? -1 : a > b ? 1 : 0));
  return { roster: all.slice(0, max), dropped: all.slice(max) };
}
