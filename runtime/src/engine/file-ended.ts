/**
 * Incoming transfers that ended on this side (received and released, failed, cancelled,
 * expired): one small record each, `fe/<contact>/<file>`, holding the offer's timestamp.
 *
 * Why: a sender may still resend chunks of a transfer this side has finished with, because the
 * acknowledgements it never read name message ids only its last process knew (a `wschat file
 * send` that quit before they came, a crash). Without a record such chunks look like chunks
 * whose offer has not arrived yet, which wait unacknowledged (DEFERRED), so the sender resends
 * them until the transfer leaves the replay window. With it they are acknowledged and dropped.
 *
 * Bounds: a record goes when its transfer leaves the replay window (REPLAY_WINDOW_MS; the sender
 * gives the transfer up at the same age), and a contact keeps at most ENDED_TRANSFERS_PER_CONTACT
 * (the oldest go first: their chunks then wait as DEFERRED until their sender gives up).
 */
import { REPLAY_WINDOW_MS } from '@parley/generated';
import { ENDED_TRANSFERS_PER_CONTACT } from './limits.ts';
import { K, del, getRecord, listRecords, putRecord } from './records.ts';
import type { Store, StoreOp } from './storage.ts';

interface Ended {
  /** The offer's timestamp (sender's clock), or when it ended if the offer had none. */
  at: number;
}

export class EndedTransfers {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** The operation that records the end of `fileId` (in the batch that removes the transfer). */
  endOp(contact: string, fileId: string, at: number): StoreOp {
    return putRecord(K.fileEnded(contact, fileId), { at } satisfies Ended);
  }

  async has(contact: string, fileId: string): Promise<boolean> {
    return (await getRecord<Ended>(this.#store, K.fileEnded(contact, fileId))) !== undefined;
  }

  /** After an end landed: drops the contact's oldest records past ENDED_TRANSFERS_PER_CONTACT. */
  async trim(contact: string): Promise<void> {
    const keys = await this.#store.list(K.filesEnded(contact));
    if (keys.length <= ENDED_TRANSFERS_PER_CONTACT) return;
    const all = await listRecords<Ended>(this.#store, K.filesEnded(contact));
    all.sort(([, a], [, b]) => a.at - b.at);
    await this.#store.batch(all.slice(0, all.length - ENDED_TRANSFERS_PER_CONTACT).map(([key]) => del(key)));
  }

  /** Drops the records of transfers that left the replay window. */
  async expire(now: number): Promise<void> {
    const floor = now - REPLAY_WINDOW_MS;
    const old = (await listRecords<Ended>(this.#store, K.allFilesEnded)).filter(([, e]) => e.at < floor);
    if (old.length > 0) await this.#store.batch(old.map(([key]) => del(key)));
  }

  /** A removed contact's records. */
  async removeOps(contact: string): Promise<StoreOp[]> {
    return (await this.#store.list(K.filesEnded(contact))).map(del);
  }
}
