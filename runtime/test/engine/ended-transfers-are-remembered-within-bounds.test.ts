/**
 * The records of ended incoming transfers (file-ended.ts) stay bounded: at most
 * ENDED_TRANSFERS_PER_CONTACT per contact, the oldest dropped first, none past the replay window,
 * and none of a removed contact.
 */
import { REPLAY_WINDOW_MS } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/engine/index.ts';
import { EndedTransfers } from '../../src/engine/file-ended.ts';
import { ENDED_TRANSFERS_PER_CONTACT } from '../../src/engine/limits.ts';

const T0 = 1_800_000_000_000;
const file = (i: number) => i.toString(16).padStart(32, '0');

describe('ended transfers', () => {
  it('keeps at most ENDED_TRANSFERS_PER_CONTACT per contact, dropping the oldest', async () => {
    const store = new MemoryStore();
    const ended = new EndedTransfers(store);
    const n = ENDED_TRANSFERS_PER_CONTACT + 5;
    // written newest first, so the order kept is by the offer's time, not by the write
    for (let i = n - 1; i >= 0; i--) await store.batch([ended.endOp('c1', file(i), T0 + i)]);
    await store.batch([ended.endOp('c2', file(0), T0)]);
    await ended.trim('c1');
    for (let i = 0; i < 5; i++) expect(await ended.has('c1', file(i))).toBe(false);
    for (let i = 5; i < n; i++) expect(await ended.has('c1', file(i))).toBe(true);
    expect(await ended.has('c2', file(0))).toBe(true); // another contact's are not counted
  });

  it('forgets transfers that left the replay window, and those of a removed contact', async () => {
    const store = new MemoryStore();
    const ended = new EndedTransfers(store);
    await store.batch([ended.endOp('c1', file(1), T0), ended.endOp('c1', file(2), T0 + 1000), ended.endOp('c2', file(3), T0 + 1000)]);
    await ended.expire(T0 + REPLAY_WINDOW_MS + 1);
    expect(await ended.has('c1', file(1))).toBe(false);
    expect(await ended.has('c1', file(2))).toBe(true);
    await store.batch(await ended.removeOps('c1'));
    expect(await ended.has('c1', file(2))).toBe(false);
    expect(await ended.has('c2', file(3))).toBe(true);
  });
});
