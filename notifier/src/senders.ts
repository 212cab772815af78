/**
 * The bound on senders (limits.ts `maxSenders`). Anyone holding a published invite becomes the
 * notifier's contact, with engine state on disk; a device comes back from a new push identity
 * every time its wake tag rotates, so old senders pile up. When the senders exceed the cap, the
 * ones holding no registration go first, the longest idle first (they lose nothing: a client
 * whose registration is gone registers again through an invite, README "Client integration"
 * step 6). If every other sender holds a registration, the newcomer itself is removed: refused,
 * with nothing of it kept.
 */

export interface SenderInfo {
  key: string;
  /** When the engine added it (ms). */
  createdAt: number;
}

export interface RoomQuery {
  senders: readonly SenderInfo[];
  /** The sender just accepted (never chosen to make room for itself), if any. */
  newcomer?: string;
  max: number;
  /** Registrations a sender holds. */
  registrations(key: string): number;
  /** Last time a sender sent anything (ms), if known. */
  lastSeen(key: string): number | undefined;
  /** Senders already being removed (not counted). */
  removing: ReadonlySet<string>;
}

export interface Room {
  /** Senders to remove, oldest activity first. */
  evict: string[];
  /** True if the newcomer must be removed: every other sender holds a registration. */
  refuse: boolean;
}

/** Which senders to remove so that at most `max` remain. */
export function makeRoom(q: RoomQuery): Room {
  const live = q.senders.filter((s) => !q.removing.has(s.key));
  const excess = live.length - q.max;
  if (excess <= 0) return { evict: [], refuse: false };
  const idleSince = (s: SenderInfo) => Math.max(q.lastSeen(s.key) ?? 0, s.createdAt);
  const candidates = live.filter((s) => s.key !== q.newcomer && q.registrations(s.key) === 0);
  const pick = (n: number): string[] => {
    if (n <= 0) return [];
    if (n === 1 && candidates.length > 0) return [candidates.reduce((a, b) => (idleSince(b) < idleSince(a) ? b : a)).key];
    return [...candidates].sort((a, b) => idleSince(a) - idleSince(b)).slice(0, n).map((s) => s.key);
  };
  if (candidates.length >= excess) return { evict: pick(excess), refuse: false };
  const refuse = q.newcomer !== undefined && live.some((s) => s.key === q.newcomer);
  return { evict: pick(refuse ? excess - 1 : excess), refuse };
}
