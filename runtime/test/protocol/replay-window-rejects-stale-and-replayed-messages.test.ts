/**
 * The replay window (spec receive_order step 7, REPLAY_WINDOW_MS, REPLAY_MAX_IDS,
 * MAX_CLOCK_SKEW_MS): fresh ids are remembered, duplicates reported, timestamps too far in the
 * future or below the window are STALE, below the floor REPLAYED; the floor rises above evicted
 * ids at the cap; the window survives a JSON round trip.
 */
import { MAX_CLOCK_SKEW_MS, REPLAY_MAX_IDS, REPLAY_WINDOW_MS } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { isOpenError } from '../../src/protocol/errors.ts';
import { ReplayWindow } from '../../src/protocol/replay.ts';

const NOW = 1_700_000_000_000;
const id = (n: number) => Uint8Array.from({ length: 16 }, (_, i) => (n >> (8 * (i % 4))) & 0xff);

function code(f: () => unknown): string {
  try {
    return String(f());
  } catch (e) {
    if (isOpenError(e)) return e.code;
    throw e;
  }
}

describe('replay window', () => {
  it('uses the spec defaults', () => {
    const w = new ReplayWindow();
    expect([w.windowMs, w.maxIds, w.maxSkewMs]).toEqual([REPLAY_WINDOW_MS, REPLAY_MAX_IDS, MAX_CLOCK_SKEW_MS]);
  });

  it('accepts a fresh id once, then reports it as a duplicate', () => {
    const w = new ReplayWindow();
    expect(w.check(id(1), NOW, NOW)).toBe('fresh');
    expect(w.check(id(1), NOW, NOW)).toBe('duplicate');
    expect(w.check(id(2), NOW - 5, NOW)).toBe('fresh');
    expect(w.size).toBe(2);
  });

  it('rejects timestamps beyond the clock skew or below the window as STALE', () => {
    const w = new ReplayWindow();
    expect(code(() => w.check(id(1), NOW + MAX_CLOCK_SKEW_MS + 1, NOW))).toBe('STALE');
    expect(code(() => w.check(id(2), NOW + MAX_CLOCK_SKEW_MS, NOW))).toBe('fresh');
    expect(code(() => w.check(id(3), NOW - REPLAY_WINDOW_MS - 1, NOW))).toBe('STALE');
    expect(code(() => w.check(id(4), NOW - REPLAY_WINDOW_MS, NOW))).toBe('fresh');
  });

  it('forgets ids that left the window (they are STALE anyway)', () => {
    const w = new ReplayWindow({ windowMs: 1000 });
    w.check(id(1), NOW, NOW);
    w.prune(NOW + 1001);
    expect(w.size).toBe(0);
    expect(code(() => w.check(id(1), NOW, NOW + 1001))).toBe('STALE');
  });

  it('raises the floor above evicted ids at the cap: an evicted id is REPLAYED', () => {
    const w = new ReplayWindow({ maxIds: 3 });
    for (let i = 0; i < 3; i++) w.check(id(i), NOW + i, NOW);
    w.check(id(10), NOW + 10, NOW); // evicts id(0) at NOW
    expect(w.size).toBe(3);
    expect(w.floor).toBe(NOW + 1);
    expect(code(() => w.check(id(0), NOW, NOW))).toBe('REPLAYED');
    expect(code(() => w.check(id(99), NOW, NOW))).toBe('REPLAYED'); // anything below the floor
    expect(w.check(id(1), NOW + 1, NOW)).toBe('duplicate');
    // out-of-order arrivals evict by timestamp, not arrival
    w.check(id(5), NOW + 5, NOW); // evicts id(1)
    expect(w.floor).toBe(NOW + 2);
  });

  it('survives a JSON round trip, and refuses a malformed one', () => {
    const w = new ReplayWindow({ maxIds: 2 });
    w.check(id(1), NOW + 1, NOW);
    w.check(id(2), NOW + 2, NOW);
    w.check(id(3), NOW + 3, NOW);
    const back = ReplayWindow.fromJSON(JSON.parse(JSON.stringify(w)), { maxIds: 2 });
    expect(back.floor).toBe(w.floor);
    expect(back.check(id(3), NOW + 3, NOW)).toBe('duplicate');
    expect(code(() => back.check(id(1), NOW + 1, NOW))).toBe('REPLAYED');
    expect(() => ReplayWindow.fromJSON({ format: 'parley-replay-window', version: 1, floor: 0, ids: [['zz', 1]] })).toThrow();
    expect(() => ReplayWindow.fromJSON({ format: 'x' })).toThrow(TypeError);
  });
});
