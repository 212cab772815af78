/**
 * How the engine lays out its state in a Store: key names, and records as JSON in which byte
 * strings are written `{"$hex": "..."}`. Large byte values (sealed frames, file chunks) are
 * stored raw under their own keys instead.
 */
import { fromHex, toHex } from '../crypto/index.ts';
import { EngineError } from './errors.ts';
import type { Store, StoreOp } from './storage.ts';

/** Sequence numbers are zero-padded so key order is numeric order. */
export function seqKey(seq: number): string {
  return seq.toString().padStart(16, '0');
}

/** Every key the engine writes. `c` is a contact key (hex X25519 key), ids are hex. */
export const K = {
  meta: 'engine/meta',
  contact: (c: string) => `c/${c}`,
  contacts: 'c/',
  /** The invite book (our invites, their uses and seen gate tags), one JSON record. */
  invites: 'engine/invites',
  /** The current wake tag. */
  wakeTag: 'engine/wake-tag',
  /** Our mailbox secret, and the mailbox tokens received from and sent to contacts (mailbox-tokens.ts). */
  mailboxSecret: 'engine/mailbox-secret',
  mailboxTokens: 'engine/mailbox-tokens',
  outMeta: (seq: number) => `o/${seqKey(seq)}`,
  outMetas: 'o/',
  outFrame: (seq: number) => `of/${seqKey(seq)}`,
  /** The entry's envelope (unpadded), kept so the entry can be sealed again under a new session. */
  outEnvelope: (seq: number) => `oe/${seqKey(seq)}`,
  replayFloor: (c: string) => `rf/${c}`,
  replayId: (c: string, id: string) => `rw/${c}/${id}`,
  replayIds: (c: string) => `rw/${c}/`,
  history: (c: string, id: string) => `h/${c}/${id}`,
  histories: (c: string) => `h/${c}/`,
  readQueue: (c: string) => `rr/${c}`,
  /** Read receipts sent recently (sent once more after a reconnect; READ_RESEND_WINDOW_MS). */
  readSent: (c: string) => `rs/${c}`,
  fileIn: (c: string, f: string) => `fi/${c}/${f}`,
  filesIn: (c: string) => `fi/${c}/`,
  allFilesIn: 'fi/',
  /** An incoming transfer that ended here (file-ended.ts): its late chunks are acknowledged. */
  fileEnded: (c: string, f: string) => `fe/${c}/${f}`,
  filesEnded: (c: string) => `fe/${c}/`,
  allFilesEnded: 'fe/',
  chunk: (c: string, f: string, i: number) => `fc/${c}/${f}/${seqKey(i)}`,
  chunks: (c: string, f: string) => `fc/${c}/${f}/`,
  allChunks: (c: string) => `fc/${c}/`,
  /** An outgoing transfer (file-send.ts): its offer, size and the chunks acknowledged so far. */
  fileOut: (f: string) => `fo/${f}`,
  filesOut: 'fo/',
  /** An outgoing transfer being written to the outbox (removed when all chunks are in). */
  fileWriting: (f: string) => `fw/${f}`,
  filesWriting: 'fw/',
  /** Ordering (order.ts): our epoch, our counter per contact, theirs, and held messages. */
  orderEpoch: 'engine/order-epoch',
  orderOut: (c: string) => `oo/${c}`,
  orderIn: (c: string) => `oi/${c}`,
  orderHeld: (c: string, seq: number) => `oh/${c}/${seqKey(seq)}`,
  orderHelds: (c: string) => `oh/${c}/`,
  allOrderHeld: 'oh/',
  /** v2 sessions (ratchet-sessions.ts): the ratchet state (spec ratchet_state bytes) and its record (offer, resets, recent frames). */
  session: (c: string) => `sv/${c}`,
  sessions: 'sv/',
  sessionMeta: (c: string) => `sm/${c}`,
  sessionMetas: 'sm/',
  /** The one-time ephemeral secret of a v2 invite of ours, until it is used up or expires. */
  inviteEphemeral: (id: string) => `ie/${id}`,
  inviteEphemerals: 'ie/',
} as const;

function replacer(_k: string, v: unknown): unknown {
  return v instanceof Uint8Array ? { $hex: toHex(v) } : v;
}

function reviver(_k: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.$hex === 'string' && Object.keys(o).length === 1) return fromHex(o.$hex);
  }
  return v;
}

export function encodeRecord(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value, replacer));
}

export function decodeRecord<T>(bytes: Uint8Array, key: string): T {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes), reviver) as T;
  } catch (cause) {
    throw new EngineError('CORRUPT_STORE', `store record ${key} is not readable`, { cause });
  }
}

export function putRecord(key: string, value: unknown): StoreOp {
  return { op: 'put', key, value: encodeRecord(value) };
}

export function del(key: string): StoreOp {
  return { op: 'delete', key };
}

export async function getRecord<T>(store: Store, key: string): Promise<T | undefined> {
  const b = await store.get(key);
  return b === undefined ? undefined : decodeRecord<T>(b, key);
}

/** Every record under a prefix, in key order. */
export async function listRecords<T>(store: Store, prefix: string): Promise<[string, T][]> {
  const out: [string, T][] = [];
  for (const key of await store.list(prefix)) {
    const r = await getRecord<T>(store, key);
    if (r !== undefined) out.push([key, r]);
  }
  return out;
}
