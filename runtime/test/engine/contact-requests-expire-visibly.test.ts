/**
 * A request sent with an invite someone else already used reaches an owner who drops it and
 * answers nothing (strangers learn nothing). The requester learns from a bound instead:
 * CONTACT_REQUEST_TTL_MS after asking, its request expires (event, and apps say so), and an
 * owner can no longer accept a request that old, so "expired" means the same on both sides.
 */
import { CONTACT_REQUEST_TTL_MS } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { isEngineError } from '../../src/engine/errors.ts';
import { K } from '../../src/engine/records.ts';
import { isRequestExpired, requestExpiresAt } from '../../src/engine/request-expiry.ts';
import type { Contact } from '../../src/engine/types.ts';
import { fakeRelay, peer, runningPeers, settle, waitFor, type TestPeer } from './_setup.ts';

const { started } = runningPeers();

/** An owner holding a request from someone who used its invite; `clock.now` is both engines' time. */
async function ownerWithRequest(clock: { now: number }): Promise<{ owner: TestPeer; contact: Contact }> {
  const relay = await fakeRelay();
  const owner = await started(peer(relay, { now: () => clock.now }));
  const asker = await started(peer(relay, { now: () => clock.now }));
  const invite = await owner.engine.createInvite({ ttlSeconds: 30 * 86_400 });
  const req = waitFor(owner.engine, 'contact-request');
  await asker.engine.addContact(invite.link, { note: 'hello' });
  return { owner, contact: (await req).contact };
}

describe('contact requests expire visibly', () => {
  it('a used invite: the owner drops the second request silently; the requester sees it expire after the bound', async () => {
    let now = Date.now();
    const clock = () => now;
    const relay = await fakeRelay();
    const owner = await started(peer(relay, { name: 'owner', now: clock }));
    const first = await started(peer(relay, { name: 'first', now: clock }));
    const late = await started(peer(relay, { name: 'late', now: clock }));
    const invite = await owner.engine.createInvite({ maxUses: 1, ttlSeconds: 30 * 86_400 });
    const req = waitFor(owner.engine, 'contact-request');
    await first.engine.addContact(invite.link);
    await req;
    const dropped = waitFor(owner.engine, 'dropped', (d) => d.kind === 'first_contact');
    const asked = await late.engine.addContact(invite.link);
    expect((await dropped).message).toMatch(/used up/);
    await settle();
    expect(relay.between(owner.engine.id, late.engine.id)).toHaveLength(0); // no answer to a stranger's frame

    expect(requestExpiresAt(late.engine.contact(asked.key)!)).toBe(asked.createdAt + CONTACT_REQUEST_TTL_MS);
    expect(isRequestExpired(late.engine.contact(asked.key)!, now)).toBe(false);
    now += CONTACT_REQUEST_TTL_MS + 1;
    const expired = waitFor(late.engine, 'contact-request-expired');
    await late.engine.maintain();
    expect((await expired).contact.key).toBe(asked.key);
    expect(isRequestExpired(late.engine.contact(asked.key)!, now)).toBe(true);
    expect(late.engine.outboxSize).toBe(0); // no longer resent
  });

  it('an owner cannot accept a request older than the bound', async () => {
    const clock = { now: Date.now() };
    const { owner, contact } = await ownerWithRequest(clock);
    clock.now += CONTACT_REQUEST_TTL_MS + 1;
    const err = await owner.engine.acceptContact(contact.key).catch((e: unknown) => e);
    expect(isEngineError(err, 'NOT_ALLOWED')).toBe(true);
    expect((err as Error).message).toMatch(/request expired/);
    expect(owner.engine.contact(contact.key)!.state).toBe('pending');
  });

  it("the owner's engine removes an expired incoming request from storage, and says so", async () => {
    const clock = { now: Date.now() };
    const { owner, contact } = await ownerWithRequest(clock);
    await owner.engine.maintain(); // within the bound: kept
    expect(owner.engine.contact(contact.key)?.state).toBe('pending');
    expect(await owner.store.get(K.contact(contact.key))).toBeDefined();

    clock.now += CONTACT_REQUEST_TTL_MS + 1;
    const expired = waitFor(owner.engine, 'contact-request-expired');
    await owner.engine.maintain();
    expect((await expired).contact).toMatchObject({ key: contact.key, state: 'pending' });
    expect(owner.engine.contact(contact.key)).toBeUndefined();
    expect(await owner.store.get(K.contact(contact.key))).toBeUndefined();
    expect(await owner.store.list(K.contact(contact.key))).toEqual([]);
  });
});
