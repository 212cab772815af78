/**
 * The notifier's wiring: an ordinary relay peer (the runtime's Engine, FileStore and ws
 * transport) with its own identity, the registration store, the push senders and the WAKE
 * handler, plus the housekeeping sweep. It never registers a wake tag of its own.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Engine, type IncomingMessage } from '@parley/runtime';
import { FileStore, NodeWsTransport, killPointStore, parseKillPoint } from '@parley/runtime/node';
import type { Store } from '@parley/runtime/engine';
import type { DestinationStream } from 'pino';
import { requireRun, type NotifierConfig } from './config.ts';
import { ConfigError } from './errors.ts';
import { FcmSender, loadServiceAccount } from './fcm.ts';
import { InvitePublisher, type InviteSlot } from './invites.ts';
import { loadKeys, publicInfo, type NotifierKeys } from './keys.ts';
import { createLogger, ref, type Logger } from './logger.ts';
import { WakeLimiter } from './ratelimit.ts';
import { signUpsPerDay } from './limits.ts';
import { Registrar, type Verdict } from './registrar.ts';
import { RegistrationStore } from './registrations.ts';
import { makeRoom } from './senders.ts';
import { WakeHandler, type WakeStats } from './wake.ts';
import { WebPushSender } from './webpush.ts';

/** How often registrations, idle senders, limiter entries and the invite are looked at. */
const SWEEP_INTERVAL_MS = 60_000;

export interface StartOptions {
  /** Keys to use instead of reading the key files (tests). */
  keys?: NotifierKeys;
  /** Where JSON log lines go (default stdout). */
  logDestination?: DestinationStream;
  /** fsync the registration store and the engine store (default true). */
  fsync?: boolean;
  /** Clock (default Date.now). */
  now?: () => number;
}

export interface RunningNotifier {
  /** Hex of the notifier's id (the relay's NOTIFIER_ID takes it, or the full `x`). */
  id: string;
  publicKeys: { x: string; ed: string };
  vapidPublicKey: string;
  /** The invites published now (clients pick one at random), and when they expire. */
  invites(): InviteSlot[];
  engine: Engine;
  store: RegistrationStore;
  stats: WakeStats;
  log: Logger;
  /** Resolves once no push is waiting or in flight. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function startNotifier(config: NotifierConfig, o: StartOptions = {}): Promise<RunningNotifier> {
  requireRun(config);
  const now = o.now ?? Date.now;
  const L = config.limits;
  const log = createLogger(config.logLevel, o.logDestination);
  const keys = o.keys ?? (await loadKeys(config));
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = RegistrationStore.open(config.dataDir, { maxRegistrations: L.maxRegistrations, maxPerSender: L.maxRegistrationsPerSender, fsync: o.fsync });
  const webpush = new WebPushSender({ vapid: keys.vapid, subject: config.vapidSubject, origins: config.webPushOrigins, timeoutMs: L.pushTimeoutMs, messageTtlS: L.messageTtlS, callTtlS: L.callTtlS });
  const fcm = config.fcm
    ? new FcmSender({ account: await loadServiceAccount(config.fcm.serviceAccountFile), endpoint: config.fcm.endpoint, tokenUri: config.fcm.tokenUri, timeoutMs: L.pushTimeoutMs, messageTtlS: L.messageTtlS, callTtlS: L.callTtlS, now })
    : undefined;
  const limiter = new WakeLimiter(L, now);
  const wake = new WakeHandler({ store, limiter, webpush, fcm, limits: L, log });
  const registrar = new Registrar({ store, limiter, endpointAllowed: (e) => webpush.allowed(e), fcmEnabled: fcm !== undefined, log, now });

  /**
   * A registration is written to its store before the engine records the message (its replay
   * entry and the sender's new ratchet state, one batch) and acknowledges it: a kill between the
   * two leaves the registration stored and the message key unused, and the sender's resend
   * registers again (idempotent); a store failure throws, so nothing is recorded or acknowledged.
   */
  const verdicts = new Map<string, Verdict>();
  /** Senders being removed: a message of theirs still in the engine's lane must not mark them seen again. */
  const removing = new Set<string>();
  const engine = new Engine({
    identity: keys.identity,
    relay: config.relay,
    store: withKillPoint(await FileStore.open(join(config.dataDir, 'engine'), { fsync: o.fsync ?? true })),
    transport: new NodeWsTransport(),
    displayName: 'Parley notifier',
    autoAccept: true,
    beforeRecord: (m) => {
      if (!removing.has(m.contact.key)) verdicts.set(m.id, registrar.onMessage(m));
    },
    registerWake: false,
    now,
  });
  const info = publicInfo(keys);
  const invites = new InvitePublisher({
    dataDir: config.dataDir,
    publishFile: config.publishFile,
    // what registrations it takes, so clients see a refusal before they register (client.ts checkRegistration)
    info: { ...info, webPushOrigins: [...config.webPushOrigins], fcm: fcm !== undefined },
    createInvite: (io) => engine.createInvite(io),
    revokeInvite: (id) => engine.revokeInvite(id),
    count: L.invites,
    maxUses: L.inviteMaxUses,
    ttlS: L.inviteTtlS,
    now,
    log,
  });

  const removeSender = (key: string, why: string) => {
    if (removing.has(key)) return;
    removing.add(key);
    store.forgetSender(key);
    engine
      .removeContact(key)
      .catch((e: unknown) => log.error({ sender_ref: ref(key), err: (e as Error).message }, 'cannot remove a sender'))
      .finally(() => removing.delete(key));
    log.info({ sender_ref: ref(key), why }, 'sender removed');
  };
  /** Keeps the senders within maxSenders (senders.ts); true if `newcomer` was refused. */
  const capSenders = (newcomer?: string): boolean => {
    const room = makeRoom({
      senders: engine.contacts(),
      max: L.maxSenders,
      registrations: (k) => store.registrationsOf(k),
      lastSeen: (k) => store.lastSeen(k),
      removing,
      ...(newcomer !== undefined ? { newcomer } : {}),
    });
    for (const k of room.evict) removeSender(k, 'at the sender limit: the longest idle sender without a registration');
    if (room.refuse) {
      log.warn({ max_senders: L.maxSenders }, 'at the sender limit and every sender holds a registration: a new sender is refused');
      removeSender(newcomer!, 'refused at the sender limit');
    }
    return room.refuse;
  };
  const guard = <T>(what: string, f: (v: T) => void) => (v: T) => {
    try {
      f(v);
    } catch (e) {
      log.error({ err: (e as Error).message }, `${what} failed`);
    }
  };
  const offs = [
    engine.on('wake', guard('wake', (w) => wake.onWake(w.tag, w.reason))),
    engine.on('message', guard('message', (m: IncomingMessage) => {
      const verdict = verdicts.get(m.id);
      verdicts.delete(m.id);
      if (verdict === 'abuse') removeSender(m.contact.key, 'sent a message a notifier does not take');
    })),
    engine.on('file-progress', guard('file', (f) => {
      if (f.direction === 'in') removeSender(f.contact, 'sent a file');
    })),
    // a request the engine did not accept by itself: it claims the id of another sender
    engine.on('contact-request', guard('request', (r) => void engine.rejectContact(r.contact.key).catch(() => undefined))),
    engine.on('contact-accepted', guard('accepted', (a) => {
      void invites.accepted().catch((e: unknown) => log.error({ err: (e as Error).message }, 'cannot update the invites'));
      if (!capSenders(a.contact.key)) store.seen(a.contact.key, now());
    })),
    engine.on('state', (s) => log.info({ state: s.state, ...('reason' in s ? { reason: s.reason } : {}) }, 'relay connection')),
    engine.on('error', ({ error, context }) => log.error({ context, err: (error as Error)?.message }, 'engine error')),
  ];

  const sweep = async () => {
    const t = now();
    for (const r of store.expire(t - L.registrationTtlMs)) limiter.forget(r.tag);
    limiter.sweep();
    const held = new Map(store.senders().map((s) => [s.owner, s.registrations]));
    for (const c of engine.contacts()) {
      const seen = Math.max(store.lastSeen(c.key) ?? 0, c.createdAt);
      if ((held.get(c.key) ?? 0) === 0 && t - seen > L.senderTtlMs) removeSender(c.key, 'idle');
    }
    capSenders(); // a lowered NOTIFIER_MAX_SENDERS takes effect
    await invites.refresh();
  };

  if (signUpsPerDay(L.invites) < L.maxRegistrations) {
    log.warn({ invites: L.invites, sign_ups_per_day: signUpsPerDay(L.invites), max_registrations: L.maxRegistrations }, 'NOTIFIER_INVITES takes fewer sign-ups a day than NOTIFIER_MAX_REGISTRATIONS: devices will wait to register');
  }
  if (L.maxSenders <= L.maxRegistrations) {
    log.warn({ max_senders: L.maxSenders, max_registrations: L.maxRegistrations }, 'NOTIFIER_MAX_SENDERS is not above NOTIFIER_MAX_REGISTRATIONS: new senders may be refused');
  }
  try {
    await engine.start();
    capSenders();
    await invites.refresh();
  } catch (e) {
    for (const off of offs) off();
    await engine.stop().catch(() => undefined);
    store.close();
    throw e;
  }
  const timer = setInterval(() => void sweep().catch((e: unknown) => log.error({ err: (e as Error).message }, 'sweep failed')), SWEEP_INTERVAL_MS);
  timer.unref();
  log.info({ registrations: store.size, webpush_origins: config.webPushOrigins.length, fcm: fcm !== undefined }, 'notifier started');

  let closed: Promise<void> | undefined;
  return {
    id: info.id,
    publicKeys: { x: info.x, ed: info.ed },
    vapidPublicKey: info.vapidPublicKey,
    invites: () => invites.current,
    engine,
    store,
    stats: wake.stats,
    log,
    idle: () => wake.idle(),
    close: () =>
      (closed ??= (async () => {
        clearInterval(timer);
        for (const off of offs) off();
        await engine.stop();
        await wake.idle();
        store.close();
      })()),
  };
}

/** Crash tests only: NOTIFIER_TEST_KILL_AT_WRITE=<n>:before|after SIGKILLs the process at the engine store's n-th write. */
export const KILL_AT_WRITE_ENV = 'NOTIFIER_TEST_KILL_AT_WRITE';

function withKillPoint(store: Store, env: NodeJS.ProcessEnv = process.env): Store {
  const spec = env[KILL_AT_WRITE_ENV];
  if (spec === undefined) return store;
  const point = parseKillPoint(spec);
  if (!point) throw new ConfigError(KILL_AT_WRITE_ENV, `must be <n>:before or <n>:after (n from 1), not "${spec}"`);
  return killPointStore(store, point);
}
