/**
 * Two people who never talked: the owner publishes a v2 invite (with a one-time ephemeral),
 * the requester's first-contact frame carries the contact request as the first ratchet message,
 * and both leave with a v2 session whose next messages open both ways. The gate refuses a
 * replayed frame (the single-use invite is used up); a v1-sealed first contact on a v2 invite is refused (DOWNGRADE).
 */
import { MSG_ID_SIZE, MessageType } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { nodeBackend } from '../../src/crypto/node.ts';
import { createFirstContact } from '../../src/protocol/first-contact.ts';
import { makeEnvelope } from '../../src/protocol/envelope.ts';
import { InviteBook } from '../../src/protocol/invite-book.ts';
import {
  createFirstContactV2,
  createInviteV2,
  inviteFields,
  inviteV2ToText,
  newEphemeral,
  openFirstContactV2,
  openRatchetFrame,
  parseInviteV2,
  sealRatchetFrame,
} from '../../src/protocol/ratchet/index.ts';
import { fixedRandom, identity } from '../protocol/_helpers.ts';
import { codeOf, T0, text } from './_conversation.ts';

const backend = nodeBackend;

async function setup() {
  const owner = await identity(backend, 'fc owner');
  const requester = await identity(backend, 'fc requester');
  const relay = await identity(backend, 'fc relay');
  const dOwner = { backend, random: fixedRandom('fc owner'), now: () => T0 };
  const dReq = { backend, random: fixedRandom('fc requester'), now: () => T0 };
  const eB = await newEphemeral(dOwner);
  const invite = createInviteV2({ owner, relay: { ...relay, url: 'wss://relay.example' }, name: 'Owner', ephemeral: eB.publicKey, now: () => T0 });
  const book = new InviteBook();
  book.add(inviteFields(invite));
  const request = makeEnvelope({ type: MessageType.contactRequest, body: { name: 'Req', versions: [1, 2], note: 'hi' }, sentAt: T0, msgId: new Uint8Array(MSG_ID_SIZE).fill(7) });
  return { owner, requester, dOwner, dReq, eB, invite, book, request };
}

describe('first contact on a v2 invite', () => {
  it('gives both sides a v2 session from the invite alone; the next messages open both ways', async () => {
    const s = await setup();
    const parsed = parseInviteV2(inviteV2ToText(s.invite), T0);
    const { frame, state: reqState } = await createFirstContactV2({ deps: s.dReq, sender: s.requester, invite: parsed, envelope: s.request });
    const opened = await openFirstContactV2({ deps: s.dOwner, me: s.owner, book: s.book, ephemeralOf: () => s.eB, frame, routeId: s.requester.id, contactsWithId: [], now: T0 });
    expect(opened.request.name).toBe('Req');
    expect(opened.state.peerSeen).toBe(1);
    // The owner accepts in a ratchet frame (a DH and KEM step); the requester answers.
    const accept = await sealRatchetFrame({ deps: s.dOwner, sender: s.owner, recipient: s.requester, state: opened.state, envelope: text('accepted') });
    const atReq = await openRatchetFrame({ deps: s.dReq, me: s.requester, candidates: [{ contact: s.owner, state: reqState }], frame: accept.frame });
    expect(atReq.step).toBe('dh');
    const back = await sealRatchetFrame({ deps: s.dReq, sender: s.requester, recipient: s.owner, state: atReq.state, envelope: text('thanks') });
    const atOwner = await openRatchetFrame({ deps: s.dOwner, me: s.owner, candidates: [{ contact: s.requester, state: accept.state }], frame: back.frame });
    expect(atOwner.envelope.type).toBe(MessageType.text);
    // A replay of the first contact: the single-use invite is used up.
    expect(await codeOf(openFirstContactV2({ deps: s.dOwner, me: s.owner, book: s.book, ephemeralOf: () => s.eB, frame, routeId: s.requester.id, contactsWithId: [], now: T0 }))).toBe('BAD_INVITE');
  });

  it('refuses a v1-sealed first contact on a v2 invite (DOWNGRADE)', async () => {
    const s = await setup();
    const v1 = await createFirstContact({ backend, sender: s.requester, invite: inviteFields(s.invite), envelope: s.request });
    expect(await codeOf(openFirstContactV2({ deps: s.dOwner, me: s.owner, book: s.book, ephemeralOf: () => s.eB, frame: v1, routeId: s.requester.id, contactsWithId: [], now: T0 }))).toBe('DOWNGRADE');
  });

  it('refuses a v2 invite with a bad checksum or a low-order ephemeral', async () => {
    const s = await setup();
    const text2 = inviteV2ToText({ ...s.invite, ownerEphemeral: new Uint8Array(32) });
    expect(await codeOf(Promise.resolve().then(() => parseInviteV2(text2, T0)))).toBe('BAD_INVITE');
  });
});
