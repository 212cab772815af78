/**
 * When a contact request expires (spec CONTACT_REQUEST_TTL_MS). The owner of an invite answers
 * nothing to a request it drops (an invite already used, expired or revoked): any answer would
 * tell whoever holds a link that its owner is online. So the requester learns from this bound
 * instead: a request unanswered this long is dead on both sides. The owner's engine refuses to
 * accept it (and apps stop offering it), and the requester's apps say it expired and why it may
 * never have arrived. Times are the contact's `createdAt` on each side.
 */
import { CONTACT_REQUEST_TTL_MS } from '@parley/generated';
import type { Contact } from './types.ts';

/** When `c`'s request expires (ms), or undefined if `c` is not a request (requested or pending). */
export function requestExpiresAt(c: Pick<Contact, 'state' | 'createdAt'>): number | undefined {
  return c.state === 'requested' || c.state === 'pending' ? c.createdAt + CONTACT_REQUEST_TTL_MS : undefined;
}

/** True if `c` is a request (sent or received) older than CONTACT_REQUEST_TTL_MS. */
export function isRequestExpired(c: Pick<Contact, 'state' | 'createdAt'>, now: number): boolean {
  const at = requestExpiresAt(c);
  return at !== undefined && now > at;
}
