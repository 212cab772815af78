/**
 * Messages still in the outbox when the session changes are not lost (spec/DESIGN.md "v2
 * sessions", the outbox across session changes), through the real relay (_recording-relay.ts):
 * Alice queues texts to Bob while he is offline and their first sends are lost in flight (the
 * relay alters them, so Bob refuses them unacknowledged); then the session changes before a
 * resend gets through: a reset by either side, or the one-time upgrade of a v1 contact. Every
 * text reaches Bob exactly once and in order, including one whose old frame Bob had already
 * taken (its receipt lost) and whose resealed copy arrives too.
 *
 * Before resealing, the resends were the old frames byte for byte, and Bob refused them forever
 * (HEADER_FAILED under the new session, DOWNGRADE for v1 frames after the upgrade).
 */
import { join } from 'node:path';
import { FrameKind, MessageType, RESEND_INTERVAL_MS } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/index.ts';
import { K, MemoryStore, decodeRecord, encodeRecord, type Contact } from '../../src/engine/index.ts';
import { FileStore } from '../../src/node/file-store.ts';
import { generateIdentity, idHex, type Identity } from '../../src/protocol/identity.ts';
import { parseState } from '../../src/protocol/ratchet/index.ts';
import { DyingStore } from './_dying-store.ts';
import { recordingRelays } from './_recording-relay.ts';
import { backend, befriend, texts, until, waitFor, type TestPeer } from './_setup.ts';

const { recordingRelay, client, stop, dir } = recordingRelays();

const QUEUED = ['one', 'two', 'three', 'four', 'five', 'six'];

async function say(from: TestPeer, to: TestPeer, key: string, text: string): Promise<void> {
  const shown = waitFor(to.engine, 'message', (m) => m.type === MessageType.text && m.body.text === text);
  await from.engine.sendText(key, text);
  await shown;
}

/** The signatures (hex) of the text frames in a peer's outbox, as stored. */
async function storedTextSigs(p: TestPeer): Promise<Set<string>> {
  const sigs = new Set<string>();
  for (const key of await p.store.list(K.outMetas)) {
    const meta = await p.store.get(key);
    const e = meta && decodeRecord<{ seq: number; type: number }>(meta, key);
    const frame = e && e.type === MessageType.text ? await p.store.get(K.outFrame(e.seq)) : undefined;
    if (frame) sigs.add(toHex(frame.subarray(-64))); // (an entry acknowledged meanwhile is gone)
  }
  return sigs;
}

/** A store holding `them` as an accepted v1 contact, as an engine before v2 left it. */
function v1Store(them: Identity): MemoryStore {
  const s = new MemoryStore();
  const key = toHex(them.x);
  const c: Contact = { key, id: idHex(them.x), x: them.x, ed: them.ed, name: 'them', note: '', state: 'accepted', verified: false, version: 1, createdAt: Date.now() };
  void s.put(K.contact(key), encodeRecord(c));
  return s;
}

/** Alice and Bob, friends through a recording relay, on a clock the test moves; each said one text. */
async function talkingPair() {
  const r = await recordingRelay();
  const clock = { ms: Date.now() };
  const now = () => clock.ms;
  const a = await client(r, { name: 'alice', now });
  const b = await client(r, { name: 'bob', now });
  const { aSeesB, bSeesA } = await befriend(a, b);
  const [aKey, bKey] = [bSeesA.key, aSeesB.key];
  await say(a, b, bKey, 'hello');
  await say(b, a, aKey, 'hi');
  return { r, clock, now, a, b, aKey, bKey };
}

describe('queued messages survive a change of session', () => {
  it.each(['sender', 'receiver'] as const)('texts queued for an offline contact arrive once each, in order, after the %s resets the session', async (who) => {
    const { r, clock, now, a, b, aKey, bKey } = await talkingPair();
    const [aId, bId] = [a.engine.id, b.engine.id];

    // Bob takes 'zero' but his receipts are lost: Alice keeps it in her outbox
    let dropReceipts = true;
    const lost = new Set<string>();
    r.tamper = (f) => (dropReceipts && f.kind === FrameKind.ratchet && f.from === bId && f.to === aId) || lost.has(toHex(f.frame.subarray(-64)));
    await say(a, b, bKey, 'zero');

    // Bob goes offline; Alice queues the rest, and the relay alters those frames when it delivers them
    await stop(b);
    dropReceipts = false;
    const zero = await storedTextSigs(a);
    const sent = a.of('sent').length;
    for (const t of QUEUED) await a.engine.sendText(bKey, t);
    await until(() => a.of('sent').length >= sent + QUEUED.length, 10_000, 'queued texts sent to the relay');
    for (const sig of await storedTextSigs(a)) if (!zero.has(sig)) lost.add(sig);
    expect(lost.size).toBe(QUEUED.length);
    clock.ms += 1000; // a reset must be newer than the session it replaces
    if (who === 'sender') await a.engine.resetSession(bKey); // the offer waits behind the texts

    const bAgain = await client(r, { identity: b.identity, dir: dir(b), name: 'bob again', now });
    if (who === 'receiver') await bAgain.engine.resetSession(aKey);
    await until(() => a.of('session-reset').length === 1 && bAgain.of('session-reset').length === 1, 15_000, 'the reset on both sides');
    expect(a.of('session-reset')[0]!.by).toBe(who === 'sender' ? 'us' : 'them');

    await until(() => bAgain.of('dropped').filter((d) => d.code === 'BAD_SIGNATURE').length >= QUEUED.length, 10_000, 'the queued texts refused');
    // nothing is lost in flight any more; the resends (and the resealed frames) get through
    lost.clear();
    clock.ms += RESEND_INTERVAL_MS + 1;
    await a.engine.maintain();
    await bAgain.engine.maintain();
    const shown = () => [...texts(b), ...texts(bAgain)];
    await until(() => shown().length >= 2 + QUEUED.length, 15_000, 'every queued text shown');
    await until(() => a.engine.outboxSize === 0, 15_000, "alice's outbox acknowledged");
    await say(a, bAgain, bKey, 'after');
    expect(shown()).toEqual(['hello', 'zero', ...QUEUED, 'after']);
    expect(a.of('error')).toEqual([]);
  });

  it('texts queued as v1 frames for an offline contact arrive once each, in order, across the upgrade to v2', async () => {
    const r = await recordingRelay();
    const clock = { ms: Date.now() };
    const now = () => clock.ms;
    const idA = await generateIdentity(await backend());
    const idB = await generateIdentity(await backend());
    const [aKey, bKey] = [toHex(idA.x), toHex(idB.x)];
    const a = await client(r, { identity: idA, store: v1Store(idB), name: 'alice', now });
    // Alice queues texts for the offline Bob (v1 frames: no session yet, her upgrade offer waits in
    // his mailbox too); the relay alters those text frames when it delivers them
    const sent = a.of('sent').length;
    for (const t of QUEUED) await a.engine.sendText(bKey, t);
    await until(() => a.of('sent').length >= sent + QUEUED.length, 10_000, 'queued texts sent to the relay');
    const lost = await storedTextSigs(a);
    expect(lost.size).toBe(QUEUED.length);
    let losing = true;
    r.tamper = (f) => losing && lost.has(toHex(f.frame.subarray(-64)));

    const b = await client(r, { identity: idB, store: v1Store(idA), name: 'bob', now });
    await until(() => a.engine.protection(bKey).version === 2 && b.engine.protection(aKey).version === 2, 15_000, 'both upgraded');
    await until(() => b.of('dropped').filter((d) => d.code === 'BAD_SIGNATURE').length >= QUEUED.length, 10_000, 'the v1 texts refused');
    // Alice seals with the ratchet once she can, and Bob opens a ratchet frame of hers: from then on
    // he refuses her v1 frames other than session control (DOWNGRADE)
    await until(async () => {
      const s = await a.store.get(K.session(bKey));
      return s !== undefined && parseState(s).sendChain.length > 0;
    }, 15_000, 'alice has a sending chain');
    await a.engine.sendText(bKey, 'after the upgrade');
    await until(async () => {
      const s = await b.store.get(K.session(aKey));
      return s !== undefined && parseState(s).peerSeen === 1;
    }, 15_000, "bob opened alice's ratchet frame");

    // the resends get through now
    losing = false;
    clock.ms += RESEND_INTERVAL_MS + 1;
    await a.engine.maintain();
    await until(() => texts(b).length >= QUEUED.length + 1, 15_000, 'every queued text shown');
    await until(() => a.engine.outboxSize === 0, 15_000, "alice's outbox acknowledged");
    expect(texts(b)).toEqual([...QUEUED, 'after the upgrade']);
    expect(b.of('dropped').filter((d) => d.code === 'DOWNGRADE')).toEqual([]);
    expect(a.engine.protection(bKey).version).toBe(2);
  });

  it('a crash between the reset and the reseal loses nothing: the restarted engine reseals what its outbox holds', async () => {
    const { r, clock, now, a: a0, b, aKey, bKey } = await talkingPair();
    // Alice runs on a store that dies at the batch rewriting one of the queued texts' frames (the reseal)
    await stop(a0);
    let queuedFrames = new Set<string>();
    const dying = new DyingStore(await FileStore.open(join(dir(a0), 'state'), { fsync: false }), (ops) =>
      ops.some((o) => o.op === 'put' && queuedFrames.has(o.key)),
    );
    const a = await client(r, { identity: a0.identity, dir: dir(a0), store: dying, name: 'alice', now });

    await stop(b);
    const sent = a.of('sent').length;
    for (const t of QUEUED) await a.engine.sendText(bKey, t);
    await until(() => a.of('sent').length >= sent + QUEUED.length, 10_000, 'queued texts sent to the relay');
    const lost = await storedTextSigs(a);
    queuedFrames = new Set((await a.store.list('of/')).filter((k) => k.startsWith('of/')));
    r.tamper = (f) => lost.has(toHex(f.frame.subarray(-64)));

    const bAgain = await client(r, { identity: b.identity, dir: dir(b), name: 'bob again', now });
    clock.ms += 1000;
    await bAgain.engine.resetSession(aKey);
    await until(() => dying.dead, 15_000, 'alice died resealing');
    expect(a.of('session-reset')).toHaveLength(1); // the new session landed before the reseal

    // the "process" is gone: restart it on what reached the disk
    await stop(a);
    await (dying.inner as FileStore).close();
    lost.clear();
    const aAgain = await client(r, { identity: a0.identity, dir: dir(a0), name: 'alice again', now });
    clock.ms += RESEND_INTERVAL_MS + 1;
    await aAgain.engine.maintain();
    await bAgain.engine.maintain();
    const shown = () => [...texts(b), ...texts(bAgain)];
    await until(() => shown().length >= 1 + QUEUED.length, 15_000, 'every queued text shown');
    await until(() => aAgain.engine.outboxSize === 0, 15_000, "alice's outbox acknowledged");
    await say(aAgain, bAgain, bKey, 'after');
    expect(shown()).toEqual(['hello', ...QUEUED, 'after']);
  });

  it('both sides reset at once: one session wins, and texts lost in flight both ways arrive once each, in order', async () => {
    const { r, clock, now, a, b, aKey, bKey } = await talkingPair();
    // each sends the other texts, and the relay alters all of them in flight (ratchet frames)
    let losing = true;
    r.tamper = (f) => losing && f.kind === FrameKind.ratchet;
    for (const t of QUEUED.slice(0, 3)) {
      await a.engine.sendText(bKey, `a ${t}`);
      await b.engine.sendText(aKey, `b ${t}`);
    }
    const refused = (p: TestPeer) => p.of('dropped').filter((d) => d.code === 'BAD_SIGNATURE').length;
    await until(() => refused(a) >= 3 && refused(b) >= 3, 10_000, 'the texts refused on both sides');
    losing = false;
    clock.ms += 1000;
    await Promise.all([a.engine.resetSession(bKey), b.engine.resetSession(aKey)]);
    await until(() => a.of('session-reset').length === 1 && b.of('session-reset').length === 1, 15_000, 'one reset on both sides');

    clock.ms += RESEND_INTERVAL_MS + 1;
    await a.engine.maintain();
    await b.engine.maintain();
    await until(() => texts(b).length >= 4 && texts(a).length >= 4, 15_000, 'every queued text shown');
    await until(() => a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 15_000, 'both outboxes acknowledged');
    expect(texts(b)).toEqual(['hello', 'a one', 'a two', 'a three']);
    expect(texts(a)).toEqual(['hi', 'b one', 'b two', 'b three']);
    expect([a.of('session-reset')[0]!.by, b.of('session-reset')[0]!.by].sort()).toEqual(['them', 'us']);
  });
});
