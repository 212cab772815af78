/**
 * Persistent replay windows, one per contact (spec receive_order step 7).
 *
 * The window logic is the protocol's `ReplayWindow`; this file stores it incrementally, so a
 * received message costs one small key, written in the same atomic batch as the message:
 * `rw/<contact>/<id>` holds the id's timestamp and `rf/<contact>` the floor. Entries the window
 * has evicted or expired may stay in the store for a while: reloading inserts them again and the
 * window evicts the same ones (it keeps the REPLAY_MAX_IDS newest and raises the floor above
 * the rest), so stale keys never make a replay acceptable. They are removed in bulk once
 * REPLAY_CLEANUP_SLACK of them have accumulated.
 */
import { toHex } from '../crypto/index.ts';
import { ReplayWindow, type ReplayVerdict } from '../protocol/replay.ts';
import { REPLAY_CLEANUP_SLACK } from './limits.ts';
import { K, del } from './records.ts';
import type { Store, StoreOp } from './storage.ts';

interface Loaded {
  window: ReplayWindow;
  /** Ids present in the store (a superset of the window's). */
  stored: Set<string>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class ReplayStore {
  readonly #store: Store;
  readonly #windows = new Map<string, Loaded>();
  readonly #loading = new Map<string, Promise<Loaded>>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** True if the contact's window remembers `msgId` (a duplicate). */
  async has(contact: string, msgId: Uint8Array): Promise<boolean> {
    return (await this.#load(contact)).window.has(msgId);
  }

  /**
   * Checks a message against the window (throws OpenError STALE or REPLAYED) and, if fresh,
   * returns the store operations that persist it; the caller writes them in its batch.
   */
  async check(contact: string, msgId: Uint8Array, sentAt: number, now: number): Promise<{ verdict: ReplayVerdict; ops: StoreOp[] }> {
    const l = await this.#load(contact);
    const verdict = l.window.check(msgId, sentAt, now);
    if (verdict === 'duplicate') return { verdict, ops: [] };
    const id = toHex(msgId);
    l.stored.add(id);
    const ops: StoreOp[] = [{ op: 'put', key: K.replayId(contact, id), value: enc.encode(String(sentAt)) }];
    if (l.stored.size - l.window.size > REPLAY_CLEANUP_SLACK) ops.push(...this.#cleanup(contact, l));
    return { verdict, ops };
  }

  /** Forgets the cached window so the next use reloads it (after a failed batch). */
  forget(contact: string): void {
    this.#windows.delete(contact);
  }

  /** Operations that delete every entry of a contact's window (contact removed). */
  async removeOps(contact: string): Promise<StoreOp[]> {
    this.#windows.delete(contact);
    const keys = await this.#store.list(K.replayIds(contact));
    return [...keys.map(del), del(K.replayFloor(contact))];
  }

  #cleanup(contact: string, l: Loaded): StoreOp[] {
    const json = l.window.toJSON();
    const live = new Set(json.ids.map(([id]) => id));
    const ops: StoreOp[] = [];
    for (const id of l.stored) {
      if (!live.has(id)) {
        ops.push(del(K.replayId(contact, id)));
        l.stored.delete(id);
      }
    }
    ops.push({ op: 'put', key: K.replayFloor(contact), value: enc.encode(String(json.floor)) });
    return ops;
  }

  #load(contact: string): Promise<Loaded> {
    const have = this.#windows.get(contact);
    if (have) return Promise.resolve(have);
    let p = this.#loading.get(contact);
    if (!p) {
      p = this.#read(contact).finally(() => this.#loading.delete(contact));
      this.#loading.set(contact, p);
    }
    return p;
  }

  async #read(contact: string): Promise<Loaded> {
    const prefix = K.replayIds(contact);
    const keys = await this.#store.list(prefix);
    const ids: [string, number][] = [];
    for (const key of keys) {
      const v = await this.#store.get(key);
      if (v !== undefined) ids.push([key.slice(prefix.length), Number(dec.decode(v))]);
    }
    const f = await this.#store.get(K.replayFloor(contact));
    const floor = f === undefined ? 0 : Number(dec.decode(f));
    const window = ReplayWindow.fromJSON({ format: 'parley-replay-window', version: 1, floor, ids });
    const loaded: Loaded = { window, stored: new Set(ids.map(([id]) => id)) };
    this.#windows.set(contact, loaded);
    return loaded;
  }
}
