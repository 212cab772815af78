/**
 * v2 sessions in the engine, through the real relay: two engines that never talked get a
 * double-ratchet session from an invite, and the properties are shown on the frames the relay
 * forwarded (recorded by wrapping its protocol layer, _recording-relay.ts), with the attacker
 * harness of the ratchet tests (../ratchet/_attacker.ts):
 * - forward secrecy: both identity seeds and both persisted states open none of them;
 * - post-compromise security: a copy of B's persisted state at message n reads what follows
 *   until the next round trip, and nothing after it;
 * - erasure: the used message keys and old chain keys are no longer in the store's bytes.
 */
import { FrameKind, MessageType } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { K } from '../../src/engine/index.ts';
import type { Identity } from '../../src/protocol/identity.ts';
import { kdfChain, openRatchetFrame, parseState, type RatchetState } from '../../src/protocol/ratchet/index.ts';
import { openOwnSent } from '../ratchet/_attacker.ts';
import { contains, recordingRelays, type Forwarded, type RecordingRelay } from './_recording-relay.ts';
import { backend, befriend, texts, until, waitFor, type TestPeer } from './_setup.ts';

const { recordingRelay, client, diskBytes } = recordingRelays();

async function pair(): Promise<{ r: RecordingRelay; a: TestPeer; b: TestPeer; aKey: string; bKey: string }> {
  const r = await recordingRelay();
  const a = await client(r, { name: 'alice' });
  const b = await client(r, { name: 'bob' });
  const { aSeesB, bSeesA } = await befriend(a, b);
  return { r, a, b, aKey: bSeesA.key, bKey: aSeesB.key };
}

/** Sends a text and waits until the sender saw it delivered and the receiver showed it. */
async function say(from: TestPeer, to: TestPeer, key: string, text: string): Promise<void> {
  const shown = waitFor(to.engine, 'message', (m) => m.type === MessageType.text && m.body.text === text);
  const { id } = await from.engine.sendText(key, text);
  const delivered = waitFor(from.engine, 'delivered', (d) => d.ids.includes(id));
  await shown;
  await delivered;
}

async function storedState(p: TestPeer, contactKey: string): Promise<RatchetState> {
  const bytes = await p.store.get(K.session(contactKey));
  if (!bytes) throw new Error('no stored session');
  return parseState(bytes);
}

/** What an attacker holding `me`'s identity and `state` reads of `f` (sent to `me` by `sender`), or undefined. */
async function readAs(me: Identity, state: RatchetState, sender: Identity, f: Forwarded): Promise<{ text?: string; state: RatchetState } | undefined> {
  try {
    const o = await openRatchetFrame({ deps: { backend: await backend() }, me, candidates: [{ contact: { x: sender.x, ed: sender.ed }, state }], frame: f.frame });
    return { ...(o.envelope.type === MessageType.text ? { text: o.envelope.body.text } : {}), state: o.state };
  } catch {
    return undefined;
  }
}

describe('v2 sessions through the real relay', () => {
  it('two engines chat on v2 from an invite; both see the protection, post-quantum after the first round trip', async () => {
    const { r, a, b, aKey, bKey } = await pair();
    expect(a.engine.protection(bKey)).toMatchObject({ version: 2, forwardSecrecy: true });
    expect(b.engine.contact(aKey)!.protection).toMatchObject({ version: 2, forwardSecrecy: true });
    await say(a, b, bKey, 'hello over the ratchet');
    await say(b, a, aKey, 'and back');
    await say(a, b, bKey, 'again');
    expect(texts(b)).toEqual(['hello over the ratchet', 'again']);
    expect(texts(a)).toEqual(['and back']);
    for (const p of [a.engine.protection(bKey), b.engine.protection(aKey)]) {
      expect(p).toEqual({ version: 2, forwardSecrecy: true, postQuantum: true, label: 'forward secrecy · post-quantum' });
    }
    expect(a.engine.contacts()[0]!.protection!.postQuantum).toBe(true);
    // the side that used the invite was told when its session turned post-quantum (its first
    // chain could only publish a KEM key); the invite's owner was post-quantum from its first reply
    expect(b.of('protection').map((e) => e.protection.label)).toEqual(['forward secrecy · post-quantum']);
    expect(a.of('protection')).toEqual([]);
    // every frame between them after the first contact is a ratchet frame: no v1 frame was used
    const kinds = new Set([...r.between(b.engine.id, a.engine.id), ...r.between(a.engine.id, b.engine.id)].map((f) => f.kind));
    expect([...kinds].sort()).toEqual([FrameKind.firstContact, FrameKind.ratchet].sort());
    // the contact version says it too
    expect(a.engine.contact(bKey)!.version).toBe(2);
  });

  it('forward secrecy: both identity seeds and both persisted states open none of the recorded frames; a state from before opens the later ones', async () => {
    const { r, a, b, aKey, bKey } = await pair();
    for (const [from, to, key, t] of [[a, b, bKey, 'a1'], [a, b, bKey, 'a2'], [b, a, aKey, 'b1'], [a, b, bKey, 'a3'], [b, a, aKey, 'b2']] as const) {
      await say(from, to, key, t);
    }
    // B's persisted state now (the control: it is a state from before the next messages)
    const before = await storedState(b, aKey);
    const mark = r.forwarded.length;
    await say(a, b, bKey, 'a4');
    await say(b, a, aKey, 'b3');
    await say(a, b, bKey, 'a5');
    await until(() => a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 10_000, 'outboxes empty');

    const frames = [...r.between(a.engine.id, b.engine.id), ...r.between(b.engine.id, a.engine.id)].filter((f) => f.kind === FrameKind.ratchet);
    expect(frames.length).toBeGreaterThan(10);
    const sa = await storedState(a, bKey);
    const sb = await storedState(b, aKey);
    const be = await backend();
    for (const f of frames) {
      const aSent = f.from === a.engine.id;
      const [sender, recipient] = aSent ? [a.identity, b.identity] : [b.identity, a.identity];
      const [senderState, recipientState] = aSent ? [sa, sb] : [sb, sa];
      expect(await readAs(recipient, recipientState, sender, f)).toBeUndefined();
      expect(await openOwnSent(be, senderState, f.frame, sender.x, recipient.x)).toBeUndefined();
    }
    // the harness does read when it holds the keys: B's older state reads A's next text
    const later = r.forwarded.slice(mark).filter((f) => f.kind === FrameKind.ratchet && f.from === a.engine.id);
    let s = before;
    const read: string[] = [];
    for (const f of later) {
      const got = await readAs(b.identity, s, a.identity, f);
      if (!got) continue;
      s = got.state;
      if (got.text) read.push(got.text);
    }
    expect(read).toContain('a4');
  });

  it('post-compromise security: a copy of B\'s persisted state at message n reads what follows until the next round trip, nothing after', async () => {
    const { r, a, b, aKey, bKey } = await pair();
    await say(a, b, bKey, 'm1');
    await until(() => a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 10_000, 'outboxes empty');
    const stolen = await storedState(b, aKey);
    const mark = r.forwarded.length;
    await say(a, b, bKey, 'm2');
    await say(b, a, aKey, 'reply');
    await say(a, b, bKey, 'm3');
    await say(a, b, bKey, 'm4');
    let s = stolen;
    const read: string[] = [];
    for (const f of r.forwarded.slice(mark).filter((x) => x.kind === FrameKind.ratchet && x.from === a.engine.id)) {
      const got = await readAs(b.identity, s, a.identity, f);
      if (!got) continue;
      s = got.state;
      if (got.text) read.push(got.text);
    }
    expect(read).toEqual(['m2']);
    expect(texts(b)).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('erasure: once the messages are read, the store no longer holds their message keys nor the old chain keys', async () => {
    const { a, b, aKey, bKey } = await pair();
    await say(a, b, bKey, 'first');
    const s0 = await storedState(b, aKey);
    // the next message key of B's receiving chain, and every chain and root key of the state
    const secrets = [kdfChain(s0.recvChain).messageKey, s0.recvChain, s0.sendChain, s0.rootKey, s0.nextRecvHeader, s0.dhSecret].filter((k) => k.length > 0);
    expect(secrets.length).toBe(6);
    // control: the scan finds the state's keys while they are current
    expect(contains(await diskBytes(b), s0.rootKey)).toBe(true);
    await say(a, b, bKey, 'second');
    await say(b, a, aKey, 'reply');
    await say(a, b, bKey, 'third');
    await b.engine.markRead(aKey, (await b.engine.history(aKey)).filter((i) => i.dir === 'in').map((i) => i.id));
    await say(b, a, aKey, 'reply 2');
    await until(() => a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 10_000, 'outboxes empty');
    const disk = await diskBytes(b);
    for (const k of secrets) expect(contains(disk, k)).toBe(false);
    // the message itself was kept (as history), only the keys are gone
    expect((await b.engine.history(aKey)).some((i) => i.text === 'second')).toBe(true);
  });
});
