import { describe, expect, it } from 'vitest';
import { AddressLimiter, FrameByteBucket, TokenBucket } from '../src/ratelimit.ts';

function fakeClock(start = 1_000_000) {
  let t = start;
  const clock = () => t;
  return { clock, advance: (ms: number) => void (t += ms) };
}

describe('TokenBucket', () => {
  it('allows a burst, then refuses until it refills at the rate', () => {
    const c = fakeClock();
    const b = new TokenBucket(10, 5, c.clock);
    for (let i = 0; i < 5; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    c.advance(100); // 1 token at 10/s
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    c.advance(10_000);
    expect(b.tokens).toBe(5); // never above the burst
    expect(b.full).toBe(true);
  });

  it('spends nothing when a take is refused', () => {
    const c = fakeClock();
    const b = new TokenBucket(1, 10, c.clock);
    expect(b.take(8)).toBe(true);
    expect(b.take(3)).toBe(false);
    expect(b.take(2)).toBe(true);
  });

  it('rejects nonsense parameters', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(Number.NaN, 1)).toThrow(RangeError);
  });
});

describe('FrameByteBucket', () => {
  it('runs dry on frames or on bytes, whichever comes first', () => {
    const c = fakeClock();
    const frames = new FrameByteBucket(1, 3, 1_000_000, 1_000_000, c.clock);
    expect([frames.take(1), frames.take(1), frames.take(1), frames.take(1)]).toEqual([true, true, true, false]);
    const bytes = new FrameByteBucket(1000, 1000, 100, 250, c.clock);
    expect([bytes.take(100), bytes.take(100), bytes.take(100)]).toEqual([true, true, false]);
    c.advance(500); // +50 bytes
    expect(bytes.take(100)).toBe(true);
  });
});

describe('AddressLimiter', () => {
  it('caps simultaneous connections per address and frees them on release', () => {
    const c = fakeClock();
    const l = new AddressLimiter(2, 1000, 100, c.clock);
    expect(l.admit('a')).toBe('ok');
    expect(l.admit('a')).toBe('ok');
    expect(l.admit('a')).toBe('too_many_connections');
    expect(l.admit('b')).toBe('ok'); // other addresses unaffected
    l.release('a');
    expect(l.admit('a')).toBe('ok');
    expect(l.total).toBe(3);
  });

  it('caps handshakes per address per minute', () => {
    const c = fakeClock();
    const l = new AddressLimiter(100, 3, 100, c.clock);
    for (let i = 0; i < 3; i++) {
      expect(l.admit('a')).toBe('ok');
      l.release('a');
    }
    expect(l.admit('a')).toBe('too_many_handshakes');
    c.advance(20_000); // 3 per minute: one more after 20 s
    expect(l.admit('a')).toBe('ok');
  });

  it('caps connections globally and forgets idle addresses', () => {
    const c = fakeClock();
    const l = new AddressLimiter(10, 10, 2, c.clock);
    expect(l.admit('a')).toBe('ok');
    expect(l.admit('b')).toBe('ok');
    expect(l.admit('c')).toBe('global_cap');
    l.release('a');
    l.release('b');
    c.advance(60_000);
    l.sweep();
    expect(l.addresses).toBe(0);
  });
});

describe('KeyedBuckets', () => {
  it('keeps one bucket per key across callers, and forgets full ones', async () => {
    const { KeyedBuckets } = await import('../src/ratelimit.ts');
    let t = 0;
    const b = new KeyedBuckets(2, () => t);
    expect([b.take('k'), b.take('k'), b.take('k')]).toEqual([true, true, false]);
    expect(b.take('other')).toBe(true);
    t += 30_000; // one token back (2 per minute)
    expect([b.take('k'), b.take('k')]).toEqual([true, false]);
    t += 120_000;
    b.sweep();
    expect(b.size).toBe(0);
  });
});
