/**
 * Matching the elements of two spec versions: named elements by id with rename detection, and
 * ordered lists (struct fields, region parts) by id, then by position for renames, with moves found
 * as the elements outside a longest increasing subsequence.
 */

/**
 * Pairs ids that exist only in the old version with ids that exist only in the new one when
 * `same` says their content is identical and the match is unique both ways.
 */
export function matchRenames(oldIds: Iterable<string>, newIds: Iterable<string>, same: (oldId: string, newId: string) => boolean): Map<string, string> {
  const oldSet = new Set(oldIds);
  const newSet = new Set(newIds);
  const removed = [...oldSet].filter((id) => !newSet.has(id));
  const added = [...newSet].filter((id) => !oldSet.has(id));
  const candidates = new Map(removed.map((r) => [r, added.filter((a) => same(r, a))]));
  const out = new Map<string, string>();
  for (const [r, cs] of candidates) {
    if (cs.length !== 1) continue;
    const a = cs[0]!;
    const rivals = removed.filter((x) => candidates.get(x)!.includes(a));
    if (rivals.length === 1) out.set(r, a);
  }
  return out;
}

/**
 * Finds renames among named elements whose content refers to other elements of the same kind
 * (structs that nest structs): repeats matchRenames with the renames found so far until stable.
 */
export function matchRenamesFixpoint(
  oldIds: string[],
  newIds: string[],
  same: (oldId: string, newId: string, renames: Map<string, string>) => boolean,
): Map<string, string> {
  let renames = new Map<string, string>();
  for (let round = 0; round <= oldIds.length; round++) {
    const next = matchRenames(oldIds, newIds, (o, n) => same(o, n, renames));
    if (next.size === renames.size && [...next].every(([k, v]) => renames.get(k) === v)) return next;
    renames = next;
  }
  return renames;
}

export interface Pair<T> {
  old: T;
  new: T;
  oldIndex: number;
  newIndex: number;
  /** Matched by position and content, under another id. */
  renamed: boolean;
  /** Its position relative to the other matched elements changed. */
  moved: boolean;
}

export interface Alignment<T> {
  pairs: Pair<T>[];
  removed: { item: T; index: number }[];
  added: { item: T; index: number }[];
}

/**
 * Aligns two ordered lists. Elements pair by id; an unpaired old element pairs with the unpaired
 * new element at the same index when their shapes (content without id and docs) are equal.
 */
export function alignList<T>(oldList: T[], newList: T[], id: (t: T) => string, shapeOld: (t: T) => string, shapeNew: (t: T) => string): Alignment<T> {
  const newIndexById = new Map(newList.map((t, i) => [id(t), i]));
  const oldIds = new Set(oldList.map(id));
  const pairs: Pair<T>[] = [];
  const pairedNew = new Set<number>();
  const removed: { item: T; index: number }[] = [];
  oldList.forEach((o, i) => {
    const j = newIndexById.get(id(o));
    if (j !== undefined) {
      pairs.push({ old: o, new: newList[j]!, oldIndex: i, newIndex: j, renamed: false, moved: false });
      pairedNew.add(j);
      return;
    }
    const n = newList[i];
    if (n !== undefined && !oldIds.has(id(n)) && !pairedNew.has(i) && shapeOld(o) === shapeNew(n)) {
      pairs.push({ old: o, new: n, oldIndex: i, newIndex: i, renamed: true, moved: false });
      pairedNew.add(i);
      return;
    }
    removed.push({ item: o, index: i });
  });
  const added = newList.flatMap((item, index) => (pairedNew.has(index) ? [] : [{ item, index }]));
  const keep = longestIncreasing(pairs.map((p) => p.newIndex));
  pairs.forEach((p, k) => (p.moved = !keep.has(k)));
  return { pairs, removed, added };
}

/** Indexes of one longest strictly increasing subsequence of `xs`. */
function longestIncreasing(xs: number[]): Set<number> {
  const tails: number[] = []; // index into xs of the smallest tail of each length
  const prev: number[] = new Array(xs.length).fill(-1);
  xs.forEach((x, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[tails[mid]!]! < x) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1]!;
    tails[lo] = i;
  });
  const out = new Set<number>();
  for (let i = tails.length ? tails[tails.length - 1]! : -1; i >= 0; i = prev[i]!) out.add(i);
  return out;
}
