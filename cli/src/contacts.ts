/**
 * Naming contacts on the command line: by name (case-insensitive, exact) or by a prefix of the
 * id (hex). A reference that matches several contacts is a usage error listing them; keys are
 * never printed, only names and ids.
 */
import { V1_PROTECTION, requestExpiresAt, type Contact, type Engine } from '@parley/runtime/engine';
import type { z } from 'zod';
import type { ContactInfoSchema } from './bridge/schema.ts';
import { AmbiguousContactError, BadUsageError, UnknownContactError } from './errors.ts';

/** Shortest id prefix accepted: shorter ones match too much to be meant. */
export const MIN_ID_PREFIX = 4;

/** A contact as `contact list --json` and the bridge show it: never its keys; a request's expiry. */
export function contactInfo(c: Contact): z.infer<typeof ContactInfoSchema> {
  const expiresAt = requestExpiresAt(c);
  return { id: c.id, name: c.name, state: c.state, verified: c.verified, protection: c.protection ?? V1_PROTECTION, ...(expiresAt !== undefined ? { expiresAt } : {}) };
}

/** `name (id)` for messages. */
export function label(c: Pick<Contact, 'name' | 'id'>): string {
  return c.name ? `${c.name} (${c.id})` : c.id;
}

export function findContact(engine: Engine, ref: string, states?: readonly Contact['state'][]): Contact {
  const r = ref.trim().toLowerCase();
  if (r === '') throw new BadUsageError('a contact name or id is empty');
  const all = engine.contacts();
  let hits = all.filter((c) => c.name.toLowerCase() === r);
  if (hits.length === 0 && /^[0-9a-f]+$/.test(r) && r.length >= MIN_ID_PREFIX) {
    hits = all.filter((c) => c.id.startsWith(r) || c.key === r);
  }
  if (hits.length === 0) throw new UnknownContactError(ref);
  if (hits.length > 1) throw new AmbiguousContactError(ref, hits.map(label));
  const c = hits[0]!;
  if (states && !states.includes(c.state)) {
    if (c.state === 'pending') throw new BadUsageError(`${label(c)} asked to be your contact; accept first: wschat requests accept ${c.id}`);
    if (c.state === 'requested') throw new BadUsageError(`${label(c)} has not accepted your request yet`);
    throw new BadUsageError(`${label(c)} is already a contact`);
  }
  return c;
}
