/**
 * The call state machine's bookkeeping (machine.ts has the rules): timers, sending, links for
 * present members, messages held for calls not known yet, when a call is over, and ending it.
 */
import { CALL_RING_TIMEOUT_MS, CallByeReason, MAX_CALL_PARTICIPANTS } from '@parley/generated';
import { callIdOf, isOfferer, msg, type CallMessage } from './signal.ts';
import { type CallInfo, type CallIo, type CallOutcome, type PeerStatus, CallError, EARLY_MAX, ENDED_MAX } from './types.ts';

export const PENDING: readonly PeerStatus[] = ['invited', 'ringing'];
export const GONE: readonly PeerStatus[] = ['left', 'declined', 'busy', 'no-answer', 'failed'];

export abstract class CallBase {
  call: CallInfo | undefined;
  protected readonly io: CallIo;
  protected readonly endedIds = new Set<string>();
  protected early: { from: string; m: CallMessage; at: number }[] = [];
  protected readonly timers = new Map<string, unknown>();
  /** ICE candidates from members whose link is not up yet. */
  protected readonly ice = new Map<string, CallMessage[]>();

  constructor(io: CallIo) {
    this.io = io;
  }

  get busy(): boolean {
    return this.call !== undefined && this.call.phase !== 'ended';
  }

  abstract onSignal(from: string, m: CallMessage, sentAt: number): void;

  /** Keeps a message for a call (or a member) not known yet; bounded in number and age. */
  protected hold(from: string, m: CallMessage): void {
    const now = this.io.now();
    this.early = this.early.filter((e) => now - e.at < CALL_RING_TIMEOUT_MS).slice(-(EARLY_MAX - 1));
    this.early.push({ from, m, at: now });
  }

  protected replay(id: string): void {
    const c = this.call;
    const mine = this.early.filter((e) => callIdOf(e.m) === id && (!c || c.peers[e.from]));
    this.early = this.early.filter((e) => !mine.includes(e));
    for (const e of mine) this.onSignal(e.from, e.m, e.at);
  }

  protected present(key: string): void {
    const c = this.call!;
    const p = c.peers[key]!;
    if (p.status !== 'present') this.clear(`${c.id}/${key}`);
    p.status = 'present';
  }

  protected linkAll(): void {
    const c = this.call;
    if (!c || c.phase !== 'active') return;
    const me = this.io.me();
    const peers = Object.values(c.peers);
    let links = peers.filter((p) => p.linked).length;
    for (const p of peers) {
      if (p.status !== 'present' || p.linked || p.dropped || !c.roster.includes(p.key)) continue;
      // The roster cap (roster.ts) keeps this from happening; a full mesh never gets bigger.
      if (links >= MAX_CALL_PARTICIPANTS - 1) return this.io.report('link', new CallError('full', `no more than ${MAX_CALL_PARTICIPANTS - 1} links`));
      links++;
      p.linked = true;
      this.io.link(p.key, isOfferer(me, p.key));
      for (const m of this.ice.get(p.key) ?? []) this.io.toLink(p.key, m);
      this.ice.delete(p.key);
    }
  }

  protected unlink(key: string): void {
    const p = this.call?.peers[key];
    if (p?.linked) {
      p.linked = false;
      p.connected = false;
      this.io.unlink(key);
    }
  }

  /** Ends the call when nobody is left in it or still being rung by us. */
  protected check(): void {
    const c = this.call;
    if (!c || c.phase === 'ended' || c.phase === 'incoming') return;
    const peers = Object.values(c.peers);
    if (peers.some((p) => p.status === 'present')) return;
    if (c.phase === 'outgoing') {
      if (peers.some((p) => PENDING.includes(p.status))) return;
      const has = (s: PeerStatus) => peers.some((p) => p.status === s);
      return this.end(has('declined') ? 'rejected' : has('busy') ? 'busy' : has('failed') && !has('no-answer') ? 'failed' : 'no-answer');
    }
    for (const p of peers) if (PENDING.includes(p.status)) this.send(p.key, msg.bye(c.id, CallByeReason.cancelled));
    this.end('answered');
  }

  protected end(outcome: CallOutcome): void {
    const c = this.call;
    if (!c || c.phase === 'ended') return;
    for (const p of Object.values(c.peers)) {
      this.clear(`${c.id}/${p.key}`);
      this.unlink(p.key);
    }
    this.clear(c.id);
    this.ice.clear();
    c.phase = 'ended';
    c.endedAt = this.io.now();
    c.outcome = outcome;
    this.remember(c.id);
    const contacts = c.dir === 'in' ? [c.inviter] : Object.values(c.peers).filter((p) => p.announced && c.roster.includes(p.key)).map((p) => p.key);
    this.io.ended({
      id: c.id,
      media: c.media,
      dir: c.dir,
      from: c.inviter,
      at: c.startedAt,
      outcome,
      contacts: contacts.filter((k) => this.io.isContact(k)),
      ...(c.connectedAt !== undefined ? { durationMs: c.endedAt - c.connectedAt } : {}),
    });
    this.io.changed();
  }

  protected send(key: string, m: CallMessage): void {
    this.io.send(key, m).catch((err) => this.io.report(`send ${m.type}`, err));
  }

  protected remember(id: string): void {
    this.endedIds.add(id);
    if (this.endedIds.size > ENDED_MAX) this.endedIds.delete(this.endedIds.values().next().value as string);
  }

  protected timer(name: string, ms: number, fn: () => void): void {
    this.clear(name);
    this.timers.set(name, this.io.setTimer(() => {
      this.timers.delete(name);
      fn();
    }, ms));
  }

  protected clear(name: string): void {
    if (!this.timers.has(name)) return;
    this.io.clearTimer(this.timers.get(name));
    this.timers.delete(name);
  }}
