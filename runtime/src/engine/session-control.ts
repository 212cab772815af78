/**
 * Session control in the engine (message type `session`, spec structs.session_control; the
 * rules are protocol/ratchet/control.ts): the one-time upgrade of a v1 contact to a v2 session,
 * and the reset of a session after a device lost or restored its state.
 *
 * - Upgrade: after every handshake, each accepted contact without a v2 session and without a
 *   live offer gets an upgrade offer (a fresh ephemeral, signed in a v1 peer frame, through the
 *   outbox). The offer's ephemeral secret is stored with the session record in the same batch
 *   as the outbox entry. An engine that speaks only v1 drops the offer (BAD_MESSAGE) and stays
 *   on v1; a v2 engine answers (it becomes A and seals with the ratchet at once), and the
 *   answer makes us B (v1 until the contact's first ratchet message opens; from then on its v1
 *   frames other than session control are refused, DOWNGRADE).
 * - Reset: `reset(key)` (the user; or, at most once per SESSION_RESET_INTERVAL_MS, a ratchet
 *   frame from the contact that finds no session here, or a v2 contact without a session after a
 *   handshake: this device lost or restored its state) sends a reset offer; our session, if any,
 *   stays until the answer replaces it.
 *   The contact accepts it only if it is newer than its session and at most once per
 *   SESSION_RESET_INTERVAL_MS; both sides emit `session-reset`. A reset the relay or a stranger
 *   made does not verify, and a replayed one is a duplicate in the replay window: neither
 *   reaches this module.
 * - A refused offer or answer (RatchetError) is dropped as BAD_MESSAGE: recorded and
 *   acknowledged, so it is not resent forever.
 * - Once a new session landed, the contact's unacknowledged outbox entries are resealed under it
 *   (Sender.sessionChanged), keeping their message ids: frames sealed under the old session would
 *   be refused by the contact (HEADER_FAILED, NO_SESSION, DOWNGRADE).
 */
import { MSG_ID_SIZE, MessageType, PresenceState, RESEND_INTERVAL_MS, SESSION_OFFER_TTL_MS, SESSION_RESET_INTERVAL_MS, SESSION_VERSION, SessionOp } from '@parley/generated';
import { OpenError } from '../protocol/errors.ts';
import type { Identity } from '../protocol/identity.ts';
import { acceptAnswer, answerOffer, createOffer, isRatchetError, type PendingOffer } from '../protocol/ratchet/index.ts';
import { snapshot } from './contact-list.ts';
import type { Outbox } from './outbox.ts';
import { report, type Act, type Clock, type ContactLookup, type Emit, type EnvelopeOf, type MessageHandler, type Send } from './parts.ts';
import type { RatchetSessions } from './ratchet-sessions.ts';
import type { Store, StoreOp } from './storage.ts';
import type { Contact } from './types.ts';

export interface SessionControlDeps {
  identity: Identity;
  clock: Clock;
  emit: Emit;
  store: Store;
  sessions: RatchetSessions;
  contacts: Pick<ContactLookup, 'get' | 'all'> & { putOp(c: Contact): StoreOp };
  outbox: Pick<Outbox, 'reserve'>;
  send: Pick<Send, 'sealDurable' | 'commit' | 'exclusive' | 'sendEphemeral' | 'sessionChanged'>;
}

type SessionEnvelope = EnvelopeOf<typeof MessageType.session>;

export class SessionControl {
  readonly #d: SessionControlDeps;
  /** When we last asked a contact for a new session on our own (no session for its ratchet frame). */
  readonly #autoReset = new Map<string, number>();
  /** When each contact was last nudged after a KEM_MISSING refusal. */
  readonly #kemNudged = new Map<string, number>();

  constructor(deps: SessionControlDeps) {
    this.#d = deps;
  }

  /**
   * After a handshake: every accepted contact without a v2 session gets an offer: an upgrade if
   * it is still on v1, a reset if it was on v2 (this device lost or restored its state).
   */
  async offerUpgrades(): Promise<void> {
    for (const c of this.#d.contacts.all()) {
      if (c.state !== 'accepted' || this.#d.sessions.state(c.key)) continue;
      const live = this.#d.contacts.get(c.key);
      const op = c.version >= SESSION_VERSION ? SessionOp.resetOffer : SessionOp.upgradeOffer;
      if (live) await this.#offer(live, op, true).catch((err) => report(this.#d.emit, 'session offer', err));
    }
  }

  /** Drops the contact's session and asks it for a new one (a device that lost or restored its state). */
  reset(c: Contact): Promise<void> {
    return this.#offer(c, SessionOp.resetOffer, false);
  }

  /** A ratchet frame from a single candidate found no session here: our state is gone, ask for a new one. */
  openFailed(candidates: readonly Contact[], err: unknown): void {
    if (candidates.length === 1 && isRatchetError(err, 'KEM_MISSING')) return this.#nudgeKem(candidates[0]!);
    if (candidates.length !== 1 || !isRatchetError(err, 'NO_SESSION')) return;
    const c = candidates[0]!;
    const now = this.#d.clock.now();
    const p = this.#d.sessions.policy(c.key);
    if (c.state !== 'accepted' || (p.pending && now - p.pending.sentAt <= SESSION_OFFER_TTL_MS)) return; // an answer may be in flight
    const last = this.#autoReset.get(c.key) ?? p.lastResetAt;
    if (last !== undefined && now - last < SESSION_RESET_INTERVAL_MS) return;
    this.#autoReset.set(c.key, now);
    void this.#offer(c, SessionOp.resetOffer, true).catch((e) => report(this.#d.emit, 'session reset offer', e));
  }

  /**
   * A chain's first message (the one with the KEM block) never reached us, e.g. a receipt lost
   * in a crash, and receipts are not resent: a message of ours on our current chain tells the
   * contact we have not taken its step, which re-arms its chain (spec sessions, the KEM block),
   * so its next message carries the block and the refused ones open on their resend. A presence
   * message is enough; at most one per contact per RESEND_INTERVAL_MS (the refused frames come
   * back at that pace).
   */
  #nudgeKem(c: Contact): void {
    const now = this.#d.clock.now();
    const last = this.#kemNudged.get(c.key);
    if (c.state !== 'accepted' || (last !== undefined && now - last < RESEND_INTERVAL_MS)) return;
    this.#kemNudged.set(c.key, now);
    void this.#d.send.sendEphemeral(c, { type: MessageType.presence, body: { state: PresenceState.online } }).catch(() => {
      this.#kemNudged.delete(c.key); // offline: the next refusal tries again
    });
  }

  /** Sends an offer; `onlyIfMissing`: not if a session exists or an offer waits for its answer. */
  async #offer(c: Contact, op: PendingOffer['op'], onlyIfMissing: boolean): Promise<void> {
    const d = this.#d;
    await d.send.exclusive(c, () =>
      d.sessions.exclusive([c.key], async () => {
        const now = d.clock.now();
        const policy = d.sessions.policy(c.key);
        if (onlyIfMissing) {
          if (policy.session) return;
          if (policy.pending && now - policy.pending.sentAt <= SESSION_OFFER_TTL_MS) return; // offered already; waiting
        }
        const slot = d.outbox.reserve(1);
        try {
          const { body, pending } = await createOffer(d.sessions.deps, op, { msgId: new Uint8Array(MSG_ID_SIZE), sentAt: now });
          const sealed = await d.send.sealDurable(c, { type: MessageType.session, body });
          pending.msgId = sealed.envelope.msgId.slice();
          pending.sentAt = sealed.envelope.sentAt;
          // A session we still have stays until the answer: a reset the contact refuses (rate limit) changes nothing.
          const ch = d.sessions.change(c.key, { pending });
          await d.store.batch([...sealed.ops, ...ch.ops]);
          ch.apply();
          d.send.commit([sealed]);
        } finally {
          slot.release();
        }
      }),
    );
  }

  /** The receive path's handler of `session` messages. */
  handler(): MessageHandler<SessionEnvelope> {
    return { act: (m, act) => this.#act(m.contact, m.env, act), event: false };
  }

  async #act(c: Contact, env: SessionEnvelope, act: Act): Promise<void> {
    const d = this.#d;
    const body = env.body;
    await d.sessions.exclusive([c.key], async () => {
      const now = d.clock.now();
      const policy = d.sessions.policy(c.key);
      const isOffer = body.op === SessionOp.upgradeOffer || body.op === SessionOp.resetOffer;
      let reset: boolean;
      if (isOffer) {
        const r = await refused(() => answerOffer(d.sessions.deps, d.identity, c, body, { msgId: env.msgId, sentAt: env.sentAt }, policy, now));
        const slot = d.outbox.reserve(1);
        let answer;
        try {
          answer = await d.send.sealDurable(c, { type: MessageType.session, body: r.body });
        } finally {
          slot.release();
        }
        const ch = d.sessions.change(c.key, { state: r.state, ...(r.dropOwnOffer ? { pending: null } : {}), ...(r.reset ? { lastResetAt: now } : {}) });
        act.ops.push(...answer.ops, ...ch.ops);
        // Current at once: a seal from here on uses the new session (the batch lands before any of its frames leaves).
        ch.apply();
        act.after.push(() => d.send.commit([answer]));
        reset = r.reset;
      } else {
        const r = await refused(() => acceptAnswer(d.sessions.deps, d.identity, c, body, policy, now));
        const ch = d.sessions.change(c.key, { state: r.state, pending: null, ...(r.reset ? { lastResetAt: now } : {}) });
        act.ops.push(...ch.ops);
        ch.apply();
        reset = r.reset;
      }
      if (c.version < SESSION_VERSION) {
        c.version = SESSION_VERSION;
        act.ops.push(d.contacts.putOp(c));
      }
      // Frames still in the outbox were sealed under the old session (or v1): resealed under the
      // new one once it landed (the answer above goes first; see Sender.pump).
      act.after.push(() => d.send.sessionChanged(c.key));
      const protection = d.sessions.protection(c.key);
      act.after.push(() => {
        const contact = { ...snapshot(c), protection };
        d.emit('protection', { contact, protection });
        if (reset) d.emit('session-reset', { contact, by: isOffer ? 'them' : 'us', protection });
      });
    });
  }
}

/** A refusal by the session rules is a message the receive path drops (BAD_MESSAGE), still acknowledged. */
async function refused<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isRatchetError(e)) throw new OpenError('BAD_MESSAGE', e.message, { cause: e });
    throw e;
  }
}
