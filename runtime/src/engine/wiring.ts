/**
 * The one place where the engine's parts are built and connected. Each part takes the narrow
 * interfaces it uses (parts.ts) in its constructor; this module is the only one that knows all
 * of them, so the parts' modules do not import each other (runtime/test/architecture).
 *
 *   Connection ──frame──▶ Receiver ──open──▶ PeerSessions (sessions.ts)
 *        ▲                   │  └──▶ handler table (receive-handlers.ts, files.ts)
 *        │                   └──▶ ContactBook (first contact, accepts)
 *   Sender ──seal──▶ PeerSessions;  Sender ──▶ Outbox, OrderOut, History
 *   ContactBook, FileTransfers ──▶ Sender;  RelayServices ──▶ Connection (control frames)
 *
 * Where v2 plugs in: see the README's "Where v2 plugs in" (the session layer, the per-contact
 * state list, the handler table).
 */
import type { CryptoBackend } from '../crypto/index.ts';
import type { Identity } from '../protocol/identity.ts';
import { Connection } from './connection.ts';
import { ContactList, snapshot } from './contact-list.ts';
import { ContactBook } from './contacts.ts';
import { StoreBlobs, type BlobStore } from './blobs.ts';
import { OutgoingFileProgress } from './file-progress.ts';
import { OutgoingFiles } from './file-send.ts';
import { FileTransfers } from './files.ts';
import { History } from './history.ts';
import { OrderIn, OrderOut } from './order.ts';
import { MailboxTokens } from './mailbox-tokens.ts';
import { Outbox } from './outbox.ts';
import { dropInfo, report, type Clock, type Emit, type PerContactState } from './parts.ts';
import { handlerTable } from './receive-handlers.ts';
import { Receiver } from './receive.ts';
import { RelayServices } from './relay-services.ts';
import { ReplayStore } from './replay-store.ts';
import { Sender } from './sender.ts';
import { Serial } from './serial.ts';
import { RatchetSessions } from './ratchet-sessions.ts';
import { SessionControl } from './session-control.ts';
import type { Store } from './storage.ts';
import type { Transport } from './transport.ts';
import type { IncomingMessage } from './types.ts';

export interface WiringOptions {
  identity: Identity;
  backend: CryptoBackend;
  relay: { url: string; endpoints: readonly string[]; x: Uint8Array; ed: Uint8Array };
  store: Store;
  transport: Transport;
  now: () => number;
  random: () => number;
  randomBytes: (n: number) => Uint8Array;
  displayName: string;
  linkBase: string;
  autoAccept: boolean;
  /** EngineOptions.beforeRecord. */
  beforeRecord?: (m: IncomingMessage) => void;
  holdReceivedFiles: boolean;
  streamReceivedFiles: boolean;
  /** Part files and spooled outgoing files (default: over `store`, StoreBlobs). */
  blobs?: BlobStore;
  registerWake: boolean;
}

/** The built engine: what the Engine's methods call. */
export interface EngineParts {
  clock: Clock;
  store: Store;
  serial: Serial;
  conn: Connection;
  /** v2 sessions where the contact has one, v1 pair keys otherwise (ratchet-sessions.ts). */
  sessions: RatchetSessions;
  sessionControl: SessionControl;
  outbox: Outbox;
  history: History;
  contactList: ContactList;
  contacts: ContactBook;
  sender: Sender;
  files: FileTransfers;
  services: RelayServices;
  mailboxTokens: MailboxTokens;
  receiver: Receiver;
  /** Loads every part's stored state (before the connection starts). */
  load(): Promise<void>;
}

export function wireEngine(o: WiringOptions, emit: Emit): EngineParts {
  const { identity, backend, store } = o;
  const clock: Clock = { now: () => o.now(), randomBytes: (n) => o.randomBytes(n) };
  const serial = new Serial();
  const sessions = new RatchetSessions({
    backend, me: identity, store, now: () => o.now(), randomBytes: (n) => o.randomBytes(n),
    protectionChanged: (key) => {
      const c = contactList.get(key);
      if (c) emit('protection', { contact: { ...snapshot(c), protection: sessions.protection(key) }, protection: sessions.protection(key) });
    },
    // B's first sending chain: what the outbox sealed with v1 pair keys is resealed under the session
    sealTagChanged: (key) => sender.sessionChanged(key),
  });
  const outbox = new Outbox(store, o.now);
  const history = new History(store, o.now);
  const orderOut = new OrderOut(store, o.randomBytes);
  const orderIn = new OrderIn(store, o.now);
  const replay = new ReplayStore(store);
  const contactList = new ContactList(store);
  const progress = new OutgoingFileProgress({ emit, store, serial, history });
  const blobs = o.blobs ?? new StoreBlobs(store);
  const outgoing: OutgoingFiles = new OutgoingFiles({
    clock, emit, store, blobs, contacts: contactList, progress, seal: (c, body) => sender.sealOnly(c, body),
  });

  // The connection calls back into parts built below; it is started only after all of them.
  const conn: Connection = new Connection(
    { endpoints: o.relay.endpoints, relay: { x: o.relay.x, ed: o.relay.ed }, identity, backend, transport: o.transport, now: o.now, random: o.random },
    {
      state: (s) => emit('state', s),
      online: () => {
        // WELCOME said nothing is queued: in sync now (the relay sends no MAILBOX_DRAINED).
        const s = conn.state;
        if (s.state === 'online' && s.mailboxPending === 0) emit('synced', { delivered: 0 });
        services.online();
        mailboxTokens.online(); // before anything queued goes out
        sender.pump();
        void sessionControl.offerUpgrades(); // contacts still on v1 (session-control.ts)
        void serial
          .run(async () => {
            await sender.resendRecentReads();
            await sender.flushReads();
          })
          .catch((error) => report(emit, 'read receipts', error));
      },
      frame: (route, frame) => receiver.onFrame(route, frame),
      control: (m) => services.onControl(m),
      dropped: (kind, err) => emit('dropped', dropInfo(kind, err)),
    },
  );

  const sender = new Sender({
    clock, emit, store, serial, sessions, wire: conn, outbox, history, orderOut, contacts: contactList,
    chunkSent: (e) => progress.chunkSent(e), files: outgoing,
  });
  const files = new FileTransfers({
    clock, emit, store, blobs, serial, holdReceivedFiles: o.holdReceivedFiles, streamReceivedFiles: o.streamReceivedFiles,
    contacts: contactList, outbox, outgoing, history, send: sender, progress, saveSession: (key) => sessions.save(key),
  });
  // Everything kept per contact, removed with it (v2: its session is in `sessions`).
  const perContact: PerContactState[] = [
    sender, // queued and recently sent read receipts
    { removeOps: (c) => replay.removeOps(c.key) },
    { removeOps: (c) => history.removeOps(c.key) },
    files,
    { removeOps: (c) => orderOut.removeOps(c.key) },
    { removeOps: (c) => orderIn.removeOps(c.key) },
    {
      removeOps: (c) => {
        const entries = outbox.ofContact(c.key);
        const ops = outbox.removeOps(entries);
        outbox.forget(entries);
        return ops;
      },
    },
    sessions,
  ];
  const contacts = new ContactBook({
    identity, backend, store, clock, emit, relay: o.relay, linkBase: o.linkBase, displayName: o.displayName, autoAccept: o.autoAccept,
    list: contactList, outbox, send: sender, perContact, sessions,
  });
  const sessionControl = new SessionControl({ identity, clock, emit, store, sessions, contacts: contactList, outbox, send: sender });
  const services = new RelayServices({ clock, emit, store, wire: conn, registerWake: o.registerWake });
  const mailboxTokens = new MailboxTokens({ clock, emit, store, contacts: contactList, wire: conn, send: sender });
  const handlers = handlerTable({ clock, emit, history, outbox, progress, outgoing, send: sender, files, mailboxTokens, sessionControl });
  const receiver = new Receiver({
    clock, emit, store, serial, contacts: contactList, intake: contacts, sessions, replay, orderIn, acks: sender, handlers,
    openFailed: (candidates, err) => sessionControl.openFailed(candidates, err),
    ...(o.beforeRecord ? { beforeRecord: o.beforeRecord } : {}),
  });

  return {
    clock, store, serial, conn, sessions, sessionControl, outbox, history, contactList, contacts, sender, files, services, mailboxTokens, receiver,
    async load() {
      await contacts.load();
      await sessions.load();
      await outbox.load();
      await orderOut.load();
      await orderIn.load();
      // entries of contacts removed while a batch was half done
      const known = new Set(contactList.all().map((c) => c.key));
      const orphans = outbox.olderThan(Number.MAX_SAFE_INTEGER).filter((e) => !known.has(e.contact));
      await outbox.remove(orphans);
      await files.load();
      await services.load();
      await mailboxTokens.load();
    },
  };
}

