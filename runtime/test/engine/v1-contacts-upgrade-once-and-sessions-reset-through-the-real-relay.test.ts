/**
 * Session control between engines through the real relay (_recording-relay.ts): a contact both
 * sides know from v1 (records planted as an older engine left them) upgrades to a v2 session
 * once, and then its v1 frames are refused (downgrade); a device that lost its state gets a new
 * session through a signed reset, and a reset the relay altered in flight changes nothing.
 */
import { FrameKind, MessageType, RESEND_INTERVAL_MS } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/index.ts';
import { K, MemoryStore, encodeRecord, type Contact } from '../../src/engine/index.ts';
import { generateIdentity, idHex, type Identity } from '../../src/protocol/identity.ts';
import { InviteBook } from '../../src/protocol/invite-book.ts';
import { createInvite, inviteLink } from '../../src/protocol/invite.ts';
import { parseState } from '../../src/protocol/ratchet/index.ts';
import { recordingRelays } from './_recording-relay.ts';
import { backend, befriend, texts, until, waitFor, type TestPeer } from './_setup.ts';

const { recordingRelay, client, stop } = recordingRelays();

/** A store holding `them` as an accepted contact at `version`, as an engine left it (no v2 session). */
function plantedStore(them: Identity, version: number): MemoryStore {
  const s = new MemoryStore();
  const key = toHex(them.x);
  const c: Contact = { key, id: idHex(them.x), x: them.x, ed: them.ed, name: 'them', note: '', state: 'accepted', verified: false, version, createdAt: Date.now() };
  void s.put(K.contact(key), encodeRecord(c));
  return s;
}

async function say(from: TestPeer, to: TestPeer, key: string, text: string): Promise<void> {
  const shown = waitFor(to.engine, 'message', (m) => m.type === MessageType.text && m.body.text === text);
  await from.engine.sendText(key, text);
  await shown;
}

describe('session control through the real relay', () => {
  it('v1 contacts upgrade once to v2; afterwards a v1 frame from that contact is refused (DOWNGRADE)', async () => {
    const r = await recordingRelay();
    const idA = await generateIdentity(await backend());
    const idB = await generateIdentity(await backend());
    const [aKey, bKey] = [toHex(idA.x), toHex(idB.x)];
    const a = await client(r, { identity: idA, store: plantedStore(idB, 1), name: 'alice' });
    const b = await client(r, { identity: idB, store: plantedStore(idA, 1), name: 'bob' });
    // both offer after the handshake; the crossing offers settle on the keys: one session
    await until(() => a.engine.protection(bKey).version === 2 && b.engine.protection(aKey).version === 2, 10_000, 'both upgraded');
    await say(a, b, bKey, 'upgraded?');
    await say(b, a, aKey, 'upgraded.');
    await say(a, b, bKey, 'good');
    await until(() => a.engine.protection(bKey).postQuantum && b.engine.protection(aKey).postQuantum, 10_000, 'post-quantum');
    expect(a.engine.contact(bKey)!.version).toBe(2);
    expect(b.engine.contact(aKey)!.version).toBe(2);
    expect(a.of('protection').at(-1)?.protection.version ?? b.of('protection').at(-1)?.protection.version).toBe(2);
    expect([...a.of('session-reset'), ...b.of('session-reset')]).toEqual([]);
    // the texts went as ratchet frames
    const textFrames = r.between(a.engine.id, b.engine.id).slice(-3).map((f) => f.kind);
    expect(textFrames).toContain(FrameKind.ratchet);

    // A's seed in an engine that lost the session (an old client, or someone holding the seed) speaks v1 to B
    await stop(a);
    const refusedUpgrade = waitFor(b.engine, 'dropped', (d) => d.code === 'BAD_MESSAGE' && /UPGRADE_REFUSED/.test(d.message));
    const a2 = await client(r, { identity: idA, store: plantedStore(idB, 1), name: 'alice again' });
    await refusedUpgrade; // an upgrade happens once
    const downgrade = waitFor(b.engine, 'dropped', (d) => d.code === 'DOWNGRADE');
    await a2.engine.sendText(bKey, 'v1 again');
    await downgrade;
    expect(texts(b)).not.toContain('v1 again');
    expect(b.engine.protection(aKey).version).toBe(2);
  });

  it('a contact met through an older v1 invite gets a v2 session once accepted, with no reset notice', async () => {
    const r = await recordingRelay();
    const idB = await generateIdentity(await backend());
    // B's engine still holds an invite it made before v2 (a v1 invite in its invite book)
    const old = createInvite({ owner: idB, relay: r.keys, name: 'bob', maxUses: 1 });
    const store = new MemoryStore();
    const book = new InviteBook();
    book.add(old);
    await store.put(K.invites, encodeRecord(book.toJSON()));
    const b = await client(r, { identity: idB, store, name: 'bob' });
    const a = await client(r, { name: 'alice' });
    const req = waitFor(b.engine, 'contact-request');
    const bob = await a.engine.addContact(inviteLink(r.relay.httpUrl, old));
    expect(a.engine.protection(bob.key).version).toBe(1);
    const { contact } = await req;
    expect(r.between(a.engine.id, b.engine.id).map((f) => f.kind)).toEqual([FrameKind.firstContact]);
    await b.engine.acceptContact(contact.key);
    await until(() => a.engine.protection(bob.key).version === 2 && b.engine.protection(contact.key).version === 2, 10_000, 'upgraded');
    await say(a, b, bob.key, 'over v2 now');
    await say(b, a, contact.key, 'yes');
    expect([...a.of('session-reset'), ...b.of('session-reset')]).toEqual([]);
    expect(a.engine.contact(bob.key)!.version).toBe(2);
  });

  it('a device that lost its state gets a new session by a signed reset; one the relay altered in flight changes nothing', async () => {
    const r = await recordingRelay();
    const a = await client(r, { name: 'alice' });
    const b = await client(r, { name: 'bob' });
    const { aSeesB, bSeesA } = await befriend(a, b);
    const [aKey, bKey] = [bSeesA.key, aSeesB.key];
    // (texts only from A before the loss: A's restored engine starts its order numbers afresh, and
    // a text from B with a later number would wait for the gap as any text would)
    await say(a, b, bKey, 'before');
    await say(a, b, bKey, 'before too');
    const sessionOf = async () => parseState((await b.store.get(K.session(aKey)))!);
    const before = await sessionOf();

    // A's device loses its session (its contact record says v2: it asks for a reset after the handshake)
    await stop(a);
    // the relay alters every v1 frame from A to B (the reset offer among them) while `forging`
    let forging = true;
    r.tamper = (f) => forging && f.from === a.engine.id && f.to === b.engine.id && f.kind === FrameKind.peer;
    let clock = Date.now();
    const dropped = waitFor(b.engine, 'dropped', (d) => d.code === 'BAD_SIGNATURE');
    const a2 = await client(r, { identity: a.identity, store: plantedStore(b.identity, 2), name: 'alice restored', now: () => clock });
    await dropped;
    await until(() => a2.engine.outboxSize > 0 && r.between(a.engine.id, b.engine.id).filter((f) => f.kind === FrameKind.peer).length >= 2, 10_000, 'offer forwarded');
    await new Promise((res) => setTimeout(res, 200));
    // the altered reset had no effect: B's session is the one it had
    expect(b.of('session-reset')).toEqual([]);
    const now = await sessionOf();
    expect([now.startedAt, now.recvHeader, now.recvCount, now.dhRemote]).toEqual([before.startedAt, before.recvHeader, before.recvCount, before.dhRemote]);

    // the genuine offer is resent from A's outbox (byte-identical) and accepted
    const bReset = waitFor(b.engine, 'session-reset');
    const aReset = waitFor(a2.engine, 'session-reset');
    forging = false;
    clock += RESEND_INTERVAL_MS + 1;
    await a2.engine.maintain();
    expect((await bReset).by).toBe('them');
    expect((await aReset).by).toBe('us');
    expect((await sessionOf()).startedAt).toBeGreaterThan(before.startedAt);
    await say(b, a2, aKey, 'after the reset');
    await say(a2, b, bKey, 'and back');
    expect(a2.engine.protection(bKey)).toMatchObject({ version: 2, forwardSecrecy: true });
    expect(texts(b)).toEqual(['before', 'before too', 'and back']);

    // a second reset within SESSION_RESET_INTERVAL_MS is refused and the session keeps working
    const refused = waitFor(b.engine, 'dropped', (d) => /RESET_REFUSED/.test(d.message));
    await a2.engine.resetSession(bKey);
    await refused;
    await say(a2, b, bKey, 'still here');
    expect(b.of('session-reset')).toHaveLength(1);
  });
});
