/**
 * First contact (spec kinds.first_contact; spec/DESIGN.md "First contact and invites"): a request
 * opens only for the invite's owner, only with the invite's secret, in the cheapest-first order:
 * invite live, gate tag (a hash, no curve operation), sender keys, route id, key conflict,
 * signature, request.
 */
import {
  FrameKind,
  INVITE_FIRST_CONTACTS_PER_MINUTE,
  MessageType,
  decodeFirstContact,
  decodeFrame,
  deriveGateTag,
  encodeFirstContact,
  encodeFrame,
  type Invite,
} from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { deriveKey, keyedHash } from '../../src/crypto/index.ts';
import { makeEnvelope } from '../../src/protocol/envelope.ts';
import { isOpenError } from '../../src/protocol/errors.ts';
import { createFirstContact, openFirstContact } from '../../src/protocol/first-contact.ts';
import type { Identity, PublicKeys } from '../../src/protocol/identity.ts';
import { InviteBook } from '../../src/protocol/invite-book.ts';
import { createInvite, inviteKeys, inviteLink, parseInvite } from '../../src/protocol/invite.ts';
import { BACKENDS, fixedRandom, identity, spy, textEnvelope } from './_helpers.ts';

const H = { deriveKey, keyedHash };
const NOW = 1_700_000_000_000;

function request(name: string) {
  return makeEnvelope({ type: MessageType.contactRequest, body: { name, versions: [1], note: 'hello' }, sentAt: NOW });
}

async function openError(p: Promise<unknown>): Promise<{ code?: string; reason?: string }> {
  try {
    await p;
  } catch (e) {
    if (isOpenError(e)) return { code: e.code, reason: e.reason };
    throw e;
  }
  return {};
}

/** Rewrites a first-contact payload field and recomputes the gate tag (an attacker who holds s). */
function regate(frame: Uint8Array, invite: Invite, change: (fc: ReturnType<typeof decodeFirstContact>) => void): Uint8Array {
  const f = decodeFrame(frame);
  const fc = decodeFirstContact(f.payload);
  change(fc);
  const { gateKey } = inviteKeys(invite.secret);
  fc.gateTag = deriveGateTag(H, gateKey, { nonce: f.nonce, inviteId: fc.inviteId, senderEphemeral: fc.senderEphemeral, statics: fc.statics, request: fc.request });
  return encodeFrame({ ...f, payload: encodeFirstContact(fc) });
}

describe.each(BACKENDS)('first contact on the $name backend', (inner) => {
  const backend = spy(inner);
  let bob: Identity, alice: Identity, carol: Identity, relay: Identity;
  const setup = async (maxUses = 1) => {
    relay ??= await identity(inner, 'relay');
    bob ??= await identity(inner, 'bob');
    alice ??= await identity(inner, 'alice');
    carol ??= await identity(inner, 'carol');
    const invite = createInvite({ owner: bob, relay: { x: relay.x, ed: relay.ed, url: 'wss://relay.example' }, name: 'Bob', maxUses, now: () => NOW, random: fixedRandom(`invite ${maxUses}`) });
    const book = new InviteBook();
    book.add(invite);
    // Alice receives the invite as a link and parses it.
    const parsed = parseInvite(inviteLink('https://parley.example/', invite), NOW);
    return { invite: parsed, book };
  };
  const open = (book: InviteBook, frame: Uint8Array, from: PublicKeys & { id: Uint8Array }, contactsWithId: PublicKeys[] = [], now = NOW) => {
    backend.reset();
    return openFirstContact({ backend, me: bob, book, frame, routeId: from.id, contactsWithId, now });
  };

  it('opens a request from the invite holder and uses the invite once', async () => {
    const { invite, book } = await setup();
    const frame = await createFirstContact({ backend: inner, sender: alice, invite, envelope: request('Alice') });
    const got = await open(book, frame, alice);
    expect(Buffer.from(got.sender.x)).toEqual(Buffer.from(alice.x));
    expect(Buffer.from(got.sender.ed)).toEqual(Buffer.from(alice.ed));
    expect(got.request.name).toBe('Alice');
    expect(book.get(got.inviteId)!.uses).toBe(1);
  });

  it('rejects a request without the invite secret at the gate, before any curve operation or decryption', async () => {
    const { invite, book } = await setup();
    // Mallory knows the invite id (it travels in the clear) but not the secret.
    const guessed = { ...invite, secret: new Uint8Array(16).fill(0xaa) };
    const forged = decodeFrame(await createFirstContact({ backend: inner, sender: carol, invite: guessed, envelope: request('Mallory') }));
    const fc = decodeFirstContact(forged.payload);
    fc.inviteId = inviteKeys(invite.secret).inviteId;
    const frame = encodeFrame({ ...forged, payload: encodeFirstContact(fc) });
    expect(await openError(open(book, frame, carol))).toEqual({ code: 'GATE_FAILED', reason: undefined });
    expect(backend.calls.x25519).toBe(0);
    expect(backend.calls.xchachaOpen).toBe(0);
    expect(backend.calls.ed25519Verify).toBe(0);
  });

  it('rejects a second request on a used single-use invite (BAD_INVITE USED_UP)', async () => {
    const { invite, book } = await setup();
    await open(book, await createFirstContact({ backend: inner, sender: alice, invite, envelope: request('Alice') }), alice);
    const second = await createFirstContact({ backend: inner, sender: carol, invite, envelope: request('Carol') });
    expect(await openError(open(book, second, carol))).toEqual({ code: 'BAD_INVITE', reason: 'USED_UP' });
    expect(backend.calls.x25519).toBe(0);
  });

  it('rejects a replayed request on a multi-use invite (GATE_FAILED: tag seen)', async () => {
    const { invite, book } = await setup(5);
    const frame = await createFirstContact({ backend: inner, sender: alice, invite, envelope: request('Alice') });
    await open(book, frame.slice(), alice);
    expect((await openError(open(book, frame, alice))).code).toBe('GATE_FAILED');
    expect(backend.calls.x25519).toBe(0);
  });

  it('does not burn the gate tag of a genuine request when a tampered copy arrives first', async () => {
    const { invite, book } = await setup();
    const frame = await createFirstContact({ backend: inner, sender: alice, invite, envelope: request('Alice') });
    const tampered = frame.slice();
    tampered[tampered.length - 1]! ^= 1; // the signature is outside the gate
    expect((await openError(open(book, tampered, alice))).code).toBe('BAD_SIGNATURE');
    expect(backend.calls.xchachaOpen).toBe(1); // the statics only: the request was not decrypted
    expect((await open(book, frame, alice)).request.name).toBe('Alice');
  });

  it('rejects a low-order ephemeral and a low-order sender key (BAD_KEY)', async () => {
    const { invite, book } = await setup(5);
    const frame = await createFirstContact({ backend: inner, sender: alice, invite, envelope: request('Alice') });
    const low = regate(frame, invite, (fc) => (fc.senderEphemeral = new Uint8Array(32)));
    expect((await openError(open(book, low, alice))).code).toBe('BAD_KEY');
    expect(backend.calls.xchachaOpen).toBe(0);
    const lowStatic: Identity = { ...alice, x: Uint8Array.of(1, ...new Uint8Array(31)) };
    const f2 = await createFirstContact({ backend: inner, sender: lowStatic, invite, envelope: request('Alice') });
    expect((await openError(open(book, f2, alice))).code).toBe('BAD_KEY');
    expect(backend.calls.ed25519Verify).toBe(0);
  });

  it('rejects a request whose sender id is not the route id (UNKNOWN_SENDER)', async () => {
    const { invite, book } = await setup();
    const frame = await createFirstContact({ backend: inner, sender: alice, invite, envelope: request('Alice') });
    expect((await openError(open(book, frame, carol))).code).toBe('UNKNOWN_SENDER');
  });

  it('rejects a sender whose id belongs to a contact with other keys (KEY_CONFLICT)', async () => {
    const { invite, book } = await setup();
    const frame = await createFirstContact({ backend: inner, sender: alice, invite, envelope: request('Alice') });
    const squatter: PublicKeys = { x: Uint8Array.of(...alice.id, ...carol.x.subarray(8)), ed: carol.ed };
    expect((await openError(open(book, frame, alice, [squatter]))).code).toBe('KEY_CONFLICT');
    expect(backend.calls.ed25519Verify).toBe(0);
    // the same keys already a contact: not a conflict
    expect((await open(book, frame, alice, [alice])).request.name).toBe('Alice');
  });

  it('rejects a first-contact frame that carries anything but a contact request (BAD_MESSAGE)', async () => {
    const { invite, book } = await setup();
    const { encodeEnvelopePadded } = await import('../../src/protocol/envelope.ts');
    const frame = await createFirstContact({ backend: inner, sender: alice, invite, envelope: encodeEnvelopePadded(textEnvelope('hi')) });
    expect((await openError(open(book, frame, alice))).code).toBe('BAD_MESSAGE');
    await expect(createFirstContact({ backend: inner, sender: alice, invite, envelope: textEnvelope('hi') })).rejects.toThrow(TypeError);
  });

  it('rejects an expired invite, an unknown invite, a wrong kind and a flood', async () => {
    const { invite, book } = await setup(INVITE_FIRST_CONTACTS_PER_MINUTE * 3);
    const frame = await createFirstContact({ backend: inner, sender: alice, invite, envelope: request('Alice') });
    expect(await openError(open(book, frame, alice, [], (invite.expiresAt + 1) * 1000))).toEqual({ code: 'BAD_INVITE', reason: 'EXPIRED' });
    expect(await openError(open(new InviteBook(), frame, alice))).toEqual({ code: 'BAD_INVITE', reason: 'UNKNOWN' });
    const f = decodeFrame(frame);
    expect((await openError(open(book, encodeFrame({ ...f, kind: FrameKind.peer }), alice))).code).toBe('BAD_KIND');
    for (let i = 0; i < INVITE_FIRST_CONTACTS_PER_MINUTE; i++) {
      await open(book, await createFirstContact({ backend: inner, sender: alice, invite, envelope: request(`A${i}`) }), alice, [], NOW + i);
    }
    const flood = await createFirstContact({ backend: inner, sender: alice, invite, envelope: request('flood') });
    expect(await openError(open(book, flood, alice, [], NOW + 1000))).toEqual({ code: 'BAD_INVITE', reason: 'RATE' });
    expect((await open(book, flood, alice, [], NOW + 61_000)).request.name).toBe('flood');
  });
});
