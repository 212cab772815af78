/**
 * Speed and time left of a file transfer (stores/transfer-rate.ts): measured over the last few
 * seconds, so one burst does not make the figure jump; nothing before enough samples; a paused
 * or stalled transfer says it waits; shown only for large or long transfers.
 */
import { describe, expect, it } from 'vitest';
import { MIN_SPAN_MS, RATE_WINDOW_MS, RateMeter, SHOW_RATE_BYTES, formatSpeed, formatTimeLeft, worthShowing } from '../src/stores/transfer-rate.ts';

const MB = 1024 * 1024;

describe('transfer speed and time left', () => {
  it('gives nothing before MIN_SPAN_MS of samples, then bytes over time', () => {
    const m = new RateMeter();
    m.add(0, 0);
    m.add(MIN_SPAN_MS - 1, MB);
    expect(m.rate(10 * MB)).toBeUndefined();
    m.add(1000, 2 * MB);
    const r = m.rate(10 * MB)!;
    expect(r.bytesPerSecond).toBe(2 * MB);
    expect(r.secondsLeft).toBe(4);
  });

  it('smooths over the window: a burst after a slow stretch moves the speed only part of the way', () => {
    const m = new RateMeter();
    for (let t = 0; t <= 3000; t += 500) m.add(t, (t / 1000) * MB); // 1 MB/s
    m.add(3500, 3 * MB + 4 * MB); // a burst of 4 MB in half a second
    const r = m.rate(100 * MB)!;
    expect(r.bytesPerSecond).toBeGreaterThan(1 * MB);
    expect(r.bytesPerSecond).toBeLessThan(8 * MB); // what the last half second alone would say
  });

  it('forgets samples older than the window', () => {
    const m = new RateMeter();
    m.add(0, 0);
    m.add(1000, 10 * MB); // fast at first
    for (let t = 2000; t <= 2000 + 2 * RATE_WINDOW_MS; t += 500) m.add(t, 10 * MB + ((t - 2000) / 1000) * MB); // then 1 MB/s
    expect(m.rate(1000 * MB)!.bytesPerSecond).toBeCloseTo(MB, -3);
  });

  it('a stalled transfer waits; a reset (pause) starts the measure again', () => {
    const m = new RateMeter();
    m.add(0, MB);
    m.add(RATE_WINDOW_MS + 1000, MB);
    m.add(RATE_WINDOW_MS + 2000, MB);
    expect(m.rate(10 * MB)!.secondsLeft).toBe(Infinity);
    expect(formatTimeLeft(Infinity)).toBe('waiting');
    m.reset();
    expect(m.rate(10 * MB)).toBeUndefined();
  });

  it('is worth showing for large files or long waits only', () => {
    expect(worthShowing(SHOW_RATE_BYTES, { bytesPerSecond: 100 * MB, secondsLeft: 0.1 })).toBe(true);
    expect(worthShowing(SHOW_RATE_BYTES - 1, { bytesPerSecond: 100 * MB, secondsLeft: 0.1 })).toBe(false);
    expect(worthShowing(100_000, { bytesPerSecond: 10_000, secondsLeft: 10 })).toBe(true);
    expect(worthShowing(100 * MB, undefined)).toBe(false);
  });

  it('reads as words', () => {
    expect(formatSpeed(1.45 * MB)).toBe('1.4 MB/s');
    expect(formatSpeed(820 * 1024)).toBe('820 KB/s');
    expect(formatTimeLeft(12.2)).toBe('13 s left');
    expect(formatTimeLeft(150)).toBe('3 min left');
    expect(formatTimeLeft(3900)).toBe('1 h 5 min left');
  });
});
