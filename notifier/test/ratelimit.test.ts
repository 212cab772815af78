/** Per-tag wake limits (src/ratelimit.ts). */
import { describe, expect, it } from 'vitest';
import { WakeReason } from '../src/push.ts';
import { WakeLimiter } from '../src/ratelimit.ts';

describe('WakeLimiter', () => {
  it('lets one message push through per interval per tag', () => {
    let t = 0;
    const l = new WakeLimiter({ wakeMinIntervalMs: 10_000, callWakesPerMinute: 12 }, () => t);
    expect(l.allow('a', WakeReason.message)).toBe(true);
    expect(l.allow('a', WakeReason.message)).toBe(false);
    expect(l.allow('b', WakeReason.message)).toBe(true);
    t = 9_999;
    expect(l.allow('a', WakeReason.message)).toBe(false);
    t = 10_000;
    expect(l.allow('a', WakeReason.message)).toBe(true);
  });

  it('gives calls their own bucket, refilled over a minute', () => {
    let t = 0;
    const l = new WakeLimiter({ wakeMinIntervalMs: 10_000, callWakesPerMinute: 3 }, () => t);
    l.allow('a', WakeReason.message);
    expect([1, 2, 3, 4].map(() => l.allow('a', WakeReason.call))).toEqual([true, true, true, false]);
    t = 20_000; // one token back
    expect(l.allow('a', WakeReason.call)).toBe(true);
    expect(l.allow('a', WakeReason.call)).toBe(false);
  });

  it('forgets tags once they have recovered', () => {
    let t = 0;
    const l = new WakeLimiter({ wakeMinIntervalMs: 1000, callWakesPerMinute: 6 }, () => t);
    l.allow('a', WakeReason.message);
    l.allow('b', WakeReason.call);
    l.sweep();
    expect(l.size).toBe(2);
    t = 10_001;
    l.sweep();
    expect(l.size).toBe(0);
  });
});
