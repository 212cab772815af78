/**
 * The push identity (worker side; notifier/README.md "Client integration").
 *
 * The device registers its push subscription (or FCM token) with the notifier from a second
 * identity that only ever talks to the notifier, so the notifier never learns the messaging id.
 * It lives in its own IndexedDB database (`<db>-push`: the engine's store in `kv`, the seed and
 * the last registration in `vault`) and runs its own Engine (`registerWake: false`) only while it
 * registers: add the notifier through its invite if needed, send push_register_*, wait for the
 * notifier's `delivered` receipt (it stores the registration before acknowledging), stop.
 *
 * - The registration carries the messaging engine's current wake tag. After the tag rotated,
 *   the UI asks for `fresh`: a new push identity (its old state is wiped) with a new
 *   subscription, so the notifier cannot link the device's wakes across rotations
 *   (spec/THREAT-MODEL.md "The notifier"). The old registration is not unregistered (that would
 *   link it to the new identity); its tag is no longer registered with the relay, its endpoint
 *   was unsubscribed, and the notifier forgets it after NOTIFIER_REGISTRATION_TTL_MS.
 * - Without `fresh`, a changed tag is sent with `replaces` (the old tag is unregistered).
 * - No receipt within `timeoutMs` while online: the notifier may have forgotten this sender;
 *   remove it and register once more through an invite (README step 6).
 * - A registration the notifier's published policy refuses (notifier.json `webPushOrigins`,
 *   `fcm`) throws NotifierError REFUSED before anything changes: the notifier would acknowledge
 *   and drop it (the protocol has no refusal reply), and push would look on but never come.
 */
import { buildFcmRegistration, buildUnregister, buildWebPushRegistration, checkRegistration, registerWithNotifier, type NotifierInfo } from '@parley/notifier/client';
import { Engine, fromHex, generateIdentity, identityFromSeed, toHex, type Identity } from '@parley/runtime';
import { ObjectShelf, STORES, openDatabase } from './idb.ts';
import { IdbStore } from './idb-store.ts';
import type { Host } from './host.ts';
import { PushError, type PushState, type PushTarget } from '../shared/push-config.ts';

const RECORD = 'push';
/** How long to wait for the notifier's `delivered` receipt (README step 6: a minute). */
export const DELIVERY_TIMEOUT_MS = 60_000;

interface PushRecord {
  v: 1;
  seed: Uint8Array;
  registered?: { tag: string; target: PushTarget; at: number; notifier: string };
}

export interface PushAgentOptions {
  factory?: IDBFactory;
  timeoutMs?: number;
  now?: () => number;
}

export class PushAgent {
  readonly #host: Host;
  readonly #o: PushAgentOptions;
  #db: Promise<IDBDatabase> | undefined;
  #serial: Promise<unknown> = Promise.resolve();

  constructor(host: Host, o: PushAgentOptions = {}) {
    this.#host = host;
    this.#o = o;
  }

  async state(): Promise<PushState> {
    const rec = await (await this.#vault()).get(RECORD);
    const wake = this.#host.engine?.wakeTag;
    return { ...(wake ? { tag: toHex(wake.tag) } : {}), ...(rec?.registered ? { registered: strip(rec.registered) } : {}) };
  }

  /** Registers `target` for the current wake tag; resolves once the notifier stored it. */
  register(o: { info: NotifierInfo; target: PushTarget; fresh?: boolean }): Promise<PushState> {
    return this.#one(async () => {
      const wake = this.#host.need().wakeTag;
      if (!wake) throw new PushError('NOT_READY', 'the messaging engine has no wake tag yet');
      const body = o.target.kind === 'webpush' ? buildWebPushRegistration({ endpoint: o.target.endpoint, keys: { p256dh: o.target.p256dh, auth: o.target.auth } }, wake.tag) : buildFcmRegistration(o.target.token, wake.tag);
      checkRegistration(o.info, body); // NotifierError REFUSED before a push identity is made or replaced
      const vault = await this.#vault();
      let rec = await vault.get(RECORD);
      if (!rec || o.fresh) rec = await this.#freshIdentity();
      const tag = toHex(wake.tag);
      const old = rec.registered?.notifier === o.info.x && rec.registered.tag !== tag ? fromHex(rec.registered.tag) : undefined;
      await this.#withEngine(rec, async (engine, delivered) => {
        let id = await registerWithNotifier(engine, o.info, body, old ? { replaces: old } : {});
        if (await delivered(id)) return;
        if (engine.state.state !== 'online') throw new PushError('TIMEOUT', 'the notifier did not answer (offline); the registration stays queued');
        await engine.removeContact(o.info.x); // forgotten by the notifier: reach it again through the invite
        id = await registerWithNotifier(engine, o.info, body);
        if (!(await delivered(id))) throw new PushError('TIMEOUT', 'the notifier did not acknowledge the registration');
      });
      rec.registered = { tag, target: o.target, at: (this.#o.now ?? Date.now)(), notifier: o.info.x };
      await vault.put(RECORD, rec);
      return this.state();
    });
  }

  /** Unregisters the current registration (best effort: the notifier expires it anyway) and forgets the push identity. */
  unregister(): Promise<PushState> {
    return this.#one(async () => {
      const vault = await this.#vault();
      const rec = await vault.get(RECORD);
      const reg = rec?.registered;
      if (rec && reg && this.#host.engine) {
        await this.#withEngine(rec, async (engine, delivered) => {
          if (engine.contact(reg.notifier)) await delivered(await engine.sendRaw(reg.notifier, buildUnregister(fromHex(reg.tag))));
        }).catch(() => undefined);
      }
      await this.#wipe();
      return this.state();
    });
  }

  async #freshIdentity(): Promise<PushRecord> {
    await this.#wipe();
    const identity = await generateIdentity(await this.#host.backend());
    const rec: PushRecord = { v: 1, seed: identity.seed.slice() };
    await (await this.#vault()).put(RECORD, rec);
    return rec;
  }

  async #wipe(): Promise<void> {
    const db = await this.#database();
    await new ObjectShelf(db, STORES.kv, this.#host.o.ranges).deletePrefix('');
    await new ObjectShelf(db, STORES.vault, this.#host.o.ranges).delete(RECORD);
  }

  /** Runs `fn` on the push identity's engine, started for it and stopped after. */
  async #withEngine(rec: PushRecord, fn: (engine: Engine, delivered: (id: string) => Promise<boolean>) => Promise<void>): Promise<void> {
    const host = this.#host;
    const status = await host.status();
    if (status.state !== 'ready') throw new PushError('NOT_READY', 'the identity is not open');
    const backend = await host.backend();
    const identity: Identity = await identityFromSeed(backend, rec.seed);
    const store = await IdbStore.open(await this.#database(), host.o.ranges ? { ranges: host.o.ranges } : {});
    const engine = new Engine({
      identity,
      relay: { url: status.relay.url, endpoints: status.relay.endpoints, x: fromHex(status.relay.x), ed: fromHex(status.relay.ed) },
      store,
      transport: host.transport,
      backend,
      registerWake: false,
    });
    const acked = new Set<string>();
    const waiters = new Set<() => void>();
    engine.on('delivered', ({ ids }) => {
      for (const id of ids) acked.add(id);
      for (const w of waiters) w();
    });
    const timeoutMs = this.#o.timeoutMs ?? DELIVERY_TIMEOUT_MS;
    const delivered = (id: string) =>
      new Promise<boolean>((resolve) => {
        const check = () => {
          if (!acked.has(id)) return;
          finish(true);
        };
        const timer = setTimeout(() => finish(false), timeoutMs);
        const finish = (ok: boolean) => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(ok);
        };
        waiters.add(check);
        check();
      });
    await engine.start();
    try {
      await fn(engine, delivered);
    } finally {
      await engine.stop();
      await store.close();
    }
  }

  #database(): Promise<IDBDatabase> {
    return (this.#db ??= openDatabase(`${this.#host.o.db.name}-push`, this.#o.factory));
  }

  async #vault(): Promise<ObjectShelf<PushRecord>> {
    return new ObjectShelf<PushRecord>(await this.#database(), STORES.vault, this.#host.o.ranges);
  }

  #one<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#serial.then(fn, fn);
    this.#serial = p.catch(() => undefined);
    return p;
  }
}

function strip(r: NonNullable<PushRecord['registered']>): NonNullable<PushState['registered']> {
  return { tag: r.tag, target: r.target, at: r.at };
}
