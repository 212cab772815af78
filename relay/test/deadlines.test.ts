/** Deadlines under one shared timer (deadlines.ts): each item expires once, in order, on time. */
import { describe, expect, it } from 'vitest';
import { Deadlines } from '../src/deadlines.ts';
import { sleep } from './helpers/relay.ts';

describe('Deadlines', () => {
  it('expires items oldest first, between ms and ms + tick after they were added, each once', async () => {
    const expired: { item: string; after: number }[] = [];
    const added = new Map<string, number>();
    const d = new Deadlines<string>(120, (item) => expired.push({ item, after: Date.now() - added.get(item)! }), 20);
    for (const item of ['a', 'b', 'c']) {
      added.set(item, Date.now());
      d.add(item);
      await sleep(30);
    }
    for (let i = 0; i < 50 && expired.length < 3; i++) await sleep(20);
    expect(expired.map((e) => e.item)).toEqual(['a', 'b', 'c']);
    for (const e of expired) {
      expect(e.after).toBeGreaterThanOrEqual(119);
      expect(e.after).toBeLessThan(120 + 20 + 200); // a tick late at most, plus a loaded machine's timer lag
    }
    await sleep(200);
    expect(expired).toHaveLength(3);
    expect(d.size).toBe(0);
  });

  it('never expires an item deleted before its deadline, and restarts an item added again', async () => {
    const expired: string[] = [];
    const d = new Deadlines<string>(100, (item) => expired.push(item), 10);
    d.add('gone');
    d.add('again');
    d.add('kept');
    await sleep(60);
    expect(d.delete('gone')).toBe(true);
    d.add('again'); // its deadline is now 100 ms from here, after 'kept'
    expect(d.oldest()).toBe('kept');
    for (let i = 0; i < 50 && !expired.includes('kept'); i++) await sleep(10);
    expect(expired).toEqual(['kept']);
    for (let i = 0; i < 50 && !expired.includes('again'); i++) await sleep(10);
    expect(expired).toEqual(['kept', 'again']);
    expect(d.has('gone')).toBe(false);
  });

  it('clear() drops every item without expiring it', async () => {
    const expired: number[] = [];
    const d = new Deadlines<number>(50, (item) => expired.push(item), 10);
    for (let i = 0; i < 100; i++) d.add(i);
    d.clear();
    await sleep(120);
    expect(expired).toEqual([]);
    expect(d.size).toBe(0);
  });
});
