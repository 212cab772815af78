/**
 * generated/vectors/ratchet.json replayed as another implementation would: every frame is
 * re-sealed from the sender's state and recorded randomness (byte-identical frame and state)
 * and re-opened from the receiver's state (same plaintext and state); every invalid case fails
 * with its code; the session reset (B's offer, A's answer, B's acceptance) is rebuilt frame for
 * frame and state for state. On the noble reference and the Node backend.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MessageType, SessionOp, type SessionControl } from '@parley/generated';
import { fromHex, toHex, type CryptoBackend } from '../../src/crypto/index.ts';
import { makeEnvelope } from '../../src/protocol/envelope.ts';
import { identityFromSeed, type Identity } from '../../src/protocol/identity.ts';
import { openPeer, sealPeer } from '../../src/protocol/peer.ts';
import { acceptAnswer, answerOffer, createOffer, openRatchetFrame, parseState, sealRatchetFrame, serializeState, type RatchetDeps } from '../../src/protocol/ratchet/index.ts';
import { BACKENDS } from '../protocol/_helpers.ts';
import { codeOf } from './_conversation.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const V: any = JSON.parse(readFileSync(new URL('../../../generated/vectors/ratchet.json', import.meta.url), 'utf8'));

function queue(draws: string[]): (n: number) => Uint8Array {
  const q = draws.map(fromHex);
  return (n) => {
    const v = q.shift();
    if (!v || v.length !== n) throw new Error(`vector randomness: wanted ${n} bytes, have ${v?.length ?? 'none'}`);
    return v;
  };
}

describe('ratchet.json', () => {
  it('covers the script the spec asks for', () => {
    const steps = V.frames.map((f: { open_step: string }) => f.open_step);
    expect(steps).toContain('dh');
    expect(steps).toContain('chain');
    expect(steps).toContain('skipped');
    expect(V.invalid.map((c: { error: string }) => c.error).sort()).toEqual(['BAD_LENGTH', 'BAD_SIGNATURE', 'HEADER_FAILED', 'JUMP_TOO_LARGE', 'KEM_MISSING', 'KEY_USED']);
    expect(V.frames.length).toBeGreaterThanOrEqual(10);
  });
});

describe.each(BACKENDS)('ratchet.json on the $name backend', (backend: CryptoBackend) => {
  const people = async (): Promise<Record<string, Identity>> => ({
    alice: await identityFromSeed(backend, fromHex(V.start.a.seed)),
    bob: await identityFromSeed(backend, fromHex(V.start.b.seed)),
  });
  const deps = (random: string[]): RatchetDeps => ({ backend, random: queue(random), now: () => V.now });

  it('re-seals every frame byte for byte and re-opens it to the same plaintext and state', async () => {
    const p = await people();
    for (const f of V.frames) {
      const from = p[f.from]!;
      const to = p[f.to]!;
      const sealed = await sealRatchetFrame({ deps: deps(f.sender_random), sender: from, recipient: to, state: parseState(fromHex(f.sender_state_before)), envelope: fromHex(f.plaintext) });
      expect(toHex(sealed.frame), f.label).toBe(f.frame);
      expect(toHex(serializeState(sealed.state)), f.label).toBe(f.sender_state_after);
      const opened = await openRatchetFrame({ deps: deps(f.receiver_random), me: to, candidates: [{ contact: from, state: parseState(fromHex(f.receiver_state_before)) }], frame: fromHex(f.frame) });
      expect(toHex(opened.plaintext), f.label).toBe(f.plaintext);
      expect(opened.step, f.label).toBe(f.open_step);
      expect(toHex(serializeState(opened.state)), f.label).toBe(f.receiver_state_after);
    }
  }, 60_000);

  it('replays the session reset: the offer and answer frames byte for byte, both new sessions state for state', async () => {
    const p = await people();
    const R = V.reset;
    const [alice, bob] = [p.alice!, p.bob!];
    const control = (body: SessionControl, msgId: string, sentAt: number) => makeEnvelope({ type: MessageType.session, body, sentAt, msgId: fromHex(msgId) });
    // B, having lost its state, offers a reset with its recorded ephemeral.
    const offer = await createOffer(deps([R.offer.ephemeral_secret]), SessionOp.resetOffer, { msgId: fromHex(R.offer.msg_id), sentAt: R.offer.sent_at });
    const offerFrame = await sealPeer({ backend, sender: bob, recipient: alice, envelope: control(offer.body, R.offer.msg_id, R.offer.sent_at), nonce: fromHex(R.offer.nonce) });
    expect(toHex(offerFrame)).toBe(R.offer.frame);
    // A opens it and answers from its old session (the reset is newer than it).
    const got = (await openPeer({ backend, me: alice, candidates: [bob], frame: fromHex(R.offer.frame) })).envelope;
    if (got.type !== MessageType.session) throw new Error('the offer frame holds no session control');
    const policyA = { session: parseState(fromHex(R.answer.a_state_before)), pending: undefined, lastResetAt: undefined };
    const answered = await answerOffer(deps(R.answer.random), alice, bob, got.body, got, policyA, R.offer.sent_at);
    expect(answered.reset).toBe(true);
    expect(toHex(serializeState(answered.state))).toBe(R.a_state);
    const answerFrame = await sealPeer({ backend, sender: alice, recipient: bob, envelope: control(answered.body, R.answer.msg_id, R.answer.sent_at), nonce: fromHex(R.answer.nonce) });
    expect(toHex(answerFrame)).toBe(R.answer.frame);
    // B opens the answer and starts the new session from its pending offer.
    const ans = (await openPeer({ backend, me: bob, candidates: [alice], frame: answerFrame })).envelope;
    if (ans.type !== MessageType.session) throw new Error('the answer frame holds no session control');
    const accepted = await acceptAnswer(deps([]), bob, alice, ans.body, { session: undefined, pending: offer.pending, lastResetAt: undefined }, R.offer.sent_at);
    expect(toHex(serializeState(accepted.state))).toBe(R.b_state);
    // The first frame of the new session opens from B's accepted state.
    const r1 = V.frames.find((f: { label: string }) => f.label === 'r1');
    expect(r1.receiver_state_before).toBe(R.b_state);
  });

  it('refuses every invalid case with its code and leaves the state unchanged', async () => {
    const p = await people();
    for (const c of V.invalid) {
      const state = parseState(fromHex(c.receiver_state));
      const code = await codeOf(openRatchetFrame({ deps: deps([]), me: p[c.to]!, candidates: [{ contact: p[c.from]!, state }], frame: fromHex(c.frame) }));
      expect(code, c.label).toBe(c.error);
      expect(toHex(serializeState(state)), c.label).toBe(c.receiver_state);
    }
  });
});
