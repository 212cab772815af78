import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/index.ts';
import { K, encodeRecord } from '../../src/engine/records.ts';
import type { Contact } from '../../src/engine/types.ts';
import { idHex } from '../../src/protocol/identity.ts';
import { fakeRelay, online, peer, runningPeers, settle, waitFor } from './_setup.ts';

const { running, started } = runningPeers();

describe('key changes', () => {
  it('a request whose id belongs to a contact with other keys is a warned, pending request', async () => {
    const relay = await fakeRelay();
    const c = await peer(relay);
    // A already knows "C" under other keys: same id (first bytes of X25519), different rest
    const oldX = c.identity.x.slice();
    oldX[31] = oldX[31]! ^ 1;
    const oldEd = c.identity.ed.slice();
    oldEd[0] = oldEd[0]! ^ 1;
    const old: Contact = { key: toHex(oldX), id: idHex(oldX), x: oldX, ed: oldEd, name: 'carol', note: '', state: 'accepted', verified: true, version: 1, createdAt: 1 };
    const aPeer = await peer(relay);
    await aPeer.store.put(K.contact(old.key), encodeRecord(old));
    const a = await started(Promise.resolve(aPeer));
    running.push(c);
    await c.engine.start();
    await online(c);
    await settle();
    // A's mailbox token to the old contact (same id as C) went out when A came online.
    const before = relay.between(a.engine.id, c.engine.id).length;

    const invite = await a.engine.createInvite();
    const warned = waitFor(a.engine, 'key-change');
    const req = waitFor(a.engine, 'contact-request');
    await c.engine.addContact(invite.link);
    const { contact, previous } = await warned;
    expect(previous.key).toBe(old.key);
    expect(contact.key).toBe(toHex(c.identity.x));
    expect(contact.state).toBe('pending');
    expect(contact.keyChangeOf).toBe(old.key);
    expect((await req).contact.keyChangeOf).toBe(old.key);
    // never silently accepted: the old contact is untouched, nothing went back
    expect(a.engine.contact(old.key)!.verified).toBe(true);
    await settle();
    expect(relay.between(a.engine.id, c.engine.id)).toHaveLength(before);

    // the user accepts the new keys: they replace the old contact, unverified
    const accepted = waitFor(c.engine, 'contact-accepted');
    const now = await a.engine.acceptContact(contact.key);
    await accepted;
    expect(now.verified).toBe(false);
    expect(now.keyChangeOf).toBeUndefined();
    expect(a.engine.contact(old.key)).toBeUndefined();
    expect(a.engine.contacts().map((x) => x.key)).toEqual([contact.key]);
  });

  it('adding an invite whose owner id matches a contact with other keys warns too', async () => {
    const relay = await fakeRelay();
    const b = await started(peer(relay));
    const aPeer = await peer(relay);
    const oldX = b.identity.x.slice();
    oldX[20] = oldX[20]! ^ 0x80;
    const old: Contact = { key: toHex(oldX), id: idHex(oldX), x: oldX, ed: b.identity.ed, name: 'bob', note: '', state: 'accepted', verified: true, version: 1, createdAt: 1 };
    await aPeer.store.put(K.contact(old.key), encodeRecord(old));
    const a = await started(Promise.resolve(aPeer));
    const invite = await b.engine.createInvite();
    const warned = waitFor(a.engine, 'key-change');
    const added = await a.engine.addContact(invite.link);
    expect(added.keyChangeOf).toBe(old.key);
    expect((await warned).previous.key).toBe(old.key);
  });
});
