import { FrameKind, MessageType, OUTBOX_MAX_MESSAGES, RESEND_INTERVAL_MS } from '@parley/generated';
import { describe, expect, it, vi } from 'vitest';
import { isEngineError } from '../../src/engine/errors.ts';
import { READ_RESEND_WINDOW_MS } from '../../src/engine/limits.ts';
import { Outbox } from '../../src/engine/outbox.ts';
import { K, encodeRecord } from '../../src/engine/records.ts';
import { MemoryStore } from '../../src/engine/storage.ts';
import { befriend, fakeRelay, peer, runningPeers, settle, texts, until, waitFor, type TestPeer } from './_setup.ts';

const { running, started, friends } = runningPeers();

describe('delivery', () => {
  it('a frame the relay lost is resent after the reconnect and shown once', async () => {
    const { relay, a, b, aSeesB } = await friends();
    let dropped: Uint8Array | undefined;
    relay.drop = (s) => {
      if (s.from === a.engine.id && (s.kind === FrameKind.peer || s.kind === FrameKind.ratchet) && !dropped) {
        dropped = s.frame;
        return true;
      }
      return false;
    };
    const { id } = await a.engine.sendText(aSeesB.key, 'lost once');
    await settle();
    expect(texts(b)).toEqual([]);
    expect(a.engine.outboxSize).toBe(1);
    expect(a.engine.outboxResends).toBe(0);
    const delivered = waitFor(a.engine, 'delivered', (d) => d.ids.includes(id));
    relay.kick(a.engine.id);
    await delivered;
    await settle();
    expect(texts(b)).toEqual(['lost once']);
    expect(a.engine.outboxSize).toBe(0);
    expect(a.engine.outboxResends, 'the resend is counted (what a soak reports as outages\' cost)').toBe(1);
    expect(b.engine.outboxResends).toBe(0);
    // the resend is byte-identical to the lost frame except for the route (zeroed in `seen`)
    const frames = relay.between(a.engine.id, b.engine.id).map((s) => Buffer.from(s.frame).toString('hex'));
    expect(frames.filter((f) => f === Buffer.from(dropped!).toString('hex'))).toHaveLength(2);
  });

  it('a duplicate is acknowledged again but not shown again', async () => {
    const { relay, a, b, aSeesB } = await friends();
    const got = waitFor(b.engine, 'message', (m) => m.type === MessageType.text);
    await a.engine.sendText(aSeesB.key, 'once');
    await got;
    await until(() => a.engine.outboxSize === 0, 5000, 'delivered');
    await settle();
    const frame = relay.between(a.engine.id, b.engine.id).at(-1)!;
    const receiptsBefore = relay.between(b.engine.id, a.engine.id).length;
    relay.inject(frame); // the relay (or anyone) replays the frame
    await until(() => relay.between(b.engine.id, a.engine.id).length === receiptsBefore + 1, 5000, 'a second receipt');
    await settle();
    expect(texts(b)).toEqual(['once']);
  });

  it('an offline contact gets every message, in order, when it comes back', async () => {
    const { relay, a, b, aSeesB } = await friends();
    await b.engine.stop();
    running.splice(running.indexOf(b), 1);
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) sent.push((await a.engine.sendText(aSeesB.key, `m${i}`)).id);
    await settle();
    expect(a.engine.outboxSize).toBe(20);
    const b2 = await peer(relay, { identity: b.identity, store: b.store });
    running.push(b2);
    const all = until(() => texts(b2).length === 20, 10_000, '20 messages');
    await b2.engine.start();
    await all;
    expect(texts(b2)).toEqual(sent.map((_, i) => `m${i}`));
    await until(() => a.engine.outboxSize === 0, 5000, 'A outbox empty');
  });

  it('a relay restart loses its mailbox; the outbox fills the gap without duplicates', async () => {
    const { relay, a, b, aSeesB, bSeesA } = await friends();
    await b.engine.stop();
    running.splice(running.indexOf(b), 1);
    for (let i = 0; i < 5; i++) await a.engine.sendText(aSeesB.key, `before ${i}`);
    await settle();
    relay.up = false;
    relay.restart(); // the mailbox with the five frames is gone
    await settle(100);
    for (let i = 0; i < 3; i++) await a.engine.sendText(aSeesB.key, `during ${i}`);
    relay.up = true;
    a.engine.reconnectNow();
    const b2 = await peer(relay, { identity: b.identity, store: b.store });
    running.push(b2);
    const all = until(() => texts(b2).length === 8, 15_000, '8 messages');
    await b2.engine.start();
    await all;
    await until(() => a.engine.outboxSize === 0, 5000, 'A outbox empty');
    expect(texts(b2)).toEqual(['before 0', 'before 1', 'before 2', 'before 3', 'before 4', 'during 0', 'during 1', 'during 2']);
    // and back the other way
    const got = waitFor(a.engine, 'message', (m) => m.type === MessageType.text);
    await b2.engine.sendText(bSeesA.key, 'back');
    await got;
    await settle(100);
    expect(texts(b2)).toHaveLength(8);
  });

  it('a send beyond OUTBOX_MAX_MESSAGES fails with OUTBOX_FULL', async () => {
    const { relay, a, aSeesB } = await friends();
    await a.engine.stop();
    running.splice(running.indexOf(a), 1);
    // fill A's stored outbox to the bound (entries whose frames are gone are skipped when sending)
    const ops = [];
    for (let seq = 1_000_000; seq < 1_000_000 + OUTBOX_MAX_MESSAGES; seq++) {
      ops.push({ op: 'put' as const, key: K.outMeta(seq), value: encodeRecord({ seq, contact: aSeesB.key, msgId: seq.toString(16).padStart(32, '0'), type: MessageType.text, kind: 'peer', size: 100, createdAt: Date.now() }) });
    }
    await a.store.batch(ops);
    relay.up = false;
    const a2 = await peer(relay, { identity: a.identity, store: a.store });
    running.push(a2);
    await a2.engine.start();
    expect(a2.engine.outboxSize).toBe(OUTBOX_MAX_MESSAGES);
    await expect(a2.engine.sendText(aSeesB.key, 'one too many')).rejects.toSatisfy((e) => isEngineError(e, 'OUTBOX_FULL'));
    await expect(a2.engine.sendFile(aSeesB.key, { name: 'f', bytes: new Uint8Array(10) })).rejects.toSatisfy((e) => isEngineError(e, 'OUTBOX_FULL'));
  });

  it('an unacknowledged message is resent every RESEND_INTERVAL_MS without a reconnect', async () => {
    vi.useFakeTimers({ toFake: ['setInterval'] });
    try {
      let clock = Date.now();
      const now = () => clock;
      const relay = await fakeRelay();
      const a = await started(peer(relay, { now }));
      const b = await started(peer(relay, { now }));
      const { aSeesB } = await befriend(a, b);
      let drops = 2;
      relay.drop = (s) => s.from === a.engine.id && (s.kind === FrameKind.peer || s.kind === FrameKind.ratchet) && drops-- > 0;
      const { id } = await a.engine.sendText(aSeesB.key, 'third time lucky');
      await settle();
      expect(relay.between(a.engine.id, b.engine.id).length).toBeGreaterThan(0);
      const sends = () => relay.between(a.engine.id, b.engine.id).filter((s) => (s.kind === FrameKind.peer || s.kind === FrameKind.ratchet)).length;
      const before = sends();
      // not yet due
      clock += RESEND_INTERVAL_MS / 2;
      await vi.advanceTimersByTimeAsync(RESEND_INTERVAL_MS);
      await settle();
      expect(sends()).toBe(before);
      clock += RESEND_INTERVAL_MS / 2;
      await vi.advanceTimersByTimeAsync(RESEND_INTERVAL_MS);
      await settle();
      expect(sends()).toBe(before + 1);
      const delivered = waitFor(a.engine, 'delivered', (d) => d.ids.includes(id));
      clock += RESEND_INTERVAL_MS;
      await vi.advanceTimersByTimeAsync(RESEND_INTERVAL_MS);
      await delivered;
      expect(texts(b)).toEqual(['third time lucky']);
      expect(a.engine.outboxResends, 'two resends on the interval, both counted').toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a contact request the relay lost is sent again; the owner sees it once', async () => {
    const relay = await fakeRelay();
    const a = await started(peer(relay));
    const b = await started(peer(relay));
    const invite = await a.engine.createInvite();
    await a.engine.stop();
    running.splice(running.indexOf(a), 1);
    await b.engine.addContact(invite.link);
    await settle();
    relay.restart(); // the mailbox held the first-contact frame
    const a2 = await peer(relay, { identity: a.identity, store: a.store });
    running.push(a2);
    const req = waitFor(a2.engine, 'contact-request');
    await a2.engine.start();
    await settle(50);
    b.engine.reconnectNow();
    await req;
    // later resends of the same request are dropped quietly (the single-use invite is used up;
    // a multi-use one would fail the gate: its tag was seen)
    relay.kick(b.engine.id);
    await waitFor(a2.engine, 'dropped', (d) => d.kind === 'first_contact' && (d.code === 'BAD_INVITE' || d.code === 'GATE_FAILED'));
    expect(a2.of('contact-request')).toHaveLength(1);
  });

  it('read receipts marked while offline go out after the next handshake', async () => {
    const { relay, a, b, aSeesB, bSeesA } = await friends();
    const got = waitFor(b.engine, 'message', (m) => m.type === MessageType.text);
    const { id } = await a.engine.sendText(aSeesB.key, 'read me later');
    await got;
    relay.up = false;
    relay.kick(b.engine.id);
    await waitFor(b.engine, 'state', (s) => s.state === 'offline');
    await b.engine.markRead(bSeesA.key, [id]);
    expect((await b.engine.history(bSeesA.key)).find((h) => h.id === id)!.read).toBe(true);
    const read = waitFor(a.engine, 'read');
    relay.up = true;
    b.engine.reconnectNow();
    expect((await read).ids).toEqual([id]);
  });

  it('a read receipt lost with the connection is sent once more after the reconnect, within READ_RESEND_WINDOW_MS', async () => {
    let clock = Date.now();
    const now = () => clock;
    const { relay, a, b, aSeesB, bSeesA } = await friends({ now });
    const ids: string[] = [];
    for (const t of ['one', 'two']) {
      const got = waitFor(b.engine, 'message', (m) => m.type === MessageType.text && m.body.text === t);
      ids.push((await a.engine.sendText(aSeesB.key, t)).id);
      await got;
    }
    await until(() => a.engine.outboxSize === 0, 5000, 'delivered receipts in');
    await settle();
    const readAt = (p: TestPeer) => p.of('read').flatMap((r) => r.ids);
    // The read receipt leaves b but dies with the connection.
    let lose = true;
    relay.drop = (s) => s.from === b.engine.id && (s.kind === FrameKind.peer || s.kind === FrameKind.ratchet) && lose && !(lose = false);
    await b.engine.markRead(bSeesA.key, [ids[0]!]);
    await settle();
    expect(readAt(a)).toEqual([]);
    const read = waitFor(a.engine, 'read');
    relay.kick(b.engine.id);
    expect((await read).ids).toEqual([ids[0]]);
    // Past the window a receipt is not repeated: a second loss stays lost.
    lose = true;
    await b.engine.markRead(bSeesA.key, [ids[1]!]);
    await settle();
    clock += READ_RESEND_WINDOW_MS + 1;
    relay.kick(b.engine.id);
    await waitFor(b.engine, 'synced');
    await settle();
    expect(readAt(a)).toEqual([ids[0]]);
  });

  it('Outbox.reserve counts reservations in flight', () => {
    const o = new Outbox(new MemoryStore(), Date.now);
    const r = o.reserve(OUTBOX_MAX_MESSAGES - 1);
    expect(() => o.reserve(2)).toThrow(/outbox/);
    const r2 = o.reserve(1);
    r.release();
    r2.release();
    expect(() => o.reserve(OUTBOX_MAX_MESSAGES)).not.toThrow();
  });
});
