/**
 * The worker's side (runs inside crypto.worker.ts): the identity's lifecycle and the Engine.
 *
 * - `status()` opens an identity stored without a passphrase at once; a sealed one waits for
 *   `unlock`. One tab at a time runs the engine for a database (Web Locks); others see `busy`.
 * - The relay is resolved at every start (worker/relay-config.ts) and compared with the one
 *   pinned at creation: same keys, the URL may move; other keys are reported (`relayChanged`)
 *   and the pinned keys stay in use until the user trusts the new ones.
 * - Engine events are forwarded in order through one promise chain, so a file's history event
 *   is sent only after its bytes are stored (worker/idb.ts `files`).
 */
import { MessageType } from '@parley/generated';
import {
  Engine,
  fromHex,
  generateIdentity,
  identityFromSeed,
  pickBackend,
  toHex,
  wipe,
  type CryptoBackend,
  type Identity,
  type Transport,
} from '@parley/runtime';
import { ObjectShelf, STORES } from './idb.ts';
import { IdbStore } from './idb-store.ts';
import type { CreateOptions, HistoryItem, IdentityStatus, RelayInfo, StoredFile, WorkerEvent } from '../messages/protocol.ts';
import { resolveRelay, sameEndpoints, sameRelayKeys, type RelayEnv } from './relay-config.ts';
import { GatedTransport } from './transport.ts';
import { SCRYPT_PARAMS, VaultError, checkNewPassphrase, openSeed, sealSeed, type IdentityRecord, type ScryptParams } from './vault.ts';

const IDENTITY_KEY = 'identity';
/** Message types kept in history by the engine; everything else reaches the UI as `signal`. */
const KEPT = new Set<number>([MessageType.text, MessageType.edit, MessageType.delete, MessageType.receipt, MessageType.fileOffer, MessageType.fileChunk, MessageType.fileCancel, MessageType.contactRequest, MessageType.contactAccept]);

export interface HostOptions {
  db: IDBDatabase;
  env: RelayEnv;
  /** The app's origin: well-known lookups and the base of invite links. */
  origin: string;
  emit: (e: WorkerEvent) => void;
  fetch?: typeof fetch;
  transport?: Transport;
  backend?: CryptoBackend;
  locks?: { request(name: string, o: { ifAvailable: boolean }, cb: (lock: unknown) => Promise<void>): Promise<unknown> };
  ranges?: typeof IDBKeyRange;
  scrypt?: ScryptParams;
}

export class Host {
  readonly o: HostOptions;
  readonly vault: ObjectShelf<IdentityRecord>;
  readonly files: ObjectShelf<StoredFile>;
  readonly transport: GatedTransport;
  engine: Engine | undefined;
  #identity: Identity | undefined;
  #record: IdentityRecord | undefined;
  #relayChanged: RelayInfo | undefined;
  #backend: CryptoBackend | undefined;
  #busy = false;
  #lockHeld: Promise<boolean> | undefined;
  #chain: Promise<void> = Promise.resolve();
  /** Outgoing files whose bytes wait for their fileId (name/size → bytes). */
  readonly #outgoing = new Map<string, StoredFile>();
  /** Received files' history records waiting for their bytes (contact/fileId → record). */
  readonly #held = new Map<string, HistoryItem>();

  constructor(o: HostOptions) {
    this.o = o;
    this.vault = new ObjectShelf(o.db, STORES.vault, o.ranges);
    this.files = new ObjectShelf(o.db, STORES.files, o.ranges);
    this.transport = new GatedTransport(o.transport);
  }

  async backend(): Promise<CryptoBackend> {
    return (this.#backend ??= this.o.backend ?? (await pickBackend()));
  }

  /** The running engine, or STOPPED. */
  need(): Engine {
    if (!this.engine) throw Object.assign(new Error('the identity is not open'), { name: 'EngineError', code: 'STOPPED' });
    return this.engine;
  }

  get identity(): Identity | undefined {
    return this.#identity;
  }

  async status(): Promise<IdentityStatus> {
    if (this.#busy) return { state: 'busy' };
    if (this.engine && this.#record) return this.#ready(this.#record);
    const rec = await this.vault.get(IDENTITY_KEY);
    if (!rec) return { state: 'none' };
    if (rec.protection) return { state: 'locked', name: rec.name, id: rec.id };
    if (!(rec.seed instanceof Uint8Array)) throw new VaultError('CORRUPT_VAULT', 'the stored identity has no seed');
    const identity = await identityFromSeed(await this.backend(), rec.seed);
    return this.#start(rec, identity);
  }

  async create(o: CreateOptions): Promise<IdentityStatus> {
    if (await this.vault.get(IDENTITY_KEY)) throw new Error('an identity exists already');
    // Before any key or network work. An empty passphrase is refused, not read as "none".
    if (o.passphrase !== undefined) checkNewPassphrase(o.passphrase);
    const name = (o.name ?? '').trim();
    const backend = await this.backend();
    const relay = await resolveRelay(this.o.env, this.o.origin, this.o.fetch);
    const identity = await generateIdentity(backend);
    const pub = { x: identity.x, ed: identity.ed };
    const rec: IdentityRecord = { v: 1, name, x: toHex(identity.x), ed: toHex(identity.ed), id: toHex(identity.id), relay, createdAt: Date.now() };
    if (o.passphrase !== undefined) rec.protection = await sealSeed(backend, identity.seed, o.passphrase, pub, this.o.scrypt ?? SCRYPT_PARAMS);
    else rec.seed = identity.seed.slice();
    await this.vault.put(IDENTITY_KEY, rec);
    return this.#start(rec, identity);
  }

  async unlock(passphrase: string): Promise<IdentityStatus> {
    if (this.engine) return this.status();
    const rec = await this.vault.get(IDENTITY_KEY);
    if (!rec?.protection) throw new VaultError('CORRUPT_VAULT', 'no locked identity');
    const backend = await this.backend();
    const seed = await openSeed(backend, rec.protection, passphrase, { x: fromHex(rec.x), ed: fromHex(rec.ed) });
    try {
      return await this.#start(rec, await identityFromSeed(backend, seed));
    } finally {
      wipe(seed);
    }
  }

  /** Pins the keys the relay publishes now (after the user saw the warning) and reconnects. */
  async trustRelay(): Promise<IdentityStatus> {
    const fresh = this.#relayChanged;
    const rec = this.#record;
    if (!fresh || !rec || !this.#identity) return this.status();
    rec.relay = fresh;
    await this.vault.put(IDENTITY_KEY, rec);
    await this.engine?.stop();
    this.engine = undefined;
    this.#relayChanged = undefined;
    return this.#start(rec, this.#identity);
  }

  async #start(rec: IdentityRecord, identity: Identity): Promise<IdentityStatus> {
    if (!(await this.#lock())) {
      this.#busy = true;
      return { state: 'busy' };
    }
    let relay = rec.relay;
    try {
      const fresh = await resolveRelay(this.o.env, this.o.origin, this.o.fetch);
      if (sameRelayKeys(fresh, rec.relay)) {
        relay = fresh;
        // the URL may move and nodes come and go; the keys are what is pinned
        if (fresh.url !== rec.relay.url || !sameEndpoints(fresh, rec.relay)) {
          rec.relay = fresh;
          await this.vault.put(IDENTITY_KEY, rec);
        }
      } else this.#relayChanged = fresh;
    } catch {
      relay = { ...rec.relay, source: 'stored' }; // offline: the pinned relay
    }
    const store = await IdbStore.open(this.o.db, this.o.ranges ? { ranges: this.o.ranges } : {});
    const engine = new Engine({
      identity,
      relay: { url: relay.url, endpoints: relay.endpoints, x: fromHex(relay.x), ed: fromHex(relay.ed) },
      store,
      transport: this.transport,
      backend: await this.backend(),
      displayName: rec.name,
      linkBase: new URL('/', this.o.origin).href,
      holdReceivedFiles: true, // released once the bytes are on the files shelf
    });
    this.#wire(engine);
    await engine.start();
    this.engine = engine;
    this.#identity = identity;
    this.#record = { ...rec, relay };
    return this.#ready(this.#record);
  }

  #ready(rec: IdentityRecord): IdentityStatus {
    return { state: 'ready', name: rec.name, id: rec.id, key: rec.x, relay: rec.relay, protected: rec.protection !== undefined, ...(this.#relayChanged ? { relayChanged: this.#relayChanged } : {}) };
  }

  /** Holds the per-database Web Lock for the worker's lifetime; false if another tab has it. */
  #lock(): Promise<boolean> {
    const locks = this.o.locks;
    if (!locks) return Promise.resolve(true);
    return (this.#lockHeld ??= new Promise<boolean>((resolve) => {
      void locks.request(`parley-engine:${this.o.db.name}`, { ifAvailable: true }, (lock) => {
        resolve(lock !== null);
        return lock === null ? Promise.resolve() : new Promise<void>(() => {});
      });
    }));
  }

  /** Remembers the bytes of a file about to be sent, until its history record names the fileId. */
  expectOutgoing(file: StoredFile): void {
    this.#outgoing.set(`${file.name}/${file.bytes.length}`, file);
  }

  /** Runs `fn` after every event forwarded so far (keeps the UI's view in order). */
  enqueue(fn: () => void | Promise<void>): void {
    this.#chain = this.#chain.then(fn).catch((err) => this.o.emit({ event: 'error', data: { context: 'event', message: String((err as Error)?.message ?? err) } }));
  }

  contactsChanged(): void {
    this.enqueue(() => {
      if (this.engine) this.o.emit({ event: 'contacts', data: this.engine.contacts() });
    });
  }

  /**
   * Forwards a history record to the UI, in event order. A received file's record waits until its
   * bytes are on the shelf (the 'file' event): a view that saw 'received' first would load nothing
   * and never retry.
   */
  #publishHistory(item: HistoryItem): void {
    this.enqueue(async () => {
      const f = item.file;
      const key = f && `${item.contact}/${f.fileId}`;
      if (f && item.dir === 'in' && f.state === 'received' && !(await this.files.has(key!))) {
        this.#held.set(key!, item); // sent once the bytes are stored ('file')
        return;
      }
      if (f && item.dir === 'out' && this.#outgoing.has(`${f.name}/${f.size}`)) {
        await this.files.put(key!, this.#outgoing.get(`${f.name}/${f.size}`)!);
        this.#outgoing.delete(`${f.name}/${f.size}`);
      }
      if (f && item.deleted) await this.files.delete(key!);
      this.o.emit({ event: 'history', data: item });
    });
  }

  /**
   * A record as the UI may see it when read directly: a received file whose bytes are not on the
   * shelf yet is still receiving (its 'received' record follows through publishHistory).
   */
  async asShown(item: HistoryItem): Promise<HistoryItem> {
    const f = item.file;
    if (!f || item.dir !== 'in' || f.state !== 'received' || (await this.files.has(`${item.contact}/${f.fileId}`))) return item;
    return { ...item, file: { ...f, state: 'receiving' } };
  }

  #wire(engine: Engine): void {
    const emit = this.o.emit;
    engine.on('state', (s) => this.enqueue(() => emit({ event: 'state', data: s })));
    engine.on('synced', (s) => this.enqueue(() => emit({ event: 'synced', data: s })));
    engine.on('wake-tag', (t) => this.enqueue(() => emit({ event: 'wake-tag', data: { tag: toHex(t.tag) } })));
    engine.on('history', ({ item }) => this.#publishHistory(item));
    engine.on('file', (f) =>
      this.enqueue(async () => {
        const key = `${f.contact}/${f.fileId}`;
        await this.files.put(key, { name: f.name, mime: f.mime, bytes: f.bytes! }); // not streamed (no streamReceivedFiles)
        // not released (engine stopping): emitted again at the next start; the put is idempotent
        await engine.releaseFile(f.contact, f.fileId).catch(() => undefined);
        const item = this.#held.get(key);
        this.#held.delete(key);
        if (item) emit({ event: 'history', data: item });
      }),
    );
    engine.on('delivered', (d) => this.enqueue(() => emit({ event: 'delivered', data: { contact: d.contact, ids: [...d.ids] } })));
    engine.on('file-progress', (p) => this.enqueue(() => emit({ event: 'progress', data: p })));
    engine.on('file-failed', (f) => this.enqueue(() => emit({ event: 'file-failed', data: f })));
    engine.on('message', (m) => {
      if (m.type === MessageType.text || m.type === MessageType.fileOffer) {
        this.enqueue(() => emit({ event: 'incoming', data: { contact: m.contact.key, name: m.contact.name, silent: m.silent } }));
      } else if (!KEPT.has(m.type)) {
        const message = { type: m.type, body: m.body } as WorkerEventSignal['message'];
        this.enqueue(() => emit({ event: 'signal', data: { contact: m.contact.key, id: m.id, sentAt: m.sentAt, message } }));
      }
    });
    engine.on('contact-request', (r) => {
      this.enqueue(() => emit({ event: 'contact-request', data: r }));
      this.contactsChanged();
    });
    engine.on('key-change', (k) => {
      this.enqueue(() => emit({ event: 'key-change', data: k }));
      this.contactsChanged();
    });
    engine.on('contact-accepted', () => this.contactsChanged());
    engine.on('contact-request-expired', () => this.contactsChanged());
    // v2 sessions: a contact's protection changed (upgrade, reset), or its session was reset
    engine.on('protection', () => this.contactsChanged());
    engine.on('session-reset', (r) => {
      this.enqueue(() => emit({ event: 'session-reset', data: { contact: r.contact, by: r.by } }));
      this.contactsChanged();
    });
    engine.on('error', ({ error, context }) => this.enqueue(() => emit({ event: 'error', data: { context, message: String((error as Error)?.message ?? error) } })));
  }
}

type WorkerEventSignal = Extract<WorkerEvent, { event: 'signal' }>['data'];
