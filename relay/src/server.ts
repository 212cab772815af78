/**
 * The relay: HTTP and WebSocket on one port. Owns the router, the mailboxes, the wake
 * registry, the per-address limits, the metrics and the periodic sweeps (ping and idle,
 * mailbox expiry), and routes frames between connections.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { existsSync, statSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Registry } from 'prom-client';
import type { RelayConfig, TurnConfig, NotifierRef } from './config.ts';
import { Connection, RelaySocket, State, holdWrites, type RelayContext } from './connection.ts';
import { WELL_KNOWN_PATH, createHttpHandler } from './http.ts';
import type { Limits } from './limits.ts';
import { type Logger, shortHash } from './logger.ts';
import { Mailboxes } from './mailbox.ts';
import { createMetrics, RelayStats } from './metrics.ts';
import { AddressLimiter, TokenBucket } from './ratelimit.ts';
import { Router } from './router.ts';
import type { ControlIn, RelayCrypto } from './session-port.ts';
import { turnCredentials } from './turn.ts';
import { WakeRegistry, type WakeKind } from './wake.ts';
import { CLOSE, CONTROL_CODE, ID_SIZE, PROTOCOL_VERSION } from './wire.ts';
import { buildWellKnown, type WellKnownDocument } from './runtime.ts';

export interface RelayServerOptions {
  config: RelayConfig;
  crypto: RelayCrypto;
  log: Logger;
  /** Register process-wide default metrics (event loop, memory). Off in tests running many relays. */
  defaultMetrics?: boolean;
}

const SWEEP_INTERVAL_MS = 60_000;

function destroySocket(this: Duplex): void {
  this.destroy();
}

export class RelayServer implements RelayContext {
  readonly limits: Limits;
  readonly stats = new RelayStats();
  readonly log: Logger;
  readonly crypto: RelayCrypto;
  readonly metrics: Registry;
  readonly router: Router<Connection>;
  readonly mailboxes: Mailboxes;
  readonly wake: WakeRegistry;
  readonly http: Server;
  readonly #wss: WebSocketServer;
  readonly #addresses: AddressLimiter;
  readonly #conns = new Set<Connection>();
  readonly #turn: TurnConfig | undefined;
  readonly #notifier: NotifierRef | undefined;
  #serial = 0;
  #timers: NodeJS.Timeout[] = [];
  #stopping = false;

  constructor(readonly opts: RelayServerOptions) {
    const { config } = opts;
    this.limits = config.limits;
    this.log = opts.log;
    this.crypto = opts.crypto;
    this.#turn = config.turn;
    this.#notifier = config.notifier;
    const L = this.limits;
    this.router = new Router(L.maxKeypairsPerId);
    this.mailboxes = new Mailboxes({
      maxFrames: L.mailboxMaxFrames,
      maxBytes: L.mailboxMaxBytes,
      ttlMs: L.mailboxTtlMs,
      globalMaxBytes: L.mailboxGlobalMaxBytes,
      senderShareDivisor: L.mailboxSenderShareDivisor,
      entryOverhead: L.mailboxEntryOverhead,
    });
    this.wake = new WakeRegistry(L);
    this.#addresses = new AddressLimiter(L.maxConnectionsPerAddress, L.handshakesPerAddressPerMinute, L.maxConnections);
    this.metrics = createMetrics(
      this.stats,
      {
        connections: () => {
          let session = 0;
          for (const c of this.#conns) if (c.state === State.Session) session++;
          return { handshake: this.#conns.size - session, session };
        },
        mailboxFrames: () => this.mailboxes.frames,
        mailboxBytes: () => this.mailboxes.bytes,
        mailboxes: () => this.mailboxes.mailboxes,
      },
      opts.defaultMetrics ?? false,
    );
    const webRoot = existsSync(config.webRoot) && statSync(config.webRoot).isDirectory() ? config.webRoot : undefined;
    this.http = createServer(
      createHttpHandler({
        webRoot,
        notifierJson: config.notifierJson,
        wellKnown: (req) => this.wellKnown(req),
        metrics: this.metrics,
        healthy: () => !this.#stopping,
      }),
    );
    this.#wss = new WebSocketServer({
      noServer: true,
      WebSocket: RelaySocket,
      maxPayload: L.maxFrameSize,
      perMessageDeflate: false,
      clientTracking: false,
      skipUTF8Validation: true,
    });
    this.http.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head));
    this.http.headersTimeout = 10_000;
    this.http.requestTimeout = 30_000;
  }

  /** The document at /.well-known/parley.json (spec documents.well_known). */
  wellKnown(req: IncomingMessage): WellKnownDocument {
    const proto = req.headers['x-forwarded-proto'] === 'https' ? 'wss' : 'ws';
    const host = req.headers.host ?? `${this.opts.config.host}:${this.port}`;
    return buildWellKnown({ url: this.opts.config.publicUrl ?? `${proto}://${host}/`, x: this.crypto.publicX, ed: this.crypto.publicEd, versions: [PROTOCOL_VERSION] });
  }

  get port(): number {
    const a = this.http.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  async listen(): Promise<void> {
    const { port, host } = this.opts.config;
    await new Promise<void>((ok, fail) => {
      this.http.once('error', fail);
      this.http.listen(port, host, () => {
        this.http.off('error', fail);
        ok();
      });
    });
    const ping = setInterval(() => this.#pingSweep(), Math.min(this.limits.pingIntervalMs, 1000 + this.limits.pingIntervalMs / 4));
    const sweep = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
    ping.unref();
    sweep.unref();
    this.#timers.push(ping, sweep);
    this.log.info({ host, port: this.port, well_known: WELL_KNOWN_PATH }, 'relay listening');
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#stopping) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // A module-level listener: a closure here would share this call's context, which holds
    // `req`, and keep the whole upgrade request alive as long as the socket.
    socket.on('error', destroySocket);
    // The 101 response and the CHALLENGE (built within this turn's microtasks) leave in one write.
    holdWrites(socket);
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws as RelaySocket, req, socket));
  }

  #accept(ws: RelaySocket, req: IncomingMessage, socket: Duplex): void {
    const address = req.socket.remoteAddress ?? 'unknown';
    const admit = this.#addresses.admit(address);
    if (admit !== 'ok') {
      this.stats.drops.too_many_connections++;
      this.log.debug({ addr: shortHash(address), why: admit }, 'connection refused');
      ws.close(CLOSE.too_many_connections);
      const t = setTimeout(() => ws.terminate(), this.limits.closeGraceMs);
      t.unref();
      ws.once('close', () => clearTimeout(t));
      ws.on('error', () => {});
      return;
    }
    const conn = new Connection(this, ws, address, ++this.#serial, socket);
    this.#conns.add(conn);
    void conn.start();
  }

  // ---- RelayContext ------------------------------------------------------------------------

  bindSession(conn: Connection): Uint8Array[] {
    const { replaced, bound } = this.router.bind(conn);
    conn.bound = bound;
    if (replaced !== undefined) {
      replaced.bound = false;
      replaced.close('replaced', 'same key pair connected again');
    }
    if (!bound) {
      this.log.debug({ conn: conn.serial, id: shortHash(conn.id) }, 'key pair not bound: id holds the maximum');
      return [];
    }
    return this.mailboxes.take(conn.idKey);
  }

  restoreMailbox(conn: Connection, frames: Uint8Array[]): void {
    for (const f of frames) this.mailboxes.put(conn.idKey, 'restored', f);
  }

  route(from: Connection, frame: Buffer): void {
    const idKey = frame.toString('latin1', 0, ID_SIZE);
    const holders = this.router.holders(idKey);
    if (holders === undefined) return this.#enqueue(idKey, from, frame);
    const n = holders.length;
    // Each recipient gets the sender's id in the route, masked for its connection; the last
    // one gets the received buffer itself (no copy in the common single-holder case).
    for (let i = 0; i < n - 1; i++) holders[i]!.deliver(Buffer.from(frame), from.id);
    holders[n - 1]!.deliver(frame, from.id);
  }

  #enqueue(idKey: string, from: Connection, frame: Buffer): void {
    // A right-sized copy (the received buffer may be a view into a larger socket chunk),
    // holding the sender's id in its route until delivery.
    const copy = Buffer.allocUnsafeSlow(frame.length);
    frame.copy(copy);
    from.id.copy(copy, 0);
    const drop = this.mailboxes.put(idKey, from.holderKey, copy);
    if (drop !== undefined) {
      this.stats.drops[drop]++;
      return;
    }
    this.stats.framesQueued++;
    this.#wakeId(idKey, 'message');
  }

  #wakeId(idKey: string, reason: WakeKind): void {
    const { tags, limited } = this.wake.due(idKey, reason);
    this.stats.drops.wake_rate_limited += limited;
    if (tags.length === 0) return;
    const notifiers = this.#notifierConnections();
    if (notifiers.length === 0) {
      this.stats.drops.wake_no_notifier += tags.length;
      return;
    }
    for (const tag of tags) {
      for (const n of notifiers) n.sendControl({ type: 'wake', tag, reason });
      this.stats.wakesSent++;
    }
  }

  #notifierConnections(): Connection[] {
    const ref = this.#notifier;
    if (ref === undefined) return [];
    const idKey = Buffer.from(ref.kind === 'key' ? ref.x.subarray(0, ID_SIZE) : ref.id).toString('latin1');
    const holders = this.router.holders(idKey) ?? [];
    if (ref.kind === 'id') return [...holders];
    // holderKey = latin1(X25519 key) ‖ latin1(Ed25519 key)
    const x = Buffer.from(ref.x).toString('latin1');
    return holders.filter((h) => h.holderKey.startsWith(x));
  }

  control(conn: Connection, msg: ControlIn): void {
    const L = this.limits;
    switch (msg.type) {
      case 'register_wake':
        this.wake.register(conn.idKey, conn.holderKey, msg.tag);
        return;
      case 'turn_request': {
        conn.turnBucket ??= new TokenBucket(L.turnRequestsPerMinute / 60, L.turnRequestsPerMinute);
        if (!conn.turnBucket.take()) {
          return conn.sendControl({ type: 'error', code: 'rate_limited', request: CONTROL_CODE.turn_request });
        }
        if (this.#turn === undefined) {
          return conn.sendControl({ type: 'error', code: 'unavailable', request: CONTROL_CODE.turn_request });
        }
        const c = turnCredentials(this.#turn, L.turnCredentialTtlS);
        this.stats.turnCredentials++;
        return conn.sendControl({ type: 'turn_credentials', ...c });
      }
      case 'ring': {
        conn.ringBucket ??= new TokenBucket(L.ringsPerMinute / 60, L.ringsPerMinute);
        if (!conn.ringBucket.take()) {
          return conn.sendControl({ type: 'error', code: 'rate_limited', request: CONTROL_CODE.ring });
        }
        const idKey = Buffer.from(msg.recipient).toString('latin1');
        // Nothing is answered either way: the caller learns nothing about the callee.
        if (this.router.holders(idKey) === undefined) this.#wakeId(idKey, 'call');
        return;
      }
      case 'bye':
        conn.closeNormally();
        return;
      case 'wrong_direction':
        conn.sendControl({ type: 'error', code: 'bad_request', request: msg.code });
        return;
    }
  }

  released(conn: Connection): void {
    if (!this.#conns.delete(conn)) return;
    if (conn.bound) this.router.unbind(conn);
    conn.bound = false;
    this.#addresses.release(conn.address);
  }

  // ---- periodic work -----------------------------------------------------------------------

  #pingSweep(): void {
    const now = Date.now();
    const idle = this.limits.idleTimeoutMs;
    const interval = this.limits.pingIntervalMs;
    for (const c of this.#conns) {
      if (c.state !== State.Session) continue;
      const silent = now - c.lastSeen;
      if (silent > idle) c.close('idle_timeout', 'no pong or frame');
      else if (silent >= interval) c.ws.ping();
    }
  }

  #sweep(): void {
    this.mailboxes.sweep();
    this.stats.drops.mailbox_expired += this.mailboxes.takeExpiredCount();
    this.wake.sweep();
    this.#addresses.sweep();
  }

  get connections(): number {
    return this.#conns.size;
  }

  /**
   * Graceful shutdown: stop accepting, send every session a SHUTDOWN control message, close
   * each with shutting_down, and destroy whatever is still open after the grace period.
   */
  async close(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const t of this.#timers) clearInterval(t);
    const httpClosed = new Promise<void>((ok) => this.http.close(() => ok()));
    const conns = [...this.#conns];
    await Promise.all(
      conns.map(async (c) => {
        if (c.state === State.Session) {
          c.sendControl({ type: 'shutdown', reason: 'maintenance', retryAfterMs: this.limits.shutdownRetryAfterMs });
          await c.flushed();
        }
        const closed = new Promise<void>((ok) => {
          if (c.ws.readyState === c.ws.CLOSED) ok();
          else c.ws.once('close', () => ok());
        });
        c.close('shutting_down', 'relay stopping');
        await closed;
      }),
    );
    this.http.closeAllConnections();
    await httpClosed;
    this.mailboxes.clear();
    this.log.info({ closed: conns.length }, 'relay stopped');
  }
}

