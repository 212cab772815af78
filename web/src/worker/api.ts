/**
 * The worker's implementation of `Api` (messages/protocol.ts) on a Host: each method checks
 * nothing the engine checks itself and converts keys to hex for the UI. Lifecycle calls
 * (status, create, unlock, trustRelay) run one at a time, so two calls never start two engines.
 */
import { fromHex, inviteProblemOf, inviteProblemText, parseAnyInvite, toHex } from '@parley/runtime';
import type { Host } from './host.ts';
import type { Api, Remote, Summary } from '../messages/protocol.ts';
import { PushAgent } from './push-host.ts';
import { isUnread } from '../shared/unread.ts';

/**
 * An unusable invite as the UI shows it: words a person can act on (runtime's invite-words),
 * with the stable code BAD_INVITE and the technical reason (`detail`: problem and the parser's
 * message) kept for the UI's logic and logs.
 */
function inviteError(err: unknown): Error {
  const problem = inviteProblemOf(err) ?? 'MALFORMED';
  const detail = `${problem}: ${err instanceof Error ? err.message : String(err)}`;
  return Object.assign(new Error(inviteProblemText(problem)), { name: 'EngineError', code: 'BAD_INVITE', detail });
}

export function createApi(host: Host): Remote<Api> {
  let serial: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = serial.then(fn, fn);
    serial = p.catch(() => undefined);
    return p;
  };
  const e = () => host.need();
  const push = new PushAgent(host);
  const changed = <T>(v: T): T => {
    host.contactsChanged();
    return v;
  };

  return {
    status: () => oneAtATime(() => host.status()),
    create: (o) => oneAtATime(() => host.create(o)),
    unlock: (o) => oneAtATime(() => host.unlock(o.passphrase)),
    trustRelay: () => oneAtATime(() => host.trustRelay()),
    connection: async () => host.engine?.state ?? { state: 'stopped' },
    setOnline: async ({ online }) => {
      host.transport.setOnline(online);
      if (online && host.engine && host.engine.state.state === 'offline') host.engine.reconnectNow();
    },
    reconnect: async () => e().reconnectNow(),
    resume: async () => {
      if (!host.engine) return;
      if (host.engine.state.state === 'offline') host.engine.reconnectNow();
      await host.engine.maintain();
    },

    contacts: async () => e().contacts(),
    summaries: async () => {
      const out: Summary[] = [];
      for (const c of e().contacts()) {
        const items = await e().history(c.key);
        const shown = items.filter((i) => i.kind !== 'pending');
        const last = shown[shown.length - 1];
        out.push({ contact: c.key, ...(last ? { last } : {}), unread: items.filter(isUnread).map((i) => i.id) });
      }
      return out;
    },
    history: async ({ contact, limit }) => {
      const items = (await e().history(contact, limit === undefined ? {} : { limit })).filter((i) => i.kind !== 'pending');
      return Promise.all(items.map((i) => host.asShown(i)));
    },
    sendText: async ({ contact, text, replyTo }) => (await e().sendText(contact, text, replyTo ? { replyTo } : {})).item,
    editMessage: async ({ contact, id, text }) => void (await e().editMessage(contact, id, text)),
    deleteMessage: async ({ contact, id }) => void (await e().deleteMessage(contact, id)),
    markRead: async ({ contact, ids }) => e().markRead(contact, ids), // the engine emits the records it changed
    sendFile: async ({ contact, name, mime, bytes }) => {
      host.expectOutgoing({ name, mime, bytes });
      return e().sendFile(contact, { name, mime, bytes });
    },
    cancelFile: async ({ contact, fileId }) => e().cancelFile(contact, fileId),
    pauseFile: async ({ contact, fileId }) => e().pauseFile(contact, fileId),
    resumeFile: async ({ contact, fileId }) => e().resumeFile(contact, fileId),
    fileBytes: async ({ contact, fileId }) => host.files.get(`${contact}/${fileId}`),

    createInvite: async (o) => e().createInvite(o),
    previewInvite: async ({ text }) => {
      let invite;
      try {
        invite = parseAnyInvite(text.trim(), Date.now());
      } catch (err) {
        throw inviteError(err);
      }
      const key = toHex(invite.ownerX);
      const own = host.identity ? toHex(host.identity.x) === key : false;
      const known = host.engine?.contact(key) !== undefined;
      return { name: invite.name, expiresAt: invite.expiresAt, key, own, known };
    },
    addContact: async ({ invite, name, note }) => {
      try {
        return changed(await e().addContact(invite, { ...(name ? { name } : {}), ...(note ? { note } : {}) }));
      } catch (err) {
        throw inviteProblemOf(err) ? inviteError(err) : err;
      }
    },
    acceptContact: async ({ contact, name }) => changed(await e().acceptContact(contact, name ? { name } : {})),
    rejectContact: async ({ contact }) => changed(await e().rejectContact(contact)),
    removeContact: async ({ contact }) => {
      await e().removeContact(contact);
      await host.files.deletePrefix(`${contact}/`);
      changed(undefined);
    },
    renameContact: async ({ contact, name }) => changed(await e().renameContact(contact, name)),
    verifyContact: async ({ contact, verified }) => changed(await e().verifyContact(contact, verified)),
    safetyNumber: async ({ contact }) => {
      const s = e().safetyNumber(contact);
      return { number: s.number, qr: toHex(s.qr) };
    },
    checkSafetyQr: async ({ contact, scanned }) => /^[0-9a-f]+$/i.test(scanned) && scanned.length % 2 === 0 && e().checkSafetyQr(contact, fromHex(scanned.toLowerCase())),

    sendSignal: async ({ contact, message, silent }) => e().sendRaw(contact, message, silent ? { silent } : {}),
    requestTurn: async () => e().requestTurn(),
    ring: async ({ contact }) => e().ring(contact),

    pushState: () => push.state(),
    pushRegister: (o) => push.register(o),
    pushUnregister: () => push.unregister(),
  };
}
