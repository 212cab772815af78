/**
 * The call state machine: one call at a time, 1:1 or a full mesh of up to MAX_CALL_PARTICIPANTS,
 * driven by the spec's messages. No WebRTC here: media links are asked for through `CallIo`
 * (links.ts does them), so the rules are unit-tested in Node (web/test/calls-machine.test.ts).
 *
 * - Start: call_invite {roster: me first, then the callees} to each callee, a RING each; every
 *   invite we send rings for CALL_RING_TIMEOUT_MS, then the invitee gets call_bye(cancelled).
 * - Incoming: rings for what is left of CALL_RING_TIMEOUT_MS after its sentAt (an invite that
 *   arrives later is a missed call at once); on timeout call_reject(timeout). Busy: call_reject(busy).
 * - Accept: call_accept to whoever invited us, call_join to every other roster member. A member
 *   is "present" once we hear accept, join, or SDP from them (the inviter is present from the
 *   start); we answer a join with our own join once, so both ends know. Every present pair gets
 *   one media link; the lower X25519 key offers (isOfferer).
 * - Adding someone: a new invite to them with the longer roster, and the same invite to everyone
 *   present (a roster update, no ringing). Two members adding people at once could push the
 *   merged roster past MAX_CALL_PARTICIPANTS: roster.ts ranks members the same way everywhere,
 *   the ones left out get call_bye from us (if we had announced ourselves) and are never linked.
 * - Bye: that member has left; with nobody left the call ends. Messages for calls that ended are
 *   dropped; messages for a call not known yet (a join overtaking its invite) wait, bounded.
 */
import { CALL_RING_TIMEOUT_MS, CallByeReason, CallRejectReason, MAX_CALL_PARTICIPANTS, MessageType, type CallMedia } from '@parley/generated';
import { CallBase, GONE, PENDING } from './machine-base.ts';
import { mergeRoster, noteOrder } from './roster.ts';
import { callIdOf, msg, toHex, type CallMessage } from './signal.ts';
import { type CallInfo, CallError, PENDING_ICE_MAX } from './types.ts';

export * from './types.ts';

export class CallMachine extends CallBase {
  /** Calls `contacts` (1..MAX_CALL_PARTICIPANTS - 1 of them); returns the call id. */
  start(contacts: readonly string[], media: CallMedia): string {
    const me = this.io.me();
    if (this.busy) throw new CallError('in-call', 'already in a call');
    const keys = [...new Set(contacts)].filter((k) => k !== me);
    if (keys.length === 0) throw new CallError('empty', 'nobody to call');
    if (keys.length > MAX_CALL_PARTICIPANTS - 1) throw new CallError('full', `a call has at most ${MAX_CALL_PARTICIPANTS} people`);
    const id = toHex(this.io.newCallId());
    const roster = [me, ...keys];
    this.call = { id, media, dir: 'out', inviter: me, roster, order: {}, phase: 'outgoing', startedAt: this.io.now(), peers: {} };
    noteOrder(this.call.order, roster);
    for (const k of keys) this.#invite(k);
    this.io.changed();
    return id;
  }

  /** Invites one more person into the current call (turns a 1:1 call into a group call). */
  add(contact: string): void {
    const c = this.call;
    if (!c || (c.phase !== 'active' && c.phase !== 'outgoing')) throw new CallError('no-call', 'no call to add to');
    const p = c.peers[contact];
    if (p?.dropped) throw new CallError('left-out', 'the call was full when they were added');
    if (p && !GONE.includes(p.status)) return;
    if (!p && c.roster.length >= MAX_CALL_PARTICIPANTS) throw new CallError('full', `a call has at most ${MAX_CALL_PARTICIPANTS} people`);
    if (!p) {
      c.roster.push(contact);
      noteOrder(c.order, c.roster);
    }
    for (const other of Object.values(c.peers)) if (other.status === 'present') this.send(other.key, msg.invite(c.id, c.media, c.roster));
    this.#invite(contact);
    this.io.changed();
  }

  accept(): void {
    const c = this.call;
    if (!c || c.phase !== 'incoming') return;
    this.clear(c.id);
    c.phase = 'active';
    c.answeredAt = this.io.now();
    this.send(c.inviter, msg.accept(c.id));
    c.peers[c.inviter]!.announced = true;
    for (const p of Object.values(c.peers)) {
      if (p.key === c.inviter || GONE.includes(p.status) || !this.io.isContact(p.key)) continue;
      this.send(p.key, msg.join(c.id));
      p.announced = true;
    }
    this.linkAll();
    this.io.changed();
  }

  decline(): void {
    const c = this.call;
    if (!c || c.phase !== 'incoming') return;
    this.send(c.inviter, msg.reject(c.id, CallRejectReason.declined));
    this.end('declined');
  }

  /** Leaves the call (or stops ringing them, or declines ringing here). */
  hangup(): void {
    const c = this.call;
    if (!c || c.phase === 'ended') return;
    if (c.phase === 'incoming') return this.decline();
    const reason = c.phase === 'outgoing' ? CallByeReason.cancelled : CallByeReason.hangup;
    for (const p of Object.values(c.peers)) {
      if (p.status === 'present' || PENDING.includes(p.status) || (p.announced && !GONE.includes(p.status))) this.send(p.key, msg.bye(c.id, PENDING.includes(p.status) ? CallByeReason.cancelled : reason));
    }
    this.end(c.phase === 'outgoing' ? 'cancelled' : 'answered');
  }

  /** A call message from a contact (the worker's `signal` event). */
  onSignal(from: string, m: CallMessage, sentAt: number): void {
    if (m.type === MessageType.callInvite) return this.#onInvite(from, m, sentAt);
    const id = callIdOf(m);
    const c = this.call;
    if (!c || c.id !== id) return this.endedIds.has(id) ? undefined : this.hold(from, m);
    if (c.phase === 'ended') return;
    const p = c.peers[from];
    if (!p) return this.hold(from, m); // not in the roster (yet: its roster update may follow)
    switch (m.type) {
      case MessageType.callAccept:
        if (!PENDING.includes(p.status) && p.status !== 'roster') return;
        this.present(from);
        if (c.phase === 'outgoing') {
          c.phase = 'active';
          c.answeredAt = this.io.now();
        }
        this.linkAll();
        break;
      case MessageType.callReject:
        if (!PENDING.includes(p.status)) return;
        this.clear(`${c.id}/${from}`);
        p.status = m.body.reason === CallRejectReason.busy ? 'busy' : m.body.reason === CallRejectReason.timeout ? 'no-answer' : 'declined';
        this.check();
        break;
      case MessageType.callJoin:
        if (GONE.includes(p.status) && p.status !== 'no-answer') return;
        this.present(from);
        if (c.phase === 'active' && !p.announced && this.io.isContact(from)) {
          this.send(from, msg.join(c.id));
          p.announced = true;
        }
        this.linkAll();
        break;
      case MessageType.callSdp:
        if (c.phase !== 'active' || GONE.includes(p.status)) return;
        this.present(from);
        this.linkAll();
        this.io.toLink(from, m);
        break;
      case MessageType.callIce:
        if (c.phase !== 'active' || GONE.includes(p.status)) return;
        if (p.linked) this.io.toLink(from, m);
        else {
          const q = this.ice.get(from) ?? [];
          if (q.length < PENDING_ICE_MAX) q.push(m);
          this.ice.set(from, q);
        }
        break;
      case MessageType.callBye:
        if (c.phase === 'incoming' && from === c.inviter) return this.end('missed');
        p.status = m.body.reason === CallByeReason.failed ? 'failed' : 'left';
        this.unlink(from);
        this.check();
        break;
    }
    this.io.changed();
  }

  /** Delivered receipts: an invite that reached the callee's device makes it "ringing". */
  onDelivered(contact: string, ids: readonly string[]): void {
    const p = this.call?.peers[contact];
    if (p?.status === 'invited' && p.inviteId && ids.includes(p.inviteId)) {
      p.status = 'ringing';
      this.io.changed();
    }
  }

  /** Our connection is back: ring the invitees not reached yet (RING failed while offline). */
  onOnline(): void {
    const c = this.call;
    if (!c || c.phase === 'ended' || c.phase === 'incoming') return;
    for (const p of Object.values(c.peers)) if (p.status === 'invited') this.io.ring(p.key);
  }

  /** What a media link reports. */
  onLink(key: string, state: 'connected' | 'failed'): void {
    const c = this.call;
    const p = c?.peers[key];
    if (!c || !p || c.phase !== 'active' || !p.linked) return;
    if (state === 'connected') {
      p.connected = true;
      c.connectedAt ??= this.io.now();
    } else {
      p.status = 'failed';
      this.send(key, msg.bye(c.id, CallByeReason.failed));
      this.unlink(key);
      this.check();
    }
    this.io.changed();
  }

  #onInvite(from: string, m: Extract<CallMessage, { type: typeof MessageType.callInvite }>, sentAt: number): void {
    const me = this.io.me();
    const id = callIdOf(m);
    const roster = m.body.roster.map((r) => toHex(r.key));
    if (!roster.includes(me) || !roster.includes(from) || new Set(roster).size !== roster.length) return;
    const c = this.call;
    if (c && c.id === id) {
      // A roster update from someone in the call: new members are in the roster, not ringing here.
      if (c.phase === 'ended' || (c.peers[from]?.status !== 'present' && from !== c.inviter)) return;
      this.#merge(roster);
      this.io.changed();
      return this.replay(id);
    }
    if (this.endedIds.has(id)) return;
    const info = { id, media: m.body.media, from, at: sentAt };
    if (this.busy) {
      this.send(from, msg.reject(id, CallRejectReason.busy));
      this.remember(id);
      return this.io.ended({ ...info, dir: 'in', outcome: 'busy', contacts: [from] });
    }
    const age = Math.max(0, this.io.now() - sentAt);
    if (age >= CALL_RING_TIMEOUT_MS) {
      this.remember(id);
      return this.io.ended({ ...info, dir: 'in', outcome: 'missed', contacts: [from] });
    }
    this.ice.clear();
    const call: CallInfo = { id, media: m.body.media, dir: 'in', inviter: from, roster, order: {}, phase: 'incoming', startedAt: this.io.now(), peers: {} };
    noteOrder(call.order, roster);
    for (const k of roster) if (k !== me) call.peers[k] = { key: k, status: k === from ? 'present' : 'roster', announced: false, linked: false };
    this.call = call;
    this.timer(id, CALL_RING_TIMEOUT_MS - age, () => {
      if (this.call !== call || call.phase !== 'incoming') return;
      this.send(from, msg.reject(id, CallRejectReason.timeout));
      this.end('missed');
    });
    this.io.changed();
    this.replay(id);
  }

  /** A roster update for our call: merged under the cap (roster.ts); the people left out are let go. */
  #merge(incoming: readonly string[]): void {
    const c = this.call!;
    const me = this.io.me();
    const excluded = new Set(Object.values(c.peers).filter((p) => p.dropped).map((p) => p.key));
    const { roster, dropped } = mergeRoster(c.order, c.roster, incoming, excluded);
    if (dropped.includes(me)) {
      // The others keep people ranked before us: we leave (they drop us the same way).
      if (c.phase === 'incoming') return this.end('missed');
      return this.hangup();
    }
    c.roster = roster;
    for (const k of roster) if (k !== me && !c.peers[k]) c.peers[k] = { key: k, status: 'roster', announced: false, linked: false };
    for (const k of dropped) this.#drop(k);
    this.check();
  }

  /** Lets go of someone the roster cap left out: a bye if we had told them we are in, no link. */
  #drop(key: string): void {
    const c = this.call!;
    const p = (c.peers[key] ??= { key, status: 'left', announced: false, linked: false });
    if (p.dropped) return;
    this.clear(`${c.id}/${key}`);
    const pending = PENDING.includes(p.status);
    if (pending || p.status === 'present' || (p.announced && !GONE.includes(p.status))) this.send(key, msg.bye(c.id, pending ? CallByeReason.cancelled : CallByeReason.hangup));
    this.unlink(key);
    this.ice.delete(key);
    p.status = 'left';
    p.dropped = true;
  }

  #invite(key: string): void {
    const c = this.call!;
    c.peers[key] = { key, status: 'invited', announced: true, linked: false };
    this.io
      .send(key, msg.invite(c.id, c.media, c.roster))
      .then((msgId) => {
        const p = c.peers[key];
        if (p) p.inviteId = msgId;
      })
      .catch((err) => {
        this.io.report('invite', err);
        const p = c.peers[key];
        if (this.call === c && p && PENDING.includes(p.status)) {
          p.status = 'failed';
          this.check();
          this.io.changed();
        }
      });
    this.io.ring(key);
    this.timer(`${c.id}/${key}`, CALL_RING_TIMEOUT_MS, () => {
      const p = c.peers[key];
      if (this.call !== c || !p || !PENDING.includes(p.status)) return;
      p.status = 'no-answer';
      this.send(key, msg.bye(c.id, CallByeReason.cancelled));
      this.check();
      this.io.changed();
    });
  }
}
