import { describe, expect, it } from 'vitest';
import { WakeRegistry } from '../src/wake.ts';

const limits = { wakeMinIntervalMs: 10_000, wakeMaxRegistrations: 3, wakeRegistrationTtlMs: 100_000 };
const tag = (b: number) => new Uint8Array(16).fill(b);

describe('WakeRegistry', () => {
  it('wakes every registered tag of an id, rate-limited per tag for messages', () => {
    let t = 0;
    const w = new WakeRegistry(limits, () => t);
    w.register('id1', 'pairA', tag(1));
    w.register('id1', 'pairB', tag(2));
    expect(w.due('id1', 'message').tags.map((x) => x[0])).toEqual([1, 2]);
    expect(w.due('id1', 'message')).toEqual({ tags: [], limited: 2 });
    expect(w.due('id1', 'call').tags).toHaveLength(2); // calls are not held back
    t += 10_000;
    expect(w.due('id1', 'message').tags).toHaveLength(2);
    expect(w.due('other', 'message').tags).toHaveLength(0);
  });

  it('replaces a key pair registration; an all-zero tag removes it', () => {
    const w = new WakeRegistry(limits);
    w.register('id1', 'pairA', tag(1));
    w.register('id1', 'pairA', tag(9));
    expect(w.due('id1', 'call').tags.map((x) => x[0])).toEqual([9]);
    w.register('id1', 'pairA', tag(0));
    expect(w.size).toBe(0);
  });

  it('is bounded: the oldest registrations go first, and old ones expire', () => {
    let t = 0;
    const w = new WakeRegistry(limits, () => t);
    for (let i = 0; i < 5; i++) w.register(`id${i}`, `p${i}`, tag(i + 1));
    expect(w.size).toBe(3);
    expect(w.due('id0', 'call').tags).toHaveLength(0);
    expect(w.due('id4', 'call').tags).toHaveLength(1);
    t += 100_001;
    w.sweep();
    expect(w.size).toBe(0);
  });
});
