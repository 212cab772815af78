/**
 * Mailbox tokens (spec derivations mailbox_token_key, mailbox_token): the runtime's tokens equal
 * an independent computation with noble's BLAKE3, the vectors in frames.json hold, and a token
 * names one secret and one contact's full key pair.
 */
import { readFileSync } from 'node:fs';
import { blake3 } from '@noble/hashes/blake3.js';
import { Contexts, MAILBOX_TOKEN_SIZE } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { mailboxToken, mailboxTokenKey, mailboxTokensEqual } from '../../src/protocol/index.ts';
import { fromHex, toHex } from '../../src/crypto/index.ts';

const V = JSON.parse(readFileSync(new URL('../../../generated/vectors/frames.json', import.meta.url), 'utf8')) as {
  parties: Record<string, { x25519: string; ed25519: string }>;
  mailbox_token: { secret: string; token_key: string; tokens: Record<string, string> };
};
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

function reference(secret: Uint8Array, x: Uint8Array, ed: Uint8Array): Uint8Array {
  const key = blake3(secret, { context: new TextEncoder().encode(Contexts.mailboxToken), dkLen: 32 });
  return blake3(new Uint8Array([...x, ...ed]), { key, dkLen: MAILBOX_TOKEN_SIZE });
}

describe('mailbox tokens', () => {
  it('are KH(DK(mailbox token, secret), contact_x || contact_ed) truncated to MAILBOX_TOKEN_SIZE', () => {
    const secret = bytes(32, 7);
    const x = bytes(32, 1);
    const ed = bytes(32, 2);
    expect(Contexts.mailboxToken).toBe('parley v1 mailbox token');
    expect(toHex(mailboxToken(mailboxTokenKey(secret), { x, ed }))).toBe(toHex(reference(secret, x, ed)));
  });

  it('match the vectors of frames.json', () => {
    const secret = fromHex(V.mailbox_token.secret);
    expect(toHex(mailboxTokenKey(secret))).toBe(V.mailbox_token.token_key);
    for (const [name, token] of Object.entries(V.mailbox_token.tokens)) {
      const p = V.parties[name]!;
      expect(toHex(reference(secret, fromHex(p.x25519), fromHex(p.ed25519))), name).toBe(token);
    }
  });

  it('name one secret and one full key pair', () => {
    const k = mailboxTokenKey(bytes(32, 7));
    const t = mailboxToken(k, { x: bytes(32, 1), ed: bytes(32, 2) });
    expect(mailboxTokensEqual(t, mailboxToken(k, { x: bytes(32, 1), ed: bytes(32, 2) }))).toBe(true);
    expect(mailboxTokensEqual(t, mailboxToken(k, { x: bytes(32, 1), ed: bytes(32, 3) }))).toBe(false);
    expect(mailboxTokensEqual(t, mailboxToken(mailboxTokenKey(bytes(32, 8)), { x: bytes(32, 1), ed: bytes(32, 2) }))).toBe(false);
    expect(mailboxTokensEqual(t, t.subarray(0, 15))).toBe(false);
    expect(() => mailboxTokenKey(bytes(31, 7))).toThrow(RangeError);
  });
});
