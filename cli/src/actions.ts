/**
 * Contact actions that send something and wait until it is on the wire, shared by the commands
 * and the bridge. "On the wire" is the engine's `sent` event: the frame was handed to the
 * relay's socket, and the session closes only after its queue is flushed.
 */
import type { Contact } from '@parley/runtime/engine';
import { findContact } from './contacts.ts';
import { TimeoutError } from './errors.ts';
import type { Session } from './session.ts';

/**
 * Runs `act`, then waits (if online) until a frame to the contact it returns went on the wire.
 * `sent` events are collected from before `act`, so a fast send is not missed.
 */
async function actThenSent(s: Session, act: () => Promise<Contact>, timeoutMs: number, what: string): Promise<Contact> {
  if (s.engine.state.state !== 'online') return act();
  const seen = new Set<string>();
  let wake: (() => void) | undefined;
  const off = s.engine.on('sent', (e) => {
    seen.add(e.contact);
    wake?.();
  });
  try {
    const c = await act();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TimeoutError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting until ${what}`)), timeoutMs);
      wake = () => {
        if (!seen.has(c.key)) return;
        clearTimeout(timer);
        resolve();
      };
      wake();
    });
    return c;
  } finally {
    off();
  }
}

/** Uses an invite: its owner becomes `requested`; resolves once the request was sent (if online). */
export function requestContact(s: Session, invite: string, o: { name?: string; note?: string }, timeoutMs: number): Promise<Contact> {
  const opts = { ...(o.name !== undefined ? { name: o.name } : {}), ...(o.note !== undefined ? { note: o.note } : {}) };
  return actThenSent(s, () => s.engine.addContact(invite.trim(), opts), timeoutMs, 'the contact request was sent');
}

/** Accepts a pending request; resolves once the accept was sent (if online). */
export function acceptRequest(s: Session, ref: string, o: { name?: string }, timeoutMs: number): Promise<Contact> {
  const c = findContact(s.engine, ref, ['pending']);
  return actThenSent(s, () => s.engine.acceptContact(c.key, o.name !== undefined ? { name: o.name } : {}), timeoutMs, 'the accept was sent');
}
