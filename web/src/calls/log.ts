/**
 * The call log: one entry per call and conversation (missed, declined, answered with its
 * duration...), shown in the conversation among the messages. Calls are not messages, so the
 * engine's history does not hold them: the log lives in its own IndexedDB database
 * (`parley-calls`, object store `log`, key `<contact>/<ringing started, 13 digits>/<call id>`),
 * written from the UI thread. Like the history it is not encrypted at rest.
 */
import type { CallMedia } from '@parley/generated';
import type { HistoryItem } from '../messages/protocol.ts';
import type { CallOutcome, CallRecord } from './types.ts';

export interface CallLogEntry {
  contact: string;
  callId: string;
  dir: 'in' | 'out';
  media: CallMedia;
  at: number;
  outcome: CallOutcome;
  durationMs?: number;
  /** People in the call besides us and this contact. */
  others: number;
}

export interface CallLog {
  add(r: CallRecord, roster?: readonly string[]): Promise<CallLogEntry[]>;
  list(contact: string): Promise<CallLogEntry[]>;
  /** New entries as they are written. */
  on(fn: (e: CallLogEntry) => void): () => void;
}

export const CALL_LOG_DB = 'parley-calls';
const STORE = 'log';

const keyOf = (e: CallLogEntry) => `${e.contact}/${String(e.at).padStart(13, '0')}/${e.callId}`;

export function entriesOf(r: CallRecord, roster: readonly string[] = []): CallLogEntry[] {
  return r.contacts.map((contact) => ({
    contact,
    callId: r.id,
    dir: r.dir,
    media: r.media,
    at: r.at,
    outcome: r.outcome,
    ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
    others: Math.max(0, roster.length - 2),
  }));
}

abstract class BaseLog implements CallLog {
  readonly #subs = new Set<(e: CallLogEntry) => void>();
  protected abstract put(entries: CallLogEntry[]): Promise<void>;
  abstract list(contact: string): Promise<CallLogEntry[]>;

  async add(r: CallRecord, roster?: readonly string[]): Promise<CallLogEntry[]> {
    const entries = entriesOf(r, roster);
    await this.put(entries);
    for (const e of entries) for (const fn of this.#subs) fn(e);
    return entries;
  }

  on(fn: (e: CallLogEntry) => void): () => void {
    this.#subs.add(fn);
    return () => this.#subs.delete(fn);
  }
}

export class MemoryCallLog extends BaseLog {
  readonly #all = new Map<string, CallLogEntry>();
  protected async put(entries: CallLogEntry[]): Promise<void> {
    for (const e of entries) this.#all.set(keyOf(e), e);
  }
  async list(contact: string): Promise<CallLogEntry[]> {
    return [...this.#all.entries()].filter(([k]) => k.startsWith(`${contact}/`)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  }
}

export class IdbCallLog extends BaseLog {
  #db: Promise<IDBDatabase> | undefined;

  constructor(private readonly factory: IDBFactory = indexedDB) {
    super();
  }

  #open(): Promise<IDBDatabase> {
    return (this.#db ??= new Promise((resolve, reject) => {
      const req = this.factory.open(CALL_LOG_DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    }));
  }

  protected async put(entries: CallLogEntry[]): Promise<void> {
    const db = await this.#open();
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(STORE, 'readwrite');
      for (const e of entries) tx.objectStore(STORE).put(e, keyOf(e));
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  }

  async list(contact: string): Promise<CallLogEntry[]> {
    const db = await this.#open();
    return new Promise((resolve, reject) => {
      const req = db.transaction(STORE).objectStore(STORE).getAll(IDBKeyRange.bound(`${contact}/`, `${contact}/\uffff`));
      req.onsuccess = () => resolve(req.result as CallLogEntry[]);
      req.onerror = () => reject(req.error);
    });
  }
}

export type LogRow = HistoryItem | CallLogEntry;

export const isCallEntry = (r: LogRow): r is CallLogEntry => 'callId' in r;

/** Messages (in their own order) with call entries placed by time. */
export function mergeCallLog(items: readonly HistoryItem[], calls: readonly CallLogEntry[]): LogRow[] {
  if (calls.length === 0) return items as HistoryItem[];
  const out: LogRow[] = [];
  const sorted = [...calls].sort((a, b) => a.at - b.at);
  let c = 0;
  for (const item of items) {
    while (c < sorted.length && sorted[c]!.at <= item.sentAt) out.push(sorted[c++]!);
    out.push(item);
  }
  while (c < sorted.length) out.push(sorted[c++]!);
  return out;
}

/** "Missed video call", "Outgoing call · 1:05", "Call declined"... */
export function describeEntry(e: CallLogEntry, video: boolean): string {
  const kind = video ? 'video call' : 'call';
  const Kind = video ? 'Video call' : 'Call';
  const group = e.others > 0 ? ` (group, ${e.others + 2} people)` : '';
  switch (e.outcome) {
    case 'answered':
      return `${e.dir === 'in' ? 'Incoming' : 'Outgoing'} ${kind}${group}${e.durationMs !== undefined ? ` · ${formatDuration(e.durationMs)}` : ''}`;
    case 'missed':
      return `Missed ${kind}${group}`;
    case 'declined':
      return `${Kind} declined`;
    case 'busy':
      return e.dir === 'in' ? `Missed ${kind} (you were in another call)` : `${Kind}: busy`;
    case 'no-answer':
      return `${Kind}: no answer`;
    case 'rejected':
      return `${Kind} declined by them`;
    case 'cancelled':
      return `${Kind} cancelled`;
    case 'failed':
      return `${Kind} failed`;
  }
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
