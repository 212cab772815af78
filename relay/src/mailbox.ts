/**
 * Offline mailboxes (spec/DESIGN.md, "Relay abuse bounds"): one in-memory queue per recipient
 * id, bounded in frames, bytes and time to live. Overflow is dropped silently (the caller
 * counts it); the sender's outbox resends until an end-to-end receipt. No database: a restart
 * loses the mailboxes, and the senders' outboxes recover them.
 *
 * Who may hold what:
 * - per recipient: at most `maxFrames` frames and `maxBytes` bytes; each sender at most
 *   1/`senderShareDivisor` of that; senders the recipient has not vouched for (no mailbox
 *   token presented) together at most 1/`strangerShareDivisor`, so the rest, the contacts'
 *   share, is out of strangers' reach whatever number of key pairs or addresses they use;
 * - across all mailboxes: one sender key pair at most `identityMaxBytes`, one source address
 *   (IPv4, IPv6 /64) at most `sourceMaxBytes`, everything at most `globalMaxBytes`;
 * - at the global cap the source holding the most bytes loses its oldest frames to make
 *   room for a lighter source's frame: a flooder's frames go first, not an innocent sender's.
 * Every cross-mailbox bound charges a frame its length plus `entryOverhead`, the memory a
 * queued frame really costs beyond its bytes (measured by test mailbox-memory).
 *
 * A queued frame is kept as a one-byte (latin1) string in the JavaScript heap, not as a
 * Buffer: a Buffer per frame costs a native allocation and a backing-store record besides its
 * bytes (about 1 KiB of RSS for a minimum-size frame), a string costs its bytes and a header.
 */
import type { Clock } from './ratelimit.ts';

export interface MailboxLimits {
  /** Frames held for one id. */
  maxFrames: number;
  /** Bytes (frame lengths) held for one id. */
  maxBytes: number;
  /** A frame is dropped this long after it was queued. */
  ttlMs: number;
  /** Bytes held in all mailboxes, counting `entryOverhead` per frame. */
  globalMaxBytes: number;
  /** One sender holds at most 1/divisor of a recipient's frames and of its bytes. */
  senderShareDivisor: number;
  /** Senders not vouched for together hold at most 1/divisor of a recipient's frames and bytes. */
  strangerShareDivisor: number;
  /** Bytes (charged) one sender key pair holds across all mailboxes. */
  identityMaxBytes: number;
  /** Bytes (charged) one source address holds across all mailboxes. */
  sourceMaxBytes: number;
  /** Bytes charged per queued frame on top of its length. */
  entryOverhead: number;
}

/** Why a frame was not queued; each is a drop reason in the metrics. */
export type MailboxDrop =
  | 'mailbox_full'
  | 'mailbox_sender_share'
  | 'mailbox_strangers'
  | 'mailbox_identity'
  | 'mailbox_source'
  | 'mailbox_global';

/** Bytes held (charged) by one sender key pair or one source, with its frames oldest first. */
class Holder {
  bytes = 0;
  /** Live entries in `entries` (which also holds departed ones until compacted). */
  count = 0;
  entries: Entry[] = [];
  head = 0;

  constructor(readonly key: string) {}
}

interface Entry {
  /** The frame's bytes as latin1; emptied when the entry leaves (taken, expired, evicted), so its memory goes. */
  frame: string;
  readonly box: Box;
  readonly recipient: string;
  readonly sender: Holder;
  readonly source: Holder;
  readonly at: number;
  readonly vouched: boolean;
  live: boolean;
}

interface Share {
  frames: number;
  bytes: number;
}

class Box {
  entries: Entry[] = [];
  head = 0;
  /** Live frames and their bytes (frame lengths). */
  count = 0;
  bytes = 0;
  strangerFrames = 0;
  strangerBytes = 0;
  senders = new Map<string, Share>();
}


export class Mailboxes {
  readonly #boxes = new Map<string, Box>();
  readonly #senders = new Map<string, Holder>();
  readonly #sources = new Map<string, Holder>();
  #frames = 0;
  #bytes = 0;
  #expired = 0;
  #evicted = 0;

  constructor(
    readonly limits: MailboxLimits,
    readonly clock: Clock = Date.now,
  ) {}

  /**
   * Queues a copy of `frame` for `recipient` from the key pair
   * `sender` at the source address `source`; `vouched` if the sender presented the
   * recipient's mailbox token. Returns undefined when queued, or the drop reason.
   */
  put(recipient: string, sender: string, source: string, vouched: boolean, frame: Uint8Array): MailboxDrop | undefined {
    const L = this.limits;
    const len = frame.length;
    const charge = len + L.entryOverhead;
    const now = this.clock();
    let box = this.#boxes.get(recipient);
    if (box !== undefined) {
      this.#expire(recipient, box, now);
      box = this.#boxes.get(recipient);
    }
    const count = box?.count ?? 0;
    const bytes = box?.bytes ?? 0;
    if (count + 1 > L.maxFrames || bytes + len > L.maxBytes) return 'mailbox_full';
    if (!vouched) {
      const sf = box?.strangerFrames ?? 0;
      const sb = box?.strangerBytes ?? 0;
      if (sf + 1 > L.maxFrames / L.strangerShareDivisor || sb + len > L.maxBytes / L.strangerShareDivisor) return 'mailbox_strangers';
    }
    const share = box?.senders.get(sender);
    if ((share?.frames ?? 0) + 1 > L.maxFrames / L.senderShareDivisor || (share?.bytes ?? 0) + len > L.maxBytes / L.senderShareDivisor) {
      return 'mailbox_sender_share';
    }
    const id = this.#senders.get(sender);
    if ((id?.bytes ?? 0) + charge > L.identityMaxBytes) return 'mailbox_identity';
    const src = this.#sources.get(source);
    if ((src?.bytes ?? 0) + charge > L.sourceMaxBytes) return 'mailbox_source';
    if (this.#bytes + charge > L.globalMaxBytes && !this.#makeRoom(charge, src?.bytes ?? 0, source)) return 'mailbox_global';

    if (box === undefined) {
      box = new Box();
      this.#boxes.set(recipient, box);
    }
    const senderHolder = id ?? this.#holder(this.#senders, sender);
    const sourceHolder = src ?? this.#holder(this.#sources, source);
    const e: Entry = { frame: Buffer.from(frame.buffer, frame.byteOffset, len).toString('latin1'), box, recipient, sender: senderHolder, source: sourceHolder, at: now, vouched, live: true };
    box.entries.push(e);
    box.count++;
    box.bytes += len;
    if (!vouched) {
      box.strangerFrames++;
      box.strangerBytes += len;
    }
    if (share === undefined) box.senders.set(sender, { frames: 1, bytes: len });
    else {
      share.frames++;
      share.bytes += len;
    }
    for (const h of [senderHolder, sourceHolder]) {
      h.entries.push(e);
      h.bytes += charge;
      h.count++;
      compact(h);
    }
    compact(box);
    this.#frames++;
    this.#bytes += charge;
    return undefined;
  }

  /** Frames waiting for `recipient` that have not expired. */
  pending(recipient: string): number {
    const box = this.#boxes.get(recipient);
    if (box === undefined) return 0;
    this.#expire(recipient, box, this.clock());
    return this.#boxes.get(recipient)?.count ?? 0;
  }

  /** Removes and returns every live frame for `recipient`, oldest first. */
  take(recipient: string): Buffer[] {
    const box = this.#boxes.get(recipient);
    if (box === undefined) return [];
    this.#expire(recipient, box, this.clock());
    if (!this.#boxes.has(recipient)) return [];
    const out: Buffer[] = [];
    for (let i = box.head; i < box.entries.length; i++) {
      const e = box.entries[i]!;
      if (!e.live) continue;
      out.push(Buffer.from(e.frame, 'latin1'));
      this.#remove(e);
    }
    this.#boxes.delete(recipient);
    return out;
  }

  /** Drops expired frames in every mailbox (call periodically). */
  sweep(): void {
    const now = this.clock();
    for (const [key, box] of this.#boxes) this.#expire(key, box, now);
  }

  /** Frames dropped for age since the last call (for the metrics). */
  takeExpiredCount(): number {
    const n = this.#expired;
    this.#expired = 0;
    return n;
  }

  /** Frames dropped at the global cap to make room for a lighter source, since the last call. */
  takeEvictedCount(): number {
    const n = this.#evicted;
    this.#evicted = 0;
    return n;
  }

  get frames(): number {
    return this.#frames;
  }

  /** Bytes held, counting the per-frame overhead. */
  get bytes(): number {
    return this.#bytes;
  }

  get mailboxes(): number {
    return this.#boxes.size;
  }

  /** Bytes (charged) held by one source address / one sender key pair (tests, metrics). */
  sourceBytes(source: string): number {
    return this.#sources.get(source)?.bytes ?? 0;
  }

  senderBytes(sender: string): number {
    return this.#senders.get(sender)?.bytes ?? 0;
  }

  clear(): void {
    this.#boxes.clear();
    this.#senders.clear();
    this.#sources.clear();
    this.#frames = 0;
    this.#bytes = 0;
  }

  #holder(map: Map<string, Holder>, key: string): Holder {
    const h = new Holder(key);
    map.set(key, h);
    return h;
  }

  /**
   * At the global cap: evicts the oldest frames of the heaviest source until `charge` fits,
   * as long as that source (not `mine`) holds more than `mineBytes + charge` would. False if
   * the frame cannot be admitted fairly.
   */
  #makeRoom(charge: number, mineBytes: number, mine: string): boolean {
    const max = this.limits.globalMaxBytes;
    while (this.#bytes + charge > max) {
      let heaviest: Holder | undefined;
      for (const h of this.#sources.values()) if (heaviest === undefined || h.bytes > heaviest.bytes) heaviest = h;
      if (heaviest === undefined || heaviest.key === mine || heaviest.bytes <= mineBytes + charge) return false;
      const e = this.#oldestLive(heaviest);
      if (e === undefined) return false;
      this.#remove(e);
      this.#evicted++;
      if (e.box.count === 0) this.#boxes.delete(e.recipient);
    }
    return true;
  }

  #oldestLive(h: Holder): Entry | undefined {
    while (h.head < h.entries.length) {
      const e = h.entries[h.head]!;
      if (e.live) return e;
      h.entries[h.head++] = undefined as unknown as Entry;
    }
    return undefined;
  }

  /** Takes a live entry out of every count (its box slot is skipped from now on). */
  #remove(e: Entry): void {
    const L = this.limits;
    const len = e.frame.length;
    const charge = len + L.entryOverhead;
    e.live = false;
    e.frame = '';
    const box = e.box;
    box.count--;
    box.bytes -= len;
    if (!e.vouched) {
      box.strangerFrames--;
      box.strangerBytes -= len;
    }
    const share = box.senders.get(e.sender.key)!;
    share.frames--;
    share.bytes -= len;
    if (share.frames === 0) box.senders.delete(e.sender.key);
    this.#release(this.#senders, e.sender, charge);
    this.#release(this.#sources, e.source, charge);
    this.#frames--;
    this.#bytes -= charge;
  }

  #release(map: Map<string, Holder>, h: Holder, charge: number): void {
    h.bytes -= charge;
    h.count--;
    if (h.count === 0) map.delete(h.key);
  }

  #expire(key: string, box: Box, now: number): void {
    const cutoff = now - this.limits.ttlMs;
    while (box.head < box.entries.length) {
      const e = box.entries[box.head]!;
      if (e.live) {
        if (e.at > cutoff) break;
        this.#remove(e);
        this.#expired++;
      }
      box.entries[box.head] = undefined as unknown as Entry;
      box.head++;
    }
    if (box.count === 0) this.#boxes.delete(key);
    else compact(box);
  }
}

/**
 * Entries leave from the middle of a list too (taken, evicted): once departed ones outnumber
 * the live ones, the list is rebuilt from the live ones, so it stays bounded by them.
 */
function compact(list: { entries: Entry[]; head: number; count: number }): void {
  if (list.entries.length - list.head <= 2 * list.count + 64) return;
  list.entries = list.entries.slice(list.head).filter((e) => e.live);
  list.head = 0;
}
