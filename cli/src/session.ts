/**
 * One engine over the home folder: lock, identity, pinned relay, FileStore, and (when online)
 * the `ws` transport. Every online session saves received files into the downloads folder,
 * whatever command runs, because the engine hands a file's bytes over only once.
 */
import { fromHex } from '@parley/runtime/crypto';
import { Engine, type ConnectionState, type EngineEvents, type ReceivedFile, type Socket, type Transport } from '@parley/runtime/engine';
import { FileBlobs, FileStore, NodeWsTransport } from '@parley/runtime/node';
import type { Identity } from '@parley/runtime/protocol';
import { RelayUnreachableError, TimeoutError, WrongRelayKeyError, classify } from './errors.ts';
import { BLOBS_DIR, STATE_DIR, type Config, type Home } from './home.ts';
import { saveDownload } from './downloads.ts';
import { Inbox } from './inbox.ts';
import { ENDPOINTS_REFRESH_CLOSE_GRACE_MS, refreshedEndpoints } from './relay-config.ts';
import { EarlyEvents } from './early-events.ts';
import { withKillPoint } from './crash-seam.ts';

/** A transport that never connects: commands that only read or change local state. */
class OfflineTransport implements Transport {
  connect(): Promise<Socket> {
    return new Promise<Socket>(() => undefined);
  }
}

export interface SavedFile {
  file: ReceivedFile;
  path?: string;
  error?: string;
}

export interface SessionOptions {
  home: Home;
  /** Connect to the relay (false: local state only). */
  online: boolean;
  downloads: string;
}

export class Session {
  readonly engine: Engine;
  readonly identity: Identity;
  readonly config: Config;
  readonly home: Home;
  readonly inbox: Inbox;
  readonly downloads: string;
  readonly #store: FileStore;
  readonly #release: () => Promise<void>;
  /** The background refresh of the relay's endpoints (online sessions): stopped and awaited by close(). */
  #refresh: { abort: AbortController; done: Promise<void> } | undefined;
  readonly #saving = new Set<Promise<unknown>>();
  readonly #fileListeners = new Set<(f: SavedFile) => void>();
  /** What the engine reported before a reader listened (events.ts watch replays it). */
  readonly early: EarlyEvents;
  #closed = false;
  #synced = false;
  readonly #syncWaiters: (() => void)[] = [];

  private constructor(o: SessionOptions, engine: Engine, identity: Identity, config: Config, store: FileStore, inbox: Inbox, release: () => Promise<void>) {
    this.engine = engine;
    this.identity = identity;
    this.config = config;
    this.home = o.home;
    this.inbox = inbox;
    this.downloads = o.downloads;
    this.#store = store;
    this.#release = release;
    this.early = new EarlyEvents(engine);
    engine.on('file', (f) => this.#save(f));
    engine.on('state', (st) => {
      if (st.state !== 'online') this.#synced = false;
    });
    engine.on('synced', () => {
      this.#synced = true;
      for (const w of this.#syncWaiters.splice(0)) w();
    });
  }

  static async open(o: SessionOptions): Promise<Session> {
    const { identity, config } = await o.home.load();
    const release = await o.home.lock();
    try {
      // WSCHAT_FSYNC=0 (tests only) skips fsync: faster on a busy disk, but a crash may lose the last writes
      const fsync = process.env.WSCHAT_FSYNC !== '0';
      const store = await FileStore.open(o.home.path(STATE_DIR), { fsync });
      // part files of incoming transfers and spooled copies of outgoing ones, beside the store
      const blobs = await FileBlobs.open(o.home.path(BLOBS_DIR), { fsync });
      const engine = new Engine({
        identity,
        relay: { url: config.relay.url, endpoints: config.relay.endpoints, x: fromHex(config.relay.x), ed: fromHex(config.relay.ed) },
        // the store as it is, unless a crash test set WSCHAT_TEST_KILL_AT_WRITE (crash-seam.ts)
        store: withKillPoint(store),
        transport: o.online ? new NodeWsTransport() : new OfflineTransport(),
        displayName: config.name,
        holdReceivedFiles: true, // released once the file is in the downloads folder
        streamReceivedFiles: true, // copied from the part file in chunks: never whole in memory
        blobs,
      });
      const inbox = await Inbox.load(o.home);
      const session = new Session(o, engine, identity, config, store, inbox, release);
      session.#blobs = blobs;
      await engine.start();
      if (o.online) session.#refreshEndpoints(o.home);
      return session;
    } catch (err) {
      await release();
      throw err;
    }
  }

  /**
   * Nodes of a relay come and go: the endpoints its well-known document lists now replace the
   * pinned ones in config.json (same keys only), for the next command. In the background, so
   * no command waits for it; this session keeps the list it started with.
   */
  #refreshEndpoints(home: Home): void {
    const abort = new AbortController();
    const done = refreshedEndpoints(this.config.relay, { signal: abort.signal })
      .then(async (relay) => {
        if (relay && !abort.signal.aborted) await home.saveConfig({ ...this.config, relay });
      })
      .catch(() => undefined);
    this.#refresh = { abort, done };
  }

  /**
   * A short command (`requests list`) is often done before the refresh's fetch is: cutting it
   * off at once would mean such commands never keep a new node list. It gets up to
   * ENDPOINTS_REFRESH_CLOSE_GRACE_MS more, then is aborted (its own timeout is longer).
   */
  async #endRefresh(): Promise<void> {
    const r = this.#refresh;
    if (!r) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([r.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, ENDPOINTS_REFRESH_CLOSE_GRACE_MS)))]);
    clearTimeout(timer);
    r.abort.abort();
    await r.done;
  }

  /** Called with every received file once it is saved (or failed to save). */
  onFile(listener: (f: SavedFile) => void): () => void {
    this.#fileListeners.add(listener);
    return () => this.#fileListeners.delete(listener);
  }

  #save(file: ReceivedFile): void {
    // Emitted again after a restart if it was not released: one already saved is not saved twice.
    const already = this.inbox.savedPath(file.id);
    const p = (already !== undefined ? Promise.resolve(already) : saveDownload(this.downloads, file.name, file))
      .then(async (path) => {
        this.inbox.saved(file.id, path);
        // not released (engine stopping): emitted again at the next start, and not saved twice
        await this.engine.releaseFile(file.contact, file.fileId).catch(() => undefined);
        return { file, path };
      })
      .catch((err: unknown) => ({ file, error: classify(err).message }))
      .then((r: SavedFile) => {
        for (const l of this.#fileListeners) l(r);
      });
    this.#saving.add(p);
    void p.finally(() => this.#saving.delete(p));
  }

  /**
   * Waits until the relay session is up. A handshake that fails with BAD_RELAY (the relay does
   * not hold the pinned keys) fails at once; anything else is retried until the timeout.
   */
  waitOnline(timeoutMs: number): Promise<void> {
    const engine = this.engine;
    if (engine.state.state === 'online') return Promise.resolve();
    return new Promise((resolve, reject) => {
      let last: ConnectionState | undefined;
      const done = (err?: Error): void => {
        clearTimeout(timer);
        off();
        if (err) reject(err);
        else resolve();
      };
      const off = engine.on('state', (s) => {
        last = s;
        if (s.state === 'online') done();
        // one node of several with other keys (a misconfigured node) is skipped; the last one is not
        else if (s.state === 'offline' && s.error?.code === 'BAD_RELAY' && s.failover === undefined) {
          done(new WrongRelayKeyError(`wrong relay key: ${this.config.relay.url} does not hold the pinned keys (fingerprint ${this.config.relay.fingerprint})`));
        }
      });
      const timer = setTimeout(() => {
        const why = last?.state === 'offline' ? (last.error?.message ?? last.reason) : 'no answer';
        const where = this.config.relay.endpoints && this.config.relay.endpoints.length > 1 ? `${this.config.relay.endpoints.length} relay endpoints, last ${last?.state === 'offline' ? (last.endpoint ?? this.config.relay.url) : this.config.relay.url}` : this.config.relay.url;
        done(new RelayUnreachableError(`relay unreachable: ${where} (${why})`));
      }, timeoutMs);
    });
  }

  /**
   * Waits until the relay delivered what it held for us (control MAILBOX_DRAINED), so that
   * requests and messages that arrived while we were away are stored. Gives up quietly after
   * `timeoutMs`: the command goes on with what it has.
   */
  async waitSynced(timeoutMs: number): Promise<void> {
    if (this.#synced) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#syncWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The next `event` that passes `filter`, or TimeoutError after `timeoutMs`. */
  wait<K extends keyof EngineEvents>(event: K, filter: (v: EngineEvents[K]) => boolean, timeoutMs: number, what: string): Promise<EngineEvents[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new TimeoutError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting until ${what}`));
      }, timeoutMs);
      const off = this.engine.on(event, (v) => {
        if (!filter(v)) return;
        clearTimeout(timer);
        off();
        resolve(v);
      });
    });
  }

  /** Waits for pending file saves, writes the inbox, stops the engine and unlocks the folder. */
  #blobs: FileBlobs | undefined;

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#endRefresh();
      await Promise.allSettled([...this.#saving]);
      await this.engine.stop();
      await this.inbox.flush(this.engine).catch(() => undefined);
      await this.#store.close();
      await this.#blobs?.close();
    } finally {
      await this.#release();
    }
  }
}
