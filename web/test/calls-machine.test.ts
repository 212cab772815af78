/**
 * The call state machine (web/src/calls/machine.ts) with people wired through an in-memory bus
 * and a manual clock: 1:1 calls, the offerer rule, ringing timeouts, busy, decline, a missed
 * call that arrives late, group calls as a full mesh, adding someone, leaving, early messages.
 */
import { CALL_ID_SIZE, CALL_RING_TIMEOUT_MS, CallByeReason, CallMedia, CallRejectReason, MAX_CALL_PARTICIPANTS, MessageType } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { CallError, CallMachine, type CallRecord } from '../src/calls/machine.ts';
import { mergeRoster } from '../src/calls/roster.ts';
import { callIdOf, isOfferer, msg, toHex, type CallMessage } from '../src/calls/signal.ts';

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
  /** The most media links this person ever had at once. */
  maxLinks = 0;
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
      link: (k, offerer) => {
        this.links.set(k, { offerer, got: [] });
        this.maxLinks = Math.max(this.maxLinks, this.links.size);
      },
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
    let err: unknown;
    try {
      for (let i = 10; i < 10 + MAX_CALL_PARTICIPANTS; i++) a.m.add(w.person(i).key);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CallError);
    expect((err as CallError).code).toBe('full');
    expect(a.m.call!.roster).toHaveLength(MAX_CALL_PARTICIPANTS);
  });

  it('a group call started with several contacts: one fresh invite each carrying the whole roster; both ring; a mesh forms', async () => {
    const w = new World();
    const [a, b, c] = [w.person(1), w.person(2), w.person(3)];
    a.m.start([b.key, c.key, b.key], CallMedia.audio);
    const invites = a.sent.filter((s) => s.m.type === MessageType.callInvite);
    expect(invites.map((s) => s.to)).toEqual([b.key, c.key]);
    for (const s of invites) if (s.m.type === MessageType.callInvite) expect(s.m.body.roster.map((r) => toHex(r.key))).toEqual([a.key, b.key, c.key]);
    expect(a.rings).toEqual([b.key, c.key]);
    await w.settle();
    expect([b.phase, c.phase]).toEqual(['incoming', 'incoming']);
    expect(b.m.call!.roster).toEqual([a.key, b.key, c.key]);
    expect(b.m.call!.peers[c.key]!.status).toBe('roster');
    b.m.accept();
    c.m.accept();
    await w.settle();
    for (const [x, y] of [[a, b], [a, c], [b, c]] as const) expect(x.links.has(y.key) && y.links.has(x.key)).toBe(true);
    const tooMany = Array.from({ length: MAX_CALL_PARTICIPANTS }, (_, i) => w.person(20 + i).key);
    const d = w.person(40);
    expect(() => d.m.start(tooMany, CallMedia.audio)).toThrow(expect.objectContaining({ code: 'full' }));
    expect(() => d.m.start([], CallMedia.audio)).toThrow(expect.objectContaining({ code: 'empty' }));
    expect(d.sent).toEqual([]);
  });

  /** a calls b, c and d, who all accept; e and f (e with the higher key) are not in the call yet. */
  async function fourPersonCall() {
    const w = new World();
    const [a, b, c, d] = [w.person(1), w.person(2), w.person(3), w.person(4)];
    const [e, f] = [w.person(6), w.person(5)];
    a.m.start([b.key, c.key, d.key], CallMedia.audio);
    await w.settle();
    for (const p of [b, c, d]) p.m.accept();
    await w.settle();
    return { w, a, b, c, d, e, f };
  }

  it('two members of a four-person call each add someone at once: everyone keeps the same five, the sixth is let go, no mesh grows past the cap', async () => {
    expect(MAX_CALL_PARTICIPANTS).toBe(5); // the scenario below fills the call with 4 + 1
    // e has the higher key of the two newcomers, and b adds first: the rule, not arrival, decides.
    const { w, a, b, c, d, e, f } = await fourPersonCall();
    for (const p of [a, b, c, d]) expect(p.links.size).toBe(3);
    b.m.add(e.key);
    c.m.add(f.key);
    await w.settle();
    const five = [a.key, b.key, c.key, d.key, f.key];
    for (const p of [a, b, c, d]) {
      expect(p.m.call!.roster).toEqual(five);
      expect(p.m.call!.peers[e.key]?.dropped).toBe(true);
    }
    // b had invited e: it cancels; e's ringing ends as a missed call.
    expect(b.sent.filter((s) => s.to === e.key).map((s) => s.m.type)).toEqual([MessageType.callInvite, MessageType.callBye]);
    expect(e.phase).toBe('ended');
    expect(e.records).toMatchObject([{ outcome: 'missed' }]);
    expect(f.phase).toBe('incoming');
    f.m.accept();
    await w.settle();
    for (const p of [a, b, c, d, f]) {
      expect(p.m.call!.phase).toBe('active');
      expect([...p.links.keys()].sort()).toEqual(five.filter((k) => k !== p.key).sort());
      expect(p.maxLinks).toBeLessThanOrEqual(MAX_CALL_PARTICIPANTS - 1);
    }
    // e cannot be brought back into this call, and a stale roster naming e changes nothing.
    expect(() => a.m.add(e.key)).toThrow(expect.objectContaining({ code: 'left-out' }));
    a.m.onSignal(b.key, msg.invite(a.m.call!.id, CallMedia.audio, [a.key, b.key, c.key, d.key, e.key]), w.now);
    expect(a.m.call!.roster).toEqual(five);
    expect(a.links.has(e.key)).toBe(false);
  });

  it('a newcomer who had already joined is let go by everyone who linked them', async () => {
    const { w, a, b, c, d, e, f } = await fourPersonCall();
    // Nothing reaches c for a while: e gets in and links with a, b and d meanwhile.
    w.online.delete(c.key);
    b.m.add(e.key);
    await w.settle();
    e.m.accept();
    await w.settle();
    expect([a.links.has(e.key), b.links.has(e.key), d.links.has(e.key), e.links.size]).toEqual([true, true, true, 3]);
    c.m.add(f.key); // c has not heard of e: its roster is [a b c d] + f
    expect(c.m.call!.roster).toEqual([a.key, b.key, c.key, d.key, f.key]);
    await w.settle();
    c.connect();
    await w.settle();
    // f ranks before e (same position, lower key): e is let go everywhere.
    const five = [a.key, b.key, c.key, d.key, f.key];
    for (const p of [a, b, c, d]) expect(p.m.call!.roster).toEqual(five);
    for (const p of [a, b, d]) expect(p.links.has(e.key)).toBe(false);
    expect(e.phase).toBe('ended');
    for (const p of [a, b, c, d, e]) expect(p.maxLinks).toBeLessThanOrEqual(MAX_CALL_PARTICIPANTS - 1);
  });

  it('the roster cap ranks the same whatever order updates arrive in', () => {
    const base = ['a0', 'b1', 'c2', 'd3'];
    const fromB = [...base, 'x9'];
    const fromC = [...base, 'e4'];
    const fromD = [...base, 'f5'];
    const orders = [[fromB, fromC, fromD], [fromD, fromB, fromC], [fromC, fromD, fromB]];
    const results = orders.map((seq) => {
      const order: Record<string, number> = {};
      let roster = base;
      const dropped = new Set<string>();
      for (const r of seq) {
        const m = mergeRoster(order, roster, r, dropped, 5);
        roster = m.roster;
        m.dropped.forEach((k) => dropped.add(k));
      }
      return { roster, dropped: [...dropped].sort() };
    });
    for (const r of results) expect(r).toEqual({ roster: [...base, 'e4'], dropped: ['f5', 'x9'] });
    // Added earlier (a lower position anywhere) beats a lower key.
    expect(mergeRoster({}, ['a0', 'b1', 'z2'], ['a0', 'b1', 'c2', 'y3'], new Set(), 3)).toEqual({ roster: ['a0', 'b1', 'c2'], dropped: ['z2', 'y3'] });
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
