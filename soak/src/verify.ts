/**
 * The end-of-run check, from every client's own record (ipc.ClientRecord): for each
 * (sender, recipient) pair, the sender counts what it sent (seqs 1..n) and the recipient what it
 * was shown. Lost: sent but never shown. Duplicate: shown twice. Out of order: shown after a
 * later seq of the same sender. Phantom: shown but never counted as sent. Sessions: each
 * client's accepted contacts by protocol version (the soak runs protocol v2; a v1 one fails it).
 */
import type { ClientRecord, PairRecv } from './ipc.ts';

export interface Tally {
  sent: number;
  delivered: number;
  duplicates: number;
  lost: number;
  outOfOrder: number;
  phantom: number;
}

export interface Verdict {
  texts: Tally;
  files: Tally;
  historyDuplicates: number;
  historyMissing: number;
  badPayloads: number;
  outboxLeft: number;
  fileFailures: number;
  engineErrors: string[];
  /** Conversation ends (client, accepted contact) by protection at the end of the run. */
  sessions: { ends: number; v2: number; postQuantum: number; v1: number };
  /** A few pairs with a loss, and texts out of order, for the report. */
  lostSamples: string[];
  oooSamples: string[];
}

const NONE: PairRecv = { distinct: 0, max: 0, dup: 0, ooo: 0 };

function tally(records: ClientRecord[], byKey: Map<string, ClientRecord>, pick: 'texts' | 'files', samples: string[]): Tally {
  const inbox = pick === 'texts' ? 'textsIn' : 'filesIn';
  const t: Tally = { sent: 0, delivered: 0, duplicates: 0, lost: 0, outOfOrder: 0, phantom: 0 };
  const counted = new Set<string>();
  for (const s of records) {
    for (const [rk, n] of Object.entries(s[pick])) {
      const r = byKey.get(rk);
      const got = r?.[inbox][s.key] ?? NONE;
      counted.add(`${rk}/${s.key}`);
      t.sent += n;
      // seqs are 1..n; anything above n was never counted as sent
      const above = Math.max(0, got.max - n);
      const inRange = got.distinct - Math.min(above, got.distinct);
      t.delivered += inRange;
      t.lost += n - inRange;
      t.phantom += got.distinct - inRange;
      if (n > inRange && samples.length < 5) samples.push(`${pick} c${s.index} -> c${r?.index ?? '?'}: sent ${n}, shown ${inRange}`);
    }
  }
  for (const r of records) {
    for (const [sk, got] of Object.entries(r[inbox])) {
      t.duplicates += got.dup;
      t.outOfOrder += got.ooo;
      if (!counted.has(`${r.key}/${sk}`)) t.phantom += got.distinct;
    }
  }
  return t;
}

export function verify(records: ClientRecord[]): Verdict {
  const byKey = new Map(records.map((r) => [r.key, r]));
  const lostSamples: string[] = [];
  const v: Verdict = {
    texts: tally(records, byKey, 'texts', lostSamples),
    files: tally(records, byKey, 'files', lostSamples),
    historyDuplicates: 0,
    historyMissing: 0,
    badPayloads: 0,
    outboxLeft: 0,
    fileFailures: 0,
    engineErrors: [],
    sessions: { ends: 0, v2: 0, postQuantum: 0, v1: 0 },
    lostSamples,
    oooSamples: records.flatMap((r) => r.oooSamples).slice(0, 5),
  };
  for (const r of records) {
    v.historyDuplicates += r.historyDup;
    v.historyMissing += r.historyMissing;
    v.badPayloads += r.bad;
    v.outboxLeft += Math.max(0, r.outbox);
    v.fileFailures += r.fileFailures.length;
    for (const e of r.engineErrors) v.engineErrors.push(`c${r.index}: ${e}`);
    v.sessions.ends += r.sessions.v2 + r.sessions.v1;
    v.sessions.v2 += r.sessions.v2;
    v.sessions.postQuantum += r.sessions.postQuantum;
    v.sessions.v1 += r.sessions.v1;
  }
  return v;
}

/** The value below which `p` percent of `sorted` lie (nearest rank); null when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Reconnect times after a kill: ms until `share` of the watched clients were online again
 * (null if fewer came back before the next kill or the end).
 */
export function timeToShare(delaysSorted: number[], watched: number, share: number): number | null {
  const need = Math.ceil(share * watched);
  if (need === 0) return 0;
  return delaysSorted.length >= need ? delaysSorted[need - 1]! : null;
}
