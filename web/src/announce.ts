/**
 * Says in the app's live region (the toast) what the worker reports about contacts while the
 * app runs: a contact request arrived, someone claims a contact's id with other keys, or a
 * contact's secure session was reset (their device lost its data: messages may be missing). The
 * lists update from the `contacts` event; this is what tells a screen reader user, or someone
 * looking at another screen, that something waits for a decision.
 */
import type { Client } from './ui-thread/client.ts';

export function announceContactEvents(client: Pick<Client, 'on'>, toast: (message: string) => void, route: () => string = () => ''): () => void {
  const offs = [
    client.on('contact-request', ({ contact }) => {
      // A key change comes with its own, stronger message (below); do not overwrite it.
      if (contact.keyChangeOf) return;
      // never send people where they already are: on the requests page the request shows below
      const who = contact.name || 'someone';
      toast(route() === 'requests' ? `Contact request from ${who}: it is in the list below.` : `Contact request from ${who}. Accept it in Contact requests.`);
    }),
    client.on('key-change', ({ previous }) =>
      toast(`Security warning: someone claims to be ${previous.name || 'one of your contacts'} with different keys. Nothing was accepted.`),
    ),
    client.on('session-reset', ({ contact, by }) =>
      toast(
        `The secure session with ${contact.name || 'a contact'} was reset (${by === 'them' ? 'their device lost or restored its data' : 'this device asked for it'}). Messages sent around that time may be missing.`,
      ),
    ),
  ];
  return () => offs.forEach((off) => off());
}
