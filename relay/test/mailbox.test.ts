import { describe, expect, it } from 'vitest';
import { Mailboxes, type MailboxLimits } from '../src/mailbox.ts';

const base: MailboxLimits = {
  maxFrames: 8,
  maxBytes: 800,
  ttlMs: 1000,
  globalMaxBytes: 100_000,
  senderShareDivisor: 4,
  entryOverhead: 0,
};

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}
const frame = (n: number, fill = 0) => new Uint8Array(n).fill(fill);

describe('Mailboxes', () => {
  it('delivers queued frames in order, once', () => {
    const m = new Mailboxes(base);
    for (let i = 0; i < 4; i++) expect(m.put('bob', `s${i}`, frame(10, i))).toBeUndefined();
    expect(m.pending('bob')).toBe(4);
    expect(m.take('bob').map((f) => f[0])).toEqual([0, 1, 2, 3]);
    expect(m.take('bob')).toEqual([]);
    expect(m.frames).toBe(0);
    expect(m.bytes).toBe(0);
  });

  it('limits one sender to a fair share of frames and of bytes', () => {
    const m = new Mailboxes(base);
    expect(m.put('bob', 'stranger', frame(10))).toBeUndefined();
    expect(m.put('bob', 'stranger', frame(10))).toBeUndefined();
    expect(m.put('bob', 'stranger', frame(10))).toBe('mailbox_sender_share'); // 8 / 4 = 2 frames
    expect(m.put('bob', 'alice', frame(10))).toBeUndefined(); // a contact still gets in
    const bytes = new Mailboxes({ ...base, maxFrames: 100 });
    expect(bytes.put('bob', 's', frame(150))).toBeUndefined();
    expect(bytes.put('bob', 's', frame(60))).toBe('mailbox_sender_share'); // 800 / 4 = 200 bytes
    expect(bytes.put('bob', 's', frame(250), )).toBe('mailbox_sender_share');
  });

  it('bounds each mailbox in frames and bytes; overflow is refused, queued frames stay', () => {
    const m = new Mailboxes({ ...base, senderShareDivisor: 1 });
    for (let i = 0; i < 8; i++) expect(m.put('bob', `s${i}`, frame(10, i))).toBeUndefined();
    expect(m.put('bob', 'late', frame(10))).toBe('mailbox_full');
    expect(m.take('bob').map((f) => f[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const b = new Mailboxes({ ...base, senderShareDivisor: 1 });
    expect(b.put('bob', 'a', frame(500))).toBeUndefined();
    expect(b.put('bob', 'b', frame(301))).toBe('mailbox_full');
    expect(b.put('bob', 'b', frame(300))).toBeUndefined();
  });

  it('enforces the global byte cap, counting the per-frame overhead', () => {
    const m = new Mailboxes({ ...base, globalMaxBytes: 100, entryOverhead: 20 });
    expect(m.put('a', 's', frame(30))).toBeUndefined(); // 50
    expect(m.put('b', 's', frame(30))).toBeUndefined(); // 100
    expect(m.put('c', 's', frame(1))).toBe('mailbox_global');
    m.take('a');
    expect(m.put('c', 's', frame(1))).toBeUndefined();
  });

  it('drops frames older than the time to live', () => {
    const c = clock();
    const m = new Mailboxes(base, c.now);
    m.put('bob', 'a', frame(10, 1));
    c.advance(600);
    m.put('bob', 'b', frame(10, 2));
    c.advance(500); // first is 1100 ms old
    expect(m.pending('bob')).toBe(1);
    expect(m.take('bob').map((f) => f[0])).toEqual([2]);
    m.put('carol', 'a', frame(10));
    c.advance(2000);
    m.sweep();
    expect(m.mailboxes).toBe(0);
    expect(m.frames).toBe(0);
    expect(m.takeExpiredCount()).toBe(2);
  });

  it('frees a sender share when its frames expire', () => {
    const c = clock();
    const m = new Mailboxes(base, c.now);
    m.put('bob', 's', frame(10));
    m.put('bob', 's', frame(10));
    expect(m.put('bob', 's', frame(10))).toBe('mailbox_sender_share');
    c.advance(1001);
    expect(m.put('bob', 's', frame(10))).toBeUndefined();
  });

  it('stays bounded under a flood of senders and recipients', () => {
    const m = new Mailboxes({ ...base, globalMaxBytes: 10_000, entryOverhead: 16 });
    let refused = 0;
    for (let i = 0; i < 5000; i++) if (m.put(`r${i % 50}`, `s${i}`, frame(40)) !== undefined) refused++;
    expect(m.bytes).toBeLessThanOrEqual(10_000);
    expect(refused).toBeGreaterThan(0);
  });
});
