/**
 * Session control over real peer frames (signed, v1-keyed, replay window): a v1 contact
 * upgrades once, crossing offers settle on the keys, v1 frames are refused once a ratchet
 * message arrived (downgrade), a reset starts a new session at most once per
 * SESSION_RESET_INTERVAL_MS and only if newer than the session, and a reset forged by a
 * stranger, tampered with or replayed by the relay changes nothing.
 */
import { MSG_ID_SIZE, MessageType, SESSION_RESET_INTERVAL_MS, SessionOp, type SessionControl } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/index.ts';
import { nodeBackend } from '../../src/crypto/node.ts';
import { makeEnvelope } from '../../src/protocol/envelope.ts';
import type { Identity } from '../../src/protocol/identity.ts';
import { openPeer, sealPeer } from '../../src/protocol/peer.ts';
import {
  acceptAnswer,
  answerOffer,
  checkV1Message,
  createOffer,
  openRatchetFrame,
  sealRatchetFrame,
  serializeState,
  type RatchetDeps,
  type RatchetState,
  type SessionPolicyState,
} from '../../src/protocol/ratchet/index.ts';
import { ReplayWindow } from '../../src/protocol/replay.ts';
import { fixedRandom, identity } from '../protocol/_helpers.ts';
import { codeOf, T0, text } from './_conversation.ts';

const backend = nodeBackend;

interface Side {
  me: Identity;
  deps: RatchetDeps;
  policy: SessionPolicyState;
  replay: ReplayWindow;
}

let counter = 0;
function msgId(): Uint8Array {
  const id = new Uint8Array(MSG_ID_SIZE);
  id[0] = ++counter;
  id[1] = counter >> 8;
  return id;
}

async function side(label: string): Promise<Side> {
  return { me: await identity(backend, label), deps: { backend, random: fixedRandom(label), now: () => T0 }, policy: { session: undefined, pending: undefined, lastResetAt: undefined }, replay: new ReplayWindow() };
}

/** A session-control message as a sealed peer frame. */
async function controlFrame(from: Identity, to: Identity, body: SessionControl, sentAt: number, id = msgId()): Promise<Uint8Array> {
  return sealPeer({ backend, sender: from, recipient: to, envelope: makeEnvelope({ type: MessageType.session, body, sentAt, msgId: id }) });
}

/** What a receiver does with a peer frame carrying session control: open, replay window, rules. */
async function receiveControl(at: Side, from: Identity, frame: Uint8Array, now: number): Promise<{ answer?: Uint8Array; reset?: boolean }> {
  const opened = await openPeer({ backend, me: at.me, candidates: [from], frame });
  const env = opened.envelope;
  if (at.replay.check(env.msgId, env.sentAt, now) === 'duplicate') throw Object.assign(new Error('duplicate'), { code: 'REPLAYED' });
  if (env.type !== MessageType.session) throw new Error('not session control');
  const body = env.body;
  if (body.op === SessionOp.upgradeOffer || body.op === SessionOp.resetOffer) {
    const r = await answerOffer(at.deps, at.me, from, body, env, at.policy, now);
    at.policy.session = r.state;
    if (r.reset) at.policy.lastResetAt = now;
    if (r.dropOwnOffer) at.policy.pending = undefined;
    return { answer: await controlFrame(at.me, from, r.body, now), reset: r.reset };
  }
  const r = await acceptAnswer(at.deps, at.me, from, body, at.policy, now);
  at.policy.session = r.state;
  at.policy.pending = undefined;
  return { reset: r.reset };
}

async function offer(from: Side, to: Side, op: typeof SessionOp.upgradeOffer | typeof SessionOp.resetOffer, sentAt: number): Promise<Uint8Array> {
  const id = msgId();
  const o = await createOffer(from.deps, op, { msgId: id, sentAt });
  from.policy.pending = o.pending;
  return controlFrame(from.me, to.me, o.body, sentAt, id);
}

/** One ratchet message each way, so both sides hold working chains. */
async function converse(x: Side, y: Side, label: string): Promise<void> {
  for (const [s, r] of [[x, y], [y, x]] as const) {
    const sealed = await sealRatchetFrame({ deps: s.deps, sender: s.me, recipient: r.me, state: s.policy.session!, envelope: text(label) });
    s.policy.session = sealed.state;
    const o = await openRatchetFrame({ deps: r.deps, me: r.me, candidates: [{ contact: s.me, state: r.policy.session }], frame: sealed.frame });
    r.policy.session = o.state;
  }
}

function stateHex(s: RatchetState | undefined): string {
  return s ? toHex(serializeState(s)) : '';
}

async function upgraded(): Promise<{ a: Side; b: Side }> {
  const a = await side('ctl alice');
  const b = await side('ctl bob');
  // B offers (plays the invite owner), A answers and sends first.
  const f = await offer(b, a, SessionOp.upgradeOffer, T0);
  const { answer } = await receiveControl(a, b.me, f, T0);
  await receiveControl(b, a.me, answer!, T0);
  await converse(a, b, 'hello v2');
  return { a, b };
}

describe('upgrade of a v1 contact', () => {
  it('an offer and its answer give both sides one session; the next ratchet messages open both ways', async () => {
    const { a, b } = await upgraded();
    expect(a.policy.session!.peerSeen).toBe(1);
    expect(b.policy.session!.peerSeen).toBe(1);
    await converse(b, a, 'still fine');
  });

  it('happens once: a second offer is refused (UPGRADE_REFUSED) and the session is unchanged', async () => {
    const { a, b } = await upgraded();
    const before = stateHex(a.policy.session);
    const again = await offer(b, a, SessionOp.upgradeOffer, T0 + 1000);
    expect(await codeOf(receiveControl(a, b.me, again, T0 + 1000))).toBe('UPGRADE_REFUSED');
    expect(stateHex(a.policy.session)).toBe(before);
  });

  it('crossing offers: the lower X25519 key\'s offer stands, the other side answers it', async () => {
    const a = await side('cross alice');
    const b = await side('cross bob');
    const fa = await offer(a, b, SessionOp.upgradeOffer, T0);
    const fb = await offer(b, a, SessionOp.upgradeOffer, T0);
    const [lo, hi, fromLo, fromHi] = Buffer.compare(Buffer.from(a.me.x), Buffer.from(b.me.x)) < 0 ? [a, b, fa, fb] : [b, a, fb, fa];
    expect(await codeOf(receiveControl(lo, hi.me, fromHi, T0))).toBe('UPGRADE_REFUSED');
    const { answer } = await receiveControl(hi, lo.me, fromLo, T0);
    await receiveControl(lo, hi.me, answer!, T0);
    await converse(hi, lo, 'settled');
  });

  it('downgrade refused: once a ratchet message arrived, v1 peer frames other than session control are refused', async () => {
    const { a, b } = await upgraded();
    expect(() => checkV1Message(a.policy.session, MessageType.text)).toThrow(/DOWNGRADE/);
    expect(() => checkV1Message(a.policy.session, MessageType.session)).not.toThrow();
    // Before the contact's first ratchet message, v1 still flows (the offerer waits for it).
    const c = await side('early alice');
    const d = await side('early bob');
    const { answer } = await receiveControl(c, d.me, await offer(d, c, SessionOp.upgradeOffer, T0), T0);
    await receiveControl(d, c.me, answer!, T0);
    expect(() => checkV1Message(d.policy.session, MessageType.text)).not.toThrow();
    expect(b.policy.session).toBeDefined();
  });
});

describe('session reset', () => {
  it('a reset from the contact starts a new session on both sides; both are told', async () => {
    const { a, b } = await upgraded();
    const old = stateHex(a.policy.session);
    const later = T0 + 10_000;
    const { answer, reset } = await receiveControl(a, b.me, await offer(b, a, SessionOp.resetOffer, later), later);
    expect(reset).toBe(true);
    expect(stateHex(a.policy.session)).not.toBe(old);
    expect((await receiveControl(b, a.me, answer!, later)).reset).toBe(true);
    await converse(a, b, 'after reset');
  });

  it(`is rate-limited: a second reset within SESSION_RESET_INTERVAL_MS is refused (RESET_REFUSED), one after it is accepted`, async () => {
    const { a, b } = await upgraded();
    let now = T0 + 10_000;
    const { answer } = await receiveControl(a, b.me, await offer(b, a, SessionOp.resetOffer, now), now);
    await receiveControl(b, a.me, answer!, now);
    now += SESSION_RESET_INTERVAL_MS - 1;
    const before = stateHex(a.policy.session);
    expect(await codeOf(receiveControl(a, b.me, await offer(b, a, SessionOp.resetOffer, now), now))).toBe('RESET_REFUSED');
    expect(stateHex(a.policy.session)).toBe(before);
    now += 1;
    const r = await receiveControl(a, b.me, await offer(b, a, SessionOp.resetOffer, now), now);
    expect(r.reset).toBe(true);
  });

  it('a reset not newer than the session is refused (RESET_REFUSED)', async () => {
    const { a, b } = await upgraded();
    expect(await codeOf(receiveControl(a, b.me, await offer(b, a, SessionOp.resetOffer, T0), T0 + 5))).toBe('RESET_REFUSED');
  });

  it('a reset forged by a stranger, tampered with by the relay, or replayed by the relay has no effect', async () => {
    const { a, b } = await upgraded();
    const mallory = await identity(backend, 'mallory');
    const before = stateHex(a.policy.session);
    const later = T0 + 10_000;
    // A stranger signs with its own key but claims to be B: B's signature does not verify.
    const mo = await createOffer({ backend, random: fixedRandom('mallory') }, SessionOp.resetOffer, { msgId: msgId(), sentAt: later });
    const forged = await controlFrame(mallory, a.me, mo.body, later);
    expect(await codeOf(receiveControl(a, b.me, forged, later))).toBe('BAD_SIGNATURE');
    // The relay flips a byte of B's genuine reset.
    const genuine = await offer(b, a, SessionOp.resetOffer, later);
    const tampered = genuine.slice();
    tampered[tampered.length - 100]! ^= 1;
    expect(await codeOf(receiveControl(a, b.me, tampered, later))).toBe('BAD_SIGNATURE');
    expect(stateHex(a.policy.session)).toBe(before);
    // The genuine one is accepted once; the relay's replay of it is refused by the replay window.
    await receiveControl(a, b.me, genuine, later);
    const after = stateHex(a.policy.session);
    expect(await codeOf(receiveControl(a, b.me, genuine, later + SESSION_RESET_INTERVAL_MS))).toBe('REPLAYED');
    expect(stateHex(a.policy.session)).toBe(after);
  });

  it('an answer that matches no pending offer is refused', async () => {
    const { a, b } = await upgraded();
    const fake = await controlFrame(a.me, b.me, { op: SessionOp.resetAnswer, ephemeral: a.me.x, answers: msgId() }, T0 + 1);
    expect(await codeOf(receiveControl(b, a.me, fake, T0 + 1))).toBe('RESET_REFUSED');
  });
});
