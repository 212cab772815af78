/**
 * Invites (spec structs.invite): every form round-trips (bytes, base64url link fragment, URI),
 * parsing refuses bad checksums, expired invites, bad keys and malformed text with BAD_INVITE
 * and a reason; the secret derives distinct id, gate key and PSK; the book persists.
 */
import { CHECKSUM_SIZE, INVITE_DEFAULT_TTL_S, decodeInvite, encodeInvite } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { nobleBackend } from '../../src/crypto/noble.ts';
import { isOpenError } from '../../src/protocol/errors.ts';
import { InviteBook } from '../../src/protocol/invite-book.ts';
import {
  INVITE_URI_PREFIX,
  createInvite,
  encodeInviteBytes,
  inviteKeys,
  inviteLink,
  inviteToText,
  inviteUri,
  parseInvite,
} from '../../src/protocol/invite.ts';
import { fixedRandom, identity } from './_helpers.ts';

const NOW = 1_700_000_000_000;

function reason(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isOpenError(e, 'BAD_INVITE')) return e.reason;
    throw e;
  }
  return 'accepted';
}

async function fixture() {
  const bob = await identity(nobleBackend, 'bob');
  const relay = await identity(nobleBackend, 'relay');
  const invite = createInvite({ owner: bob, relay: { x: relay.x, ed: relay.ed, url: 'wss://relay.example:8443/ws' }, name: 'Bób', maxUses: 3, now: () => NOW, random: fixedRandom('invite') });
  return { bob, relay, invite };
}

describe('invites', () => {
  it('round-trips as bytes (QR), link and URI', async () => {
    const { invite } = await fixture();
    expect(invite.expiresAt).toBe(NOW / 1000 + INVITE_DEFAULT_TTL_S);
    const bytes = encodeInviteBytes(invite);
    const link = inviteLink('https://parley.example/join', invite);
    expect(link).toMatch(/^https:\/\/parley\.example\/join#invite=[A-Za-z0-9_-]+$/);
    expect(inviteUri(invite).startsWith(INVITE_URI_PREFIX)).toBe(true);
    for (const form of [bytes, link, inviteUri(invite), inviteToText(invite), `  ${link}\n`]) {
      const back = parseInvite(form, NOW);
      expect(Buffer.from(encodeInviteBytes(back))).toEqual(Buffer.from(bytes));
      expect(back.name).toBe('Bób');
      expect(back.maxUses).toBe(3);
    }
    expect(() => inviteLink('https://x/#a', invite)).toThrow(RangeError);
  });

  it('refuses a wrong checksum, an expired invite, malformed text and bad keys, with reasons', async () => {
    const { invite, bob } = await fixture();
    const bytes = encodeInviteBytes(invite);
    const typo = bytes.slice();
    typo[bytes.length - CHECKSUM_SIZE - 1]! ^= 0x20; // a letter of the name
    expect(reason(() => parseInvite(typo, NOW))).toBe('CHECKSUM');
    const badSum = bytes.slice();
    badSum[bytes.length - 1]! ^= 1;
    expect(reason(() => parseInvite(badSum, NOW))).toBe('CHECKSUM');
    expect(reason(() => parseInvite(bytes, (invite.expiresAt + 1) * 1000))).toBe('EXPIRED');
    expect(reason(() => parseInvite(bytes, invite.expiresAt * 1000))).toBe('accepted');
    expect(reason(() => parseInvite(bytes.subarray(0, 50), NOW))).toBe('MALFORMED');
    expect(reason(() => parseInvite('parley:invite/not*base64', NOW))).toBe('MALFORMED');
    expect(reason(() => parseInvite(Uint8Array.of(...bytes, 0), NOW))).toBe('MALFORMED');
    const http = encodeInviteBytes({ ...invite, relayUrl: 'https://relay.example' });
    expect(reason(() => parseInvite(http, NOW))).toBe('MALFORMED');
    const lowOrder = encodeInviteBytes({ ...invite, ownerX: new Uint8Array(32) });
    expect(reason(() => parseInvite(lowOrder, NOW))).toBe('BAD_KEY');
    const smallEd = encodeInviteBytes({ ...invite, ownerEd: Uint8Array.of(1, ...new Uint8Array(31)) });
    expect(reason(() => parseInvite(smallEd, NOW))).toBe('BAD_KEY');
    // the checksum covers every byte before it: re-encoding with a stale checksum fails
    const stale = encodeInvite({ ...decodeInvite(bytes), ownerEd: bob.x });
    expect(reason(() => parseInvite(stale, NOW))).toBe('CHECKSUM');
  });

  it('derives a distinct invite id, gate key and PSK from the secret, the same every time', async () => {
    const { invite } = await fixture();
    const a = inviteKeys(invite.secret);
    const b = inviteKeys(invite.secret.slice());
    expect(Buffer.from(a.inviteId)).toEqual(Buffer.from(b.inviteId));
    const all = [a.inviteId, a.gateKey, a.psk].map((x) => Buffer.from(x).toString('hex'));
    expect(new Set(all).size).toBe(3);
    expect(Buffer.from(inviteKeys(new Uint8Array(16)).inviteId)).not.toEqual(Buffer.from(a.inviteId));
  });

  it('keeps uses, recent first contacts and seen gate tags across a JSON round trip', async () => {
    const { invite } = await fixture();
    const book = new InviteBook();
    const rec = book.add(invite);
    book.recordUse(rec, new Uint8Array(16).fill(1), NOW);
    const back = InviteBook.fromJSON(JSON.parse(JSON.stringify(book)));
    const r2 = back.get(rec.keys.inviteId)!;
    expect(r2.uses).toBe(1);
    expect(back.tagSeen(r2, new Uint8Array(16).fill(1))).toBe(true);
    expect(back.tagSeen(r2, new Uint8Array(16).fill(2))).toBe(false);
    expect(back.revoke(rec.keys.inviteId)).toBe(true);
    expect(() => back.checkLive(rec.keys.inviteId, NOW)).toThrow(/BAD_INVITE/);
    expect(() => InviteBook.fromJSON({ format: 'nope' })).toThrow(TypeError);
  });
});
