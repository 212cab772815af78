/**
 * Offline mailboxes (spec/DESIGN.md "Mailbox and outbox"): one in-memory queue per
 * recipient id, bounded in frames, bytes and time to live, with a global byte cap and a
 * per-sender fair share so strangers cannot take a contact's place. Overflow is dropped
 * silently (the caller counts it); the sender's outbox resends until an end-to-end receipt.
 * No database: a restart loses the mailboxes, and the senders' outboxes recover them.
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
  /** Bookkeeping bytes charged per queued frame against the global cap. */
  entryOverhead: number;
}

/** Why a frame was not queued; each is a drop reason in the metrics. */
export type MailboxDrop = 'mailbox_full' | 'mailbox_sender_share' | 'mailbox_global';

interface Entry {
  frame: Uint8Array;
  sender: string;
  at: number;
}

interface SenderShare {
  frames: number;
  bytes: number;
}

class Box {
  entries: Entry[] = [];
  head = 0;
  bytes = 0;
  senders = new Map<string, SenderShare>();

  get count(): number {
    return this.entries.length - this.head;
  }
}

export class Mailboxes {
  readonly #boxes = new Map<string, Box>();
  #frames = 0;
  #bytes = 0;
  #expired = 0;

  constructor(
    readonly limits: MailboxLimits,
    readonly clock: Clock = Date.now,
  ) {}

  /**
   * Queues `frame` (kept as given: pass a right-sized copy) for `recipient` from `sender`.
   * Returns undefined when queued, or the drop reason.
   */
  put(recipient: string, sender: string, frame: Uint8Array): MailboxDrop | undefined {
    const L = this.limits;
    const len = frame.length;
    if (this.#bytes + len + L.entryOverhead > L.globalMaxBytes) return 'mailbox_global';
    let box = this.#boxes.get(recipient);
    if (box !== undefined) this.#expire(recipient, box, this.clock());
    box = this.#boxes.get(recipient);
    if (box !== undefined) {
      if (box.count >= L.maxFrames || box.bytes + len > L.maxBytes) return 'mailbox_full';
      const share = box.senders.get(sender);
      if (
        share !== undefined &&
        (share.frames + 1 > L.maxFrames / L.senderShareDivisor || share.bytes + len > L.maxBytes / L.senderShareDivisor)
      ) {
        return 'mailbox_sender_share';
      }
    } else {
      if (len > L.maxBytes) return 'mailbox_full';
      box = new Box();
      this.#boxes.set(recipient, box);
    }
    if (len > L.maxBytes / L.senderShareDivisor) {
      if (box.count === 0) this.#boxes.delete(recipient);
      return 'mailbox_sender_share';
    }
    box.entries.push({ frame, sender, at: this.clock() });
    box.bytes += len;
    const share = box.senders.get(sender);
    if (share === undefined) box.senders.set(sender, { frames: 1, bytes: len });
    else {
      share.frames++;
      share.bytes += len;
    }
    this.#frames++;
    this.#bytes += len + L.entryOverhead;
    return undefined;
  }

  /** Frames waiting for `recipient` that have not expired. */
  pending(recipient: string): number {
    const box = this.#boxes.get(recipient);
    if (box === undefined) return 0;
    this.#expire(recipient, box, this.clock());
    return box.count;
  }

  /** Removes and returns every live frame for `recipient`, oldest first. */
  take(recipient: string): Uint8Array[] {
    const box = this.#boxes.get(recipient);
    if (box === undefined) return [];
    this.#expire(recipient, box, this.clock());
    if (!this.#boxes.has(recipient)) return [];
    const out: Uint8Array[] = [];
    for (let i = box.head; i < box.entries.length; i++) out.push(box.entries[i]!.frame);
    this.#frames -= box.count;
    this.#bytes -= box.bytes + box.count * this.limits.entryOverhead;
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

  clear(): void {
    this.#boxes.clear();
    this.#frames = 0;
    this.#bytes = 0;
  }

  #expire(key: string, box: Box, now: number): void {
    const cutoff = now - this.limits.ttlMs;
    while (box.head < box.entries.length && box.entries[box.head]!.at <= cutoff) {
      const e = box.entries[box.head]!;
      box.entries[box.head] = undefined as unknown as Entry;
      box.head++;
      box.bytes -= e.frame.length;
      const share = box.senders.get(e.sender)!;
      share.frames--;
      share.bytes -= e.frame.length;
      if (share.frames === 0) box.senders.delete(e.sender);
      this.#frames--;
      this.#bytes -= e.frame.length + this.limits.entryOverhead;
      this.#expired++;
    }
    if (box.count === 0) this.#boxes.delete(key);
    else if (box.head > 64 && box.head * 2 > box.entries.length) {
      box.entries = box.entries.slice(box.head);
      box.head = 0;
    }
  }
}
