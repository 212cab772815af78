/**
 * Mailbox tokens (spec/DESIGN.md, "Relay abuse bounds"): a client registers a random mailbox
 * secret with its relay and gives each contact, end to end, the token
 * KH(DK(mailbox token, secret), contact_x || contact_ed). The contact presents it to the relay,
 * which derives the same token from the registered secret and so tells "a sender this
 * recipient vouched for" from a stranger without holding a contact list. A new secret revokes
 * every token.
 */
import { deriveMailboxToken, deriveMailboxTokenKey, MAILBOX_SECRET_SIZE, MAILBOX_TOKEN_SIZE } from '@parley/generated';
import { H } from './_blake3.ts';
import type { PublicKeys } from './identity.ts';

/** The token key of a mailbox secret (derive once, then make or check many tokens). */
export function mailboxTokenKey(secret: Uint8Array): Uint8Array {
  if (secret.length !== MAILBOX_SECRET_SIZE) throw new RangeError(`a mailbox secret is ${MAILBOX_SECRET_SIZE} bytes, got ${secret.length}`);
  return deriveMailboxTokenKey(H, { secret });
}

/** The token for the contact with the keys `contact`, under `tokenKey` (mailboxTokenKey). */
export function mailboxToken(tokenKey: Uint8Array, contact: PublicKeys): Uint8Array {
  return deriveMailboxToken(H, tokenKey, { contactX: contact.x, contactEd: contact.ed });
}

/** Constant-time comparison of two tokens. */
export function mailboxTokensEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== MAILBOX_TOKEN_SIZE || b.length !== MAILBOX_TOKEN_SIZE) return false;
  let d = 0;
  for (let i = 0; i < MAILBOX_TOKEN_SIZE; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
