/**
 * The call state machine (web/src/calls/machine.ts) with people wired through an in-memory bus
 * and a manual clock: 1:1 calls, the offerer rule, ringing timeouts, busy, decline, a missed
 * call that arrives late, group calls as a full mesh, adding someone, leaving, early messages.
 */
import { CALL_ID_SIZE, CALL_RING_TIMEOUT_MS, CallByeReason, CallMedia, CallRejectReason, MAX_CALL_PARTICIPANTS, MessageType } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { CallMachine, type CallRecord } from '../src/calls/machine.ts';
import { callIdOf, isOfferer, msg, type CallMessage } from '../src/calls/signal.ts';

const key = (n: number) => n.toString(16).padStart(2, '0').repeat(32);

class World {
  now = 1_000_000;
  timers: { at: number; fn: () => void; id: number }[] = [];
  people = new Map<string, Person>();
  online = new Set<string>();
  seq = 0;

  person(n: number, contacts?: number[]): Person {
    const p = new Person(this, key(n), contacts?.map(key));
    this.people.set(p.key, p);
    this.online.add(p.key);
    return p;
  }

  /** Delivers queued messages and fires due timers until nothing moves. */
  async settle(advance = 0): Promise<void> {
    const until = this.now + advance;
    for (;;) {
      for (let i = 0; i < 20; i++) await Promise.resolve();
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = Math.max(this.now, due.at);
      due.fn();
    }
    this.now = until;
  }
}

class Person {
  readonly m: CallMachine;
  readonly sent: { to: string; m: CallMessage }[] = [];
  readonly links = new Map<string, { offerer: boolean; got: CallMessage[] }>();
  readonly records: CallRecord[] = [];
  readonly rings: string[] = [];
  held: { from: string; m: CallMessage; at: number }[] = [];

  constructor(
    readonly w: World,
    readonly key: string,
    readonly contacts?: string[],
  ) {
    this.m = new CallMachine({
      me: () => key,
      now: () => w.now,
      newCallId: () => new Uint8Array(CALL_ID_SIZE).fill(++w.seq),
      isContact: (k) => (contacts ? contacts.includes(k) : w.people.has(k)),
      send: async (to, m) => {
        this.sent.push({ to, m });
        const id = `m${++w.seq}`;
        const at = w.now;
        const target = w.people.get(to);
        if (target && w.online.has(to)) queueMicrotask(() => target.m.onSignal(key, m, at));
        else if (target) target.held.push({ from: key, m, at });
        return id;
      },
      ring: (k) => this.rings.push(k),
      setTimer: (fn, ms) => {
        const t = { at: w.now + ms, fn, id: ++w.seq };
        w.timers.push(t);
        return t.id;
      },
      clearTimer: (id) => (w.timers = w.timers.filter((t) => t.id !== id)),
      link: (k, offerer) => this.links.set(k, { offerer, got: [] }),
      unlink: (k) => this.links.delete(k),
      toLink: (k, m) => this.links.get(k)?.got.push(m),
      changed: () => undefined,
      ended: (r) => this.records.push(r),
      report: () => undefined,
    });
  }

  /** Comes online: what waited in the relay's mailbox arrives. */
  connect(): void {
    this.w.online.add(this.key);
    const held = this.held;
    this.held = [];
    for (const h of held) this.m.onSignal(h.from, h.m, h.at);
  }

  sentTypes(to?: string): number[] {
    return this.sent.filter((s) => to === undefined || s.to === to).map((s) => s.m.type);
  }

  get phase() {
    return this.m.call?.phase;
  }
}

describe('call state machine', () => {
  it('a 1:1 call: invite with the roster and a ring, accept, one link whose lower key offers, hang up on both sides', async () => {
    const w = new World();
    const a = w.person(1);
    const b = w.person(2);
    const id = a.m.start([b.key], CallMedia.video);
    expect(id).toHaveLength(CALL_ID_SIZE * 2);
    expect(a.rings).toEqual([b.key]);
    const invite = a.sent[0]!.m;
    expect(invite.type).toBe(MessageType.callInvite);
    if (invite.type === MessageType.callInvite) expect(invite.body.roster.map((r) => r.key[0])).toEqual([1, 2]);
    await w.settle();
    expect([a.phase, b.phase]).toEqual(['outgoing', 'incoming']);
    b.m.accept();
    await w.settle();
    expect([a.phase, b.phase]).toEqual(['active', 'active']);
    expect(a.links.get(b.key)?.offerer).toBe(true);
    expect(b.links.get(a.key)?.offerer).toBe(false);
    a.m.onLink(b.key, 'connected');
    w.now += 5000;
    b.m.hangup();
    await w.settle();
    expect([a.phase, b.phase]).toEqual(['ended', 'ended']);
    expect(a.links.size + b.links.size).toBe(0);
    expect(a.records).toMatchObject([{ dir: 'out', outcome: 'answered', contacts: [b.key], durationMs: 5000 }]);
    expect(b.records).toMatchObject([{ dir: 'in', outcome: 'answered', contacts: [a.key] }]);
    expect(b.sentTypes()).toEqual([MessageType.callAccept, MessageType.callBye]);
  });

  it('the offerer is the lower key even when it is the callee', async () => {
    const w = new World();
    const hi = w.person(9);
    const lo = w.person(3);
    hi.m.start([lo.key], CallMedia.audio);
    await w.settle();
    lo.m.accept();
    await w.settle();
    expect(lo.links.get(hi.key)?.offerer).toBe(true);
    expect(hi.links.get(lo.key)?.offerer).toBe(false);
    expect(isOfferer(key(3), key(9))).toBe(true);
  });

  it('SDP and ICE reach the link; ICE that overtakes the link waits for it', async () => {
    const w = new World();
    const a = w.person(1);
    const b = w.person(2);
    const id = a.m.start([b.key], CallMedia.video);
    await w.settle();
    b.m.accept();
    await w.settle();
    const ice = msg.ice(id, { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 })!;
    b.m.onSignal(a.key, msg.sdp(id, 'offer', 'v=0'), w.now);
    b.m.onSignal(a.key, ice, w.now);
    expect(b.links.get(a.key)?.got.map((m) => m.type)).toEqual([MessageType.callSdp, MessageType.callIce]);
    expect(msg.ice(id, { candidate: 'x'.repeat(5000) })).toBeUndefined();
  });

  it('nobody answers: the callee rings CALL_RING_TIMEOUT_MS, rejects with timeout and logs a missed call; the caller logs no answer', async () => {
    const w = new World();
    const a = w.person(1);
    const b = w.person(2);
    a.m.start([b.key], CallMedia.audio);
    await w.settle(CALL_RING_TIMEOUT_MS - 1);
    expect(b.phase).toBe('incoming');
    await w.settle(1);
    expect(b.records).toMatchObject([{ outcome: 'missed', dir: 'in' }]);
    expect(a.records).toMatchObject([{ outcome: 'no-answer', dir: 'out' }]);
    expect([a.phase, b.phase]).toEqual(['ended', 'ended']);
    // A caller that never gives up (another client): the callee's own timer rejects with timeout.
    const id = 'ee'.repeat(CALL_ID_SIZE);
    b.m.onSignal(a.key, msg.invite(id, CallMedia.audio, [a.key, b.key]), w.now);
    await w.settle(CALL_RING_TIMEOUT_MS);
    const reject = b.sent.at(-1)!.m;
    expect(reject.type).toBe(MessageType.callReject);
    if (reject.type === MessageType.callReject) expect(reject.body.reason).toBe(CallRejectReason.timeout);
    expect(b.records.at(-1)).toMatchObject({ outcome: 'missed', id });
  });

  it('an offline callee: the invite waits, is a missed call if it arrives after the ring time, and the caller cancels with bye', async () => {
    const w = new World();
    const a = w.person(1);
    const b = w.person(2);
    w.online.delete(b.key);
    a.m.start([b.key], CallMedia.video);
    await w.settle(CALL_RING_TIMEOUT_MS);
    expect(a.records).toMatchObject([{ outcome: 'no-answer' }]);
    expect(a.sentTypes(b.key)).toEqual([MessageType.callInvite, MessageType.callBye]);
    b.connect();
    await w.settle();
    expect(b.phase).toBeUndefined();
    expect(b.records).toMatchObject([{ outcome: 'missed', contacts: [a.key] }]);
  });

  it('an invite that arrives late but in time rings only for what is left; delivered turns invited into ringing; online rings again', async () => {
    const w = new World();
    const a = w.person(1);
    const b = w.person(2);
    w.online.delete(b.key);
    a.m.start([b.key], CallMedia.video);
    const inviteId = await Promise.resolve().then(() => a.m.call!.peers[b.key]!.inviteId);
    a.m.onOnline();
    expect(a.rings).toEqual([b.key, b.key]);
    await w.settle(10_000);
    b.connect();
    a.m.onDelivered(b.key, [inviteId!]);
    expect(a.m.call!.peers[b.key]!.status).toBe('ringing');
    await w.settle(CALL_RING_TIMEOUT_MS - 10_000 - 1);
    expect(b.phase).toBe('incoming');
    await w.settle(1);
    expect(b.phase).toBe('ended');
  });

  it('the caller hangs up while ringing: the callee logs a missed call, the caller a cancelled one', async () => {
    const w = new World();
    const a = w.person(1);
    const b = w.person(2);
    a.m.start([b.key], CallMedia.video);
    await w.settle(1000);
    a.m.hangup();
    await w.settle();
    expect(a.records).toMatchObject([{ outcome: 'cancelled' }]);
    expect(b.records).toMatchObject([{ outcome: 'missed' }]);
    const bye = a.sent.at(-1)!.m;
    if (bye.type === MessageType.callBye) expect(bye.body.reason).toBe(CallByeReason.cancelled);
  });

  it('declined and busy', async () => {
    const w = new World();
    const a = w.person(1);
    const b = w.person(2);
    const c = w.person(3);
    a.m.start([b.key], CallMedia.audio);
    await w.settle();
    b.m.decline();
    await w.settle();
    expect(a.records).toMatchObject([{ outcome: 'rejected' }]);
    expect(b.records).toMatchObject([{ outcome: 'declined' }]);

    a.m.start([b.key], CallMedia.audio);
    await w.settle();
    c.m.start([b.key], CallMedia.video);
    await w.settle();
    expect(c.records).toMatchObject([{ outcome: 'busy', dir: 'out' }]);
    expect(b.records.at(-1)).toMatchObject({ outcome: 'busy', dir: 'in', contacts: [c.key] });
    expect(b.phase).toBe('incoming');
    expect(() => b.m.start([c.key], CallMedia.audio)).toThrow();
  });

  it('a three-person mesh: every pair gets exactly one link with one offerer; one leaves and the others keep their call', async () => {
    const w = new World();
    const [a, b, c] = [w.person(5), w.person(2), w.person(8)];
    a.m.start([b.key, c.key], CallMedia.video);
    await w.settle();
    b.m.accept();
    await w.settle(100);
    c.m.accept();
    await w.settle();
    for (const [x, y] of [[a, b], [a, c], [b, c]] as const) {
      expect(x.links.has(y.key) && y.links.has(x.key)).toBe(true);
      expect(x.links.get(y.key)!.offerer).toBe(isOfferer(x.key, y.key));
      expect(y.links.get(x.key)!.offerer).toBe(!isOfferer(x.key, y.key));
    }
    c.m.hangup();
    await w.settle();
    expect([a.phase, b.phase, c.phase]).toEqual(['active', 'active', 'ended']);
    expect([a.links.has(c.key), b.links.has(c.key), a.links.has(b.key)]).toEqual([false, false, true]);
    a.m.hangup();
    await w.settle();
    expect(b.phase).toBe('ended');
  });

  it('adding someone to a 1:1 call makes it a group call: a roster update to the others, the newcomer joins everyone', async () => {
    const w = new World();
    const [a, b, c] = [w.person(1), w.person(2), w.person(3)];
    a.m.start([b.key], CallMedia.audio);
    await w.settle();
    b.m.accept();
    await w.settle();
    b.m.add(c.key);
    await w.settle();
    expect(a.m.call!.roster).toEqual([a.key, b.key, c.key]);
    expect(c.m.call!.inviter).toBe(b.key);
    c.m.accept();
    await w.settle();
    expect(c.sentTypes(b.key)[0]).toBe(MessageType.callAccept);
    expect(c.sentTypes(a.key)[0]).toBe(MessageType.callJoin);
    expect([a.links.has(c.key), c.links.has(a.key), c.links.has(b.key)]).toEqual([true, true, true]);
    expect(() => {
      for (let i = 10; i < 10 + MAX_CALL_PARTICIPANTS; i++) a.m.add(w.person(i).key);
    }).toThrow(RangeError);
    expect(a.m.call!.roster).toHaveLength(MAX_CALL_PARTICIPANTS);
  });

  it('a join that overtakes its invite waits; strangers, foreign rosters and late messages are ignored', async () => {
    const w = new World();
    const [a, b, c] = [w.person(1), w.person(2), w.person(3)];
    const id = 'ab'.repeat(CALL_ID_SIZE);
    b.m.onSignal(c.key, msg.join(id), w.now);
    b.m.onSignal(a.key, msg.invite(id, CallMedia.audio, [a.key, b.key, c.key]), w.now);
    expect(b.m.call!.peers[c.key]!.status).toBe('present');
    b.m.onSignal(c.key, msg.invite('cd'.repeat(CALL_ID_SIZE), CallMedia.audio, [c.key, a.key]), w.now);
    expect(b.m.call!.id).toBe(id);
    expect(b.sent).toEqual([]);
    b.m.hangup();
    await w.settle();
    b.m.onSignal(a.key, msg.invite(id, CallMedia.audio, [a.key, b.key]), w.now);
    expect(b.m.call!.phase).toBe('ended');
    expect(callIdOf(msg.bye(id, CallByeReason.hangup))).toBe(id);
  });
});
