import { MessageType, SESSION_VERSION } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { isEngineError } from '../../src/engine/errors.ts';
import { fakeRelay, peer, runningPeers, settle, type TestPeer, until, waitFor } from './_setup.ts';

const { started, friends } = runningPeers();

describe('contacts', () => {
  it('an invite leads to a pending request that nothing answers until the user accepts', async () => {
    const relay = await fakeRelay();
    const a = await started(peer(relay, { name: 'alice' }));
    const b = await started(peer(relay, { name: 'bob' }));
    const invite = await a.engine.createInvite({ name: 'alice' });
    expect(invite.link).toMatch(/^http:\/\/fake\.relay\/#invite=/);
    const req = waitFor(a.engine, 'contact-request');
    const added = await b.engine.addContact(invite.uri, { note: 'hello there' });
    expect(added.state).toBe('requested');
    expect(added.name).toBe('alice');
    const { contact, note } = await req;
    expect(contact.state).toBe('pending');
    expect(contact.name).toBe('bob');
    expect(note).toBe('hello there');
    await settle();
    // nothing goes back to B before the user decides
    expect(relay.between(a.engine.id, b.engine.id)).toHaveLength(0);
    const accepted = waitFor(b.engine, 'contact-accepted');
    await a.engine.acceptContact(contact.key);
    await accepted;
    expect(b.engine.contact(added.key)!.state).toBe('accepted');
    expect(b.engine.contact(added.key)!.version).toBe(SESSION_VERSION);
    // the request left B's outbox once accepted; the accept left A's once delivered
    await until(() => a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 5000, 'outboxes empty');
    expect(a.engine.safetyNumber(contact.key).number).toBe(b.engine.safetyNumber(added.key).number);
  });

  it('a rejected request sends nothing and forgets the keys', async () => {
    const relay = await fakeRelay();
    const a = await started(peer(relay));
    const b = await started(peer(relay));
    const invite = await a.engine.createInvite();
    const req = waitFor(a.engine, 'contact-request');
    await b.engine.addContact(invite.link);
    const { contact } = await req;
    await a.engine.rejectContact(contact.key);
    expect(a.engine.contacts()).toHaveLength(0);
    await settle();
    expect(relay.between(a.engine.id, b.engine.id)).toHaveLength(0);
  });

  it('a single-use invite is consumed by its first use', async () => {
    const relay = await fakeRelay();
    const a = await started(peer(relay));
    const b = await started(peer(relay));
    const c = await started(peer(relay));
    const invite = await a.engine.createInvite({ maxUses: 1 });
    const req = waitFor(a.engine, 'contact-request');
    await b.engine.addContact(invite.link);
    await req;
    const dropped = waitFor(a.engine, 'dropped', (d) => d.kind === 'first_contact');
    await c.engine.addContact(invite.link);
    expect((await dropped).code).toBe('BAD_INVITE');
    expect(a.of('contact-request')).toHaveLength(1);
    expect(a.engine.contacts().map((x) => x.key)).toEqual([toKey(b)]);
  });

  it('refuses invites for another relay, our own invite, and a contact twice', async () => {
    const relay = await fakeRelay();
    const other = await fakeRelay();
    const a = await started(peer(relay));
    const b = await started(peer(relay));
    const x = await started(peer(other));
    const foreign = await x.engine.createInvite();
    await expect(b.engine.addContact(foreign.link)).rejects.toSatisfy((e) => isEngineError(e, 'BAD_INVITE'));
    const own = await b.engine.createInvite();
    await expect(b.engine.addContact(own.link)).rejects.toSatisfy((e) => isEngineError(e, 'NOT_ALLOWED'));
    const inv = await a.engine.createInvite({ maxUses: 2 });
    await b.engine.addContact(inv.link);
    await expect(b.engine.addContact(inv.link)).rejects.toSatisfy((e) => isEngineError(e, 'CONTACT_EXISTS'));
    await expect(b.engine.addContact('not an invite')).rejects.toSatisfy((e) => isEngineError(e, 'BAD_INVITE'));
  });

  it('messages to a requested contact wait in the outbox until the accept', async () => {
    const relay = await fakeRelay();
    const a = await started(peer(relay));
    const b = await started(peer(relay));
    const invite = await a.engine.createInvite();
    const req = waitFor(a.engine, 'contact-request');
    const aForB = await b.engine.addContact(invite.link);
    await b.engine.sendText(aForB.key, 'queued before accept');
    const { contact } = await req;
    await settle();
    expect(relay.between(b.engine.id, a.engine.id).filter((s) => s.kind === 3)).toHaveLength(0);
    const got = waitFor(a.engine, 'message', (m) => m.type === MessageType.text);
    await a.engine.acceptContact(contact.key);
    const m = await got;
    expect(m.type === MessageType.text && m.body.text).toBe('queued before accept');
  });
});

function toKey(p: TestPeer): string {
  return Buffer.from(p.identity.x).toString('hex');
}

describe('chat', () => {
  it('texts go both ways with delivered and read receipts; receipts are never acknowledged', async () => {
    const { relay, a, b, aSeesB, bSeesA } = await friends();
    const gotB = waitFor(b.engine, 'message', (m) => m.type === MessageType.text);
    const deliveredA = waitFor(a.engine, 'delivered');
    const { id } = await a.engine.sendText(aSeesB.key, 'hello bob');
    const m = await gotB;
    expect(m.id).toBe(id);
    expect(m.type === MessageType.text && m.body.text).toBe('hello bob');
    expect((await deliveredA).ids).toContain(id);
    const readA = waitFor(a.engine, 'read');
    await b.engine.markRead(bSeesA.key, [id]);
    expect((await readA).ids).toEqual([id]);
    const hist = await a.engine.history(aSeesB.key);
    expect(hist.find((h) => h.id === id)!.status).toBe('read');

    const gotA = waitFor(a.engine, 'message', (m) => m.type === MessageType.text);
    const r = await b.engine.sendText(bSeesA.key, 'hello alice', { replyTo: id });
    const back = await gotA;
    expect(back.id).toBe(r.id);
    await until(() => a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 5000, 'outboxes empty');
    await settle(100);
    // Per direction: texts and accepts are acknowledged; receipts are not.
    const peerFrames = (from: TestPeer, to: TestPeer) => relay.between(from.engine.id, to.engine.id).length;
    const before = [peerFrames(a, b), peerFrames(b, a)];
    await settle(100);
    expect([peerFrames(a, b), peerFrames(b, a)]).toEqual(before);
    // A received B's delivered receipts (accept, text, mailbox token), B's read receipt, B's
    // mailbox token and B's text, and answered only the token and the text: A→B is the accept, the
    // text, A's mailbox token and two receipts.
    expect(relay.between(a.engine.id, b.engine.id)).toHaveLength(5);
  });

  it('typing is ephemeral: it arrives when online and fails with NOT_CONNECTED when not', async () => {
    const { relay, a, b, aSeesB } = await friends();
    const typing = waitFor(b.engine, 'message', (m) => m.type === MessageType.typing);
    await a.engine.sendTyping(aSeesB.key, true);
    const t = await typing;
    expect(t.type === MessageType.typing && t.body.active).toBe(1);
    expect(a.engine.outboxSize).toBe(0);
    relay.up = false;
    relay.kick(a.engine.id);
    await waitFor(a.engine, 'state', (s) => s.state === 'offline');
    await expect(a.engine.sendTyping(aSeesB.key, false)).rejects.toSatisfy((e) => isEngineError(e, 'NOT_CONNECTED'));
  });

  it('edits and deletes apply to the sender\'s own messages only', async () => {
    const { a, b, aSeesB, bSeesA } = await friends();
    const got = waitFor(b.engine, 'message', (m) => m.type === MessageType.text);
    const { id } = await a.engine.sendText(aSeesB.key, 'original');
    await got;
    // A edits its own message: B applies it
    const edited = waitFor(b.engine, 'message', (m) => m.type === MessageType.edit);
    await a.engine.editMessage(aSeesB.key, id, 'changed');
    expect((await edited).applied).toBe(true);
    expect((await b.engine.history(bSeesA.key)).find((h) => h.id === id)!.text).toBe('changed');
    // B may not edit A's message through the API...
    await expect(b.engine.editMessage(bSeesA.key, id, 'mine now')).rejects.toSatisfy((e) => isEngineError(e, 'NOT_ALLOWED'));
    // ...and a crafted edit or delete is rejected by A with BAD_MESSAGE
    const rejected = waitFor(a.engine, 'dropped', (d) => d.code === 'BAD_MESSAGE');
    await b.engine.sendRaw(bSeesA.key, { type: MessageType.edit, body: { target: Buffer.from(id, 'hex'), text: 'hijacked' } });
    await rejected;
    const rejected2 = waitFor(a.engine, 'dropped', (d) => d.code === 'BAD_MESSAGE');
    await b.engine.sendRaw(bSeesA.key, { type: MessageType.delete, body: { target: Buffer.from(id, 'hex') } });
    await rejected2;
    const mine = (await a.engine.history(aSeesB.key)).find((h) => h.id === id)!;
    expect(mine.text).toBe('changed');
    expect(mine.deleted).toBeUndefined();
    expect(a.of('message').filter((m) => m.type === MessageType.edit || m.type === MessageType.delete)).toHaveLength(0);
    // the rejected messages were acknowledged, so B's outbox does not resend them forever
    await until(() => b.engine.outboxSize === 0, 5000, 'B outbox empty');
    // A deletes its message: gone at B
    const del = waitFor(b.engine, 'message', (m) => m.type === MessageType.delete);
    await a.engine.deleteMessage(aSeesB.key, id);
    await del;
    expect((await b.engine.history(bSeesA.key)).find((h) => h.id === id)!.deleted).toBe(true);
  });
});
