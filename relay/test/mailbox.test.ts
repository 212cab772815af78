import { describe, expect, it } from 'vitest';
import { Mailboxes, type MailboxLimits } from '../src/mailbox.ts';

const base: MailboxLimits = {
  maxFrames: 8,
  maxBytes: 800,
  ttlMs: 1000,
  globalMaxBytes: 100_000,
  senderShareDivisor: 4,
  strangerShareDivisor: 1,
  identityMaxBytes: Number.MAX_SAFE_INTEGER,
  sourceMaxBytes: Number.MAX_SAFE_INTEGER,
  entryOverhead: 0,
};

/** Puts a frame from `s`, by default vouched for and from a source of its own. */
const P = (m: Mailboxes, r: string, s: string, f: Uint8Array, source = 'src:' + s, vouched = true) => m.put(r, s, source, vouched, f);

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}
const frame = (n: number, fill = 0) => new Uint8Array(n).fill(fill);

describe('Mailboxes', () => {
  it('delivers queued frames in order, once', () => {
    const m = new Mailboxes(base);
    for (let i = 0; i < 4; i++) expect(P(m, 'bob', `s${i}`, frame(10, i))).toBeUndefined();
    expect(m.pending('bob')).toBe(4);
    expect(m.take('bob').map((f) => f[0])).toEqual([0, 1, 2, 3]);
    expect(m.take('bob')).toEqual([]);
    expect(m.frames).toBe(0);
    expect(m.bytes).toBe(0);
  });

  it('limits one sender to a fair share of frames and of bytes', () => {
    const m = new Mailboxes(base);
    expect(P(m, 'bob', 'stranger', frame(10))).toBeUndefined();
    expect(P(m, 'bob', 'stranger', frame(10))).toBeUndefined();
    expect(P(m, 'bob', 'stranger', frame(10))).toBe('mailbox_sender_share'); // 8 / 4 = 2 frames
    expect(P(m, 'bob', 'alice', frame(10))).toBeUndefined(); // a contact still gets in
    const bytes = new Mailboxes({ ...base, maxFrames: 100 });
    expect(P(bytes, 'bob', 's', frame(150))).toBeUndefined();
    expect(P(bytes, 'bob', 's', frame(60))).toBe('mailbox_sender_share'); // 800 / 4 = 200 bytes
    expect(P(bytes, 'bob', 's', frame(250))).toBe('mailbox_sender_share');
  });

  it('bounds each mailbox in frames and bytes; overflow is refused, queued frames stay', () => {
    const m = new Mailboxes({ ...base, senderShareDivisor: 1 });
    for (let i = 0; i < 8; i++) expect(P(m, 'bob', `s${i}`, frame(10, i))).toBeUndefined();
    expect(P(m, 'bob', 'late', frame(10))).toBe('mailbox_full');
    expect(m.take('bob').map((f) => f[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const b = new Mailboxes({ ...base, senderShareDivisor: 1 });
    expect(P(b, 'bob', 'a', frame(500))).toBeUndefined();
    expect(P(b, 'bob', 'b', frame(301))).toBe('mailbox_full');
    expect(P(b, 'bob', 'b', frame(300))).toBeUndefined();
  });

  it('enforces the global byte cap, counting the per-frame overhead', () => {
    const m = new Mailboxes({ ...base, globalMaxBytes: 100, entryOverhead: 20 });
    expect(P(m, 'a', 's', frame(30))).toBeUndefined(); // 50
    expect(P(m, 'b', 's', frame(30))).toBeUndefined(); // 100
    expect(P(m, 'c', 's', frame(1))).toBe('mailbox_global');
    m.take('a');
    expect(P(m, 'c', 's', frame(1))).toBeUndefined();
  });

  it('drops frames older than the time to live', () => {
    const c = clock();
    const m = new Mailboxes(base, c.now);
    P(m, 'bob', 'a', frame(10, 1));
    c.advance(600);
    P(m, 'bob', 'b', frame(10, 2));
    c.advance(500); // first is 1100 ms old
    expect(m.pending('bob')).toBe(1);
    expect(m.take('bob').map((f) => f[0])).toEqual([2]);
    P(m, 'carol', 'a', frame(10));
    c.advance(2000);
    m.sweep();
    expect(m.mailboxes).toBe(0);
    expect(m.frames).toBe(0);
    expect(m.takeExpiredCount()).toBe(2);
  });

  it('frees a sender share when its frames expire', () => {
    const c = clock();
    const m = new Mailboxes(base, c.now);
    P(m, 'bob', 's', frame(10));
    P(m, 'bob', 's', frame(10));
    expect(P(m, 'bob', 's', frame(10))).toBe('mailbox_sender_share');
    c.advance(1001);
    expect(P(m, 'bob', 's', frame(10))).toBeUndefined();
  });

  it('stays bounded under a flood of senders and recipients', () => {
    const m = new Mailboxes({ ...base, globalMaxBytes: 10_000, entryOverhead: 16 });
    let refused = 0;
    for (let i = 0; i < 5000; i++) if (P(m, `r${i % 50}`, `s${i}`, frame(40)) !== undefined) refused++;
    expect(m.bytes).toBeLessThanOrEqual(10_000);
    expect(refused).toBeGreaterThan(0);
  });

  it('keeps strangers to their share: any number of them never takes the contacts\' share', () => {
    const m = new Mailboxes({ ...base, maxFrames: 64, maxBytes: 6400, strangerShareDivisor: 8, senderShareDivisor: 4 });
    let queued = 0;
    for (let i = 0; i < 1000; i++) if (P(m, 'bob', `stranger${i}`, frame(10), `10.0.${i % 250}.1`, false) === undefined) queued++;
    expect(queued).toBe(8); // 64 / 8
    expect(P(m, 'bob', 'late stranger', frame(10), '10.9.9.9', false)).toBe('mailbox_strangers');
    // Four vouched contacts fill the rest, each to its fair share of 16 frames; then the box is full.
    for (let c = 0; c < 4; c++) for (let i = 0; i < 14; i++) expect(P(m, 'bob', `contact${c}`, frame(10))).toBeUndefined();
    expect(m.pending('bob')).toBe(64);
    expect(P(m, 'bob', 'contact0', frame(10))).toBe('mailbox_full');
    // A stranger's bytes are bounded the same way.
    const b = new Mailboxes({ ...base, maxFrames: 64, maxBytes: 800, strangerShareDivisor: 8, senderShareDivisor: 1 });
    expect(P(b, 'bob', 's1', frame(100), 'x', false)).toBeUndefined();
    expect(P(b, 'bob', 's2', frame(1), 'y', false)).toBe('mailbox_strangers');
    expect(P(b, 'bob', 'c', frame(700))).toBeUndefined();
  });

  it('bounds one sender key pair across all mailboxes, at the bound', () => {
    const m = new Mailboxes({ ...base, identityMaxBytes: 100, entryOverhead: 10 });
    for (let i = 0; i < 5; i++) expect(P(m, `r${i}`, 'flooder', frame(10))).toBeUndefined(); // 5 x 20 = 100
    expect(P(m, 'r9', 'flooder', frame(1))).toBe('mailbox_identity');
    expect(m.senderBytes('flooder')).toBe(100);
    expect(P(m, 'r9', 'someone else', frame(10), 'src:flooder')).toBeUndefined();
    m.take('r0');
    expect(P(m, 'r9', 'flooder', frame(10))).toBeUndefined();
  });

  it('bounds one source address across all mailboxes and key pairs, at the bound', () => {
    const m = new Mailboxes({ ...base, sourceMaxBytes: 100, entryOverhead: 10 });
    for (let i = 0; i < 5; i++) expect(P(m, `r${i}`, `fresh${i}`, frame(10), '192.0.2.1')).toBeUndefined();
    expect(P(m, 'r9', 'fresh9', frame(1), '192.0.2.1')).toBe('mailbox_source');
    expect(m.sourceBytes('192.0.2.1')).toBe(100);
    expect(P(m, 'r9', 'fresh9', frame(10), '192.0.2.2')).toBeUndefined();
  });

  it('at the global cap the heaviest source loses its oldest frames first, never a lighter one', () => {
    const m = new Mailboxes({ ...base, maxFrames: 1000, maxBytes: 100_000, senderShareDivisor: 1, globalMaxBytes: 1000, entryOverhead: 0 });
    for (let i = 0; i < 100; i++) expect(P(m, `victim${i}`, `k${i}`, frame(10, i), 'flooder')).toBeUndefined();
    expect(m.bytes).toBe(1000);
    // An innocent sender's frame gets in: the flooder's oldest goes.
    expect(P(m, 'alice', 'bob', frame(10, 200), 'innocent')).toBeUndefined();
    expect(m.takeEvictedCount()).toBe(1);
    expect(m.pending('victim0')).toBe(0);
    expect(m.pending('victim1')).toBe(1);
    // The flooder's own next frame is refused at the cap (it is the heaviest).
    expect(P(m, 'victim0', 'k0', frame(10), 'flooder')).toBe('mailbox_global');
    // Innocent sources keep getting in until they would outweigh the flooder.
    for (let i = 0; i < 40; i++) expect(P(m, `alice${i}`, `bob${i}`, frame(10), `innocent${i}`)).toBeUndefined();
    expect(m.take('alice').map((f) => f[0])).toEqual([200]);
    expect(m.bytes).toBeLessThanOrEqual(1000);
  });

  it('keeps its lists bounded when frames leave from the middle', () => {
    const m = new Mailboxes({ ...base, maxFrames: 100_000, maxBytes: 1e9, senderShareDivisor: 1, globalMaxBytes: 1e9 });
    for (let i = 0; i < 10_000; i++) {
      P(m, `r${i}`, 'one sender', frame(10), 'one source');
      m.take(`r${i}`);
    }
    expect(m.frames).toBe(0);
    expect(m.senderBytes('one sender')).toBe(0);
    expect(m.sourceBytes('one source')).toBe(0);
  });
});
