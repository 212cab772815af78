/**
 * The relay: HTTP and WebSocket on one port. Owns the router, the mailboxes, the wake
 * registry, the per-address limits, the metrics and the periodic sweeps (ping and idle,
 * mailbox expiry), and routes frames between connections.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Registry } from 'prom-client';
import type { RelayConfig, TurnConfig, NotifierRef } from './config.ts';
import { Connection, RelaySocket, State, type RelayContext } from './connection.ts';
import { holdWrites } from './socket-io.ts';
import { Admission, descriptorLimit } from './admission.ts';
import { Deadlines } from './deadlines.ts';
import { sourceKey } from './address.ts';
import { WELL_KNOWN_PATH, clientErrorResponse, createHttpHandler, createMetricsHandler, rawResponse } from './http.ts';
import type { Limits } from './limits.ts';
import { type Logger, shortHash } from './logger.ts';
import type { Mailboxes } from './mailbox.ts';
import { MemoryState } from './memory-state.ts';
import { createMetrics, RelayStats } from './metrics.ts';
import { AddressLimiter, TokenBucket } from './ratelimit.ts';
import { Router } from './router.ts';
import type { ControlIn, RelayCrypto } from './session-port.ts';
import type { SharedState, StateHost } from './shared-state.ts';
import { turnCredentials } from './turn.ts';
import { CLOSE, CONTROL_CODE, PROTOCOL_VERSION } from './wire.ts';
import { buildWellKnown, toHex, type WellKnownDocument } from './runtime.ts';

export interface RelayServerOptions {
  config: RelayConfig;
  crypto: RelayCrypto;
  log: Logger;
  /** Register process-wide default metrics (event loop, memory). Off in tests running many relays. */
  defaultMetrics?: boolean;
  /**
   * The shared state of a cluster (redis-state.ts); absent: this process alone, in memory
   * (memory-state.ts). Built from the server's StateHost, so passed as a factory.
   */
  sharedState?: (host: StateHost) => SharedState;
}

const SWEEP_INTERVAL_MS = 60_000;

function destroySocket(this: Duplex): void {
  this.destroy();
}

/**
 * What ws checks before it accepts an upgrade (RFC 6455 4.2.1), checked here first so a bad
 * upgrade gets the app's 400 with its security headers rather than ws's bare one.
 */
function isValidUpgrade(req: IncomingMessage): boolean {
  const key = req.headers['sec-websocket-key'];
  const version = req.headers['sec-websocket-version'];
  return (
    req.method === 'GET' &&
    req.headers.upgrade?.toLowerCase() === 'websocket' &&
    typeof key === 'string' &&
    /^[+/0-9A-Za-z]{22}==$/.test(key) &&
    (version === '8' || version === '13')
  );
}

export class RelayServer implements RelayContext, StateHost {
  readonly limits: Limits;
  readonly stats = new RelayStats();
  readonly log: Logger;
  readonly crypto: RelayCrypto;
  readonly metrics: Registry;
  readonly router: Router<Connection>;
  readonly state: SharedState;
  readonly http: Server;
  /** The metrics listener (METRICS_HOST:METRICS_PORT), apart from the public one. */
  readonly metricsHttp: Server;
  /** Accept-time bounds of the public listener (admission.ts). */
  readonly admission: Admission;
  readonly handshakes: Deadlines<Connection>;
  readonly #wss: WebSocketServer;
  readonly #addresses: AddressLimiter;
  readonly #conns = new Set<Connection>();
  /** Source keys of trusted load balancers (RELAY_TRUSTED_PROXIES). */
  readonly #proxies: ReadonlySet<string>;
  readonly #turn: TurnConfig | undefined;
  readonly notifier: NotifierRef | undefined;
  #serial = 0;
  #timers: NodeJS.Timeout[] = [];
  #stopping = false;

  constructor(readonly opts: RelayServerOptions) {
    const { config } = opts;
    this.limits = config.limits;
    this.log = opts.log;
    this.crypto = opts.crypto;
    this.#turn = config.turn;
    this.notifier = config.notifier;
    this.#proxies = new Set((config.trustedProxies ?? []).map((a) => sourceKey(a)));
    const L = this.limits;
    this.router = new Router(L.maxKeypairsPerId);
    this.state = opts.sharedState?.(this) ?? new MemoryState(this);
    this.handshakes = new Deadlines(L.handshakeTimeoutMs, (c) => c.handshakeTimedOut());
    this.#addresses = new AddressLimiter(L.maxConnectionsPerAddress, L.handshakesPerAddressPerMinute, L.maxConnections);
    this.metrics = createMetrics(
      this.stats,
      {
        connections: () => {
          let session = 0;
          for (const c of this.#conns) if (c.state === State.Session) session++;
          return { handshake: this.#conns.size - session, session };
        },
        mailboxFrames: () => this.state.mailboxGauges().frames,
        mailboxBytes: () => this.state.mailboxGauges().bytes,
        mailboxes: () => this.state.mailboxGauges().mailboxes,
      },
      opts.defaultMetrics ?? false,
      this.state.clusterGauges !== undefined ? () => this.state.clusterGauges!() : undefined,
    );
    const webRoot = config.webRoot !== undefined && existsSync(config.webRoot) && statSync(config.webRoot).isDirectory() ? config.webRoot : undefined;
    this.http = createServer(
      createHttpHandler({
        webRoot,
        notifierJson: config.notifierJson,
        wellKnown: (req) => this.wellKnown(req),
        healthy: () => !this.#stopping && this.state.ready,
      }),
    );
    const fdLimit = descriptorLimit(() => readFileSync('/proc/self/limits', 'latin1'));
    this.admission = new Admission(
      {
        maxPerSource: L.maxConnectionsPerAddress,
        exempt: this.#proxies,
        maxTotal: Math.max(1, Math.min(L.maxConnections, fdLimit === undefined ? Infinity : fdLimit - L.fdReserve)),
        maxPending: L.maxPendingConnections,
        pendingTimeoutMs: L.pendingTimeoutMs,
      },
      (why) => this.stats.drops[why]++,
    );
    this.http.on('connection', (socket: Socket) => this.admission.accept(socket));
    this.http.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.admission.settled(req.socket);
      res.once('finish', () => this.admission.awaitingRequest(req.socket));
    });
    // Node's own answers to requests it cannot parse (400, 431) get the app's headers too.
    this.http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (socket.writable && (socket as Socket).bytesWritten === 0) socket.end(clientErrorResponse(err));
      else socket.destroy();
    });
    this.metricsHttp = createServer(createMetricsHandler(this.metrics));
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
    const url = this.opts.config.publicUrl ?? `${proto}://${host}/`;
    // a cluster's nodes (RELAY_ENDPOINTS); a lone relay is its own one endpoint
    return buildWellKnown({ url, endpoints: this.opts.config.endpoints ?? [url], x: this.crypto.publicX, ed: this.crypto.publicEd, versions: [PROTOCOL_VERSION] });
  }

  get port(): number {
    const a = this.http.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  get metricsPort(): number {
    const a = this.metricsHttp.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  async listen(): Promise<void> {
    const { port, host, metricsHost, metricsPort } = this.opts.config;
    const listen = (server: Server, p: number, h: string) =>
      new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(p, h, () => {
          server.off('error', fail);
          ok();
        });
      });
    await this.state.start();
    await listen(this.metricsHttp, metricsPort, metricsHost);
    try {
      await listen(this.http, port, host);
    } catch (e) {
      this.metricsHttp.close();
      throw e;
    }
    const ping = setInterval(() => this.#pingSweep(), Math.min(this.limits.pingIntervalMs, 1000 + this.limits.pingIntervalMs / 4));
    const sweep = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
    ping.unref();
    sweep.unref();
    this.#timers.push(ping, sweep);
    this.log.info({ host, port: this.port, well_known: WELL_KNOWN_PATH, metrics: `${metricsHost}:${this.metricsPort}` }, 'relay listening');
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.admission.settled(socket as Socket);
    // Node's HTTP server stops listening to the socket at an upgrade: from here an error (a peer
    // resetting a refused upgrade) needs a listener or it kills the process. A module-level
    // listener: a closure here would share this call's context, which holds `req`, and keep the
    // whole upgrade request alive as long as the socket.
    socket.on('error', destroySocket);
    if (this.#stopping || !this.state.ready) {
      // A cluster node without Redis refuses sessions rather than half-working (healthz says so too).
      socket.end(rawResponse(503, this.#stopping ? 'shutting down\n' : 'not ready\n'));
      return;
    }
    if (!isValidUpgrade(req)) {
      socket.end(rawResponse(400, 'bad request\n'));
      return;
    }
    // The 101 response and the CHALLENGE (built within this turn's microtasks) leave in one write.
    holdWrites(socket);
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws as RelaySocket, req, socket));
  }

  #accept(ws: RelaySocket, req: IncomingMessage, socket: Duplex): void {
    const address = this.#source(req);
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

  /**
   * The client's source: the peer address, or behind a trusted load balancer the address it
   * appended last to X-Forwarded-For (earlier entries are whatever the client sent).
   */
  #source(req: IncomingMessage): string {
    const peer = sourceKey(req.socket.remoteAddress);
    if (!this.#proxies.has(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const list = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    const last = list[list.length - 1]!.trim();
    return isIP(last) !== 0 ? sourceKey(last) : peer;
  }

  // ---- RelayContext ------------------------------------------------------------------------

  /** The in-memory mailboxes of a single process (tests); a cluster's are in Redis. */
  get mailboxes(): Mailboxes {
    if (!(this.state instanceof MemoryState)) throw new TypeError('mailboxes: this relay keeps its mailboxes in Redis');
    return this.state.mailboxes;
  }

  *allConnections(): IterableIterator<Connection> {
    yield* this.#conns;
  }

  bindSession(conn: Connection): Uint8Array[] | Promise<Uint8Array[]> {
    const { replaced, bound } = this.router.bind(conn);
    conn.bound = bound;
    if (replaced !== undefined) {
      replaced.bound = false;
      replaced.close('replaced', 'same key pair connected again');
    }
    this.state.touch(conn);
    if (!bound) {
      this.log.debug({ conn: conn.serial, id: shortHash(conn.id) }, 'key pair not bound: id holds the maximum');
      return [];
    }
    const r = this.state.bind(conn);
    if (!(r instanceof Promise)) return r.mailbox;
    return r.then((res) => {
      if (!res.bound && conn.bound) {
        // The id holds the maximum of key pairs on other nodes: not bound, as on one node.
        this.router.unbind(conn);
        conn.bound = false;
        this.log.debug({ conn: conn.serial, id: shortHash(conn.id) }, 'key pair not bound: id holds the maximum');
      }
      return res.mailbox;
    });
  }

  restoreMailbox(conn: Connection, frames: Uint8Array[]): void {
    this.state.restore(conn, frames);
  }

  route(from: Connection, frame: Buffer): void {
    this.state.route(from, frame);
  }

  control(conn: Connection, msg: ControlIn): void | Promise<void> {
    const L = this.limits;
    switch (msg.type) {
      case 'register_wake':
        return this.state.registerWake(conn, msg.tag);
      case 'turn_request': {
        const allowed = this.state.turnAllowed(conn);
        if (allowed instanceof Promise) return allowed.then((ok) => this.#answerTurn(conn, ok));
        return this.#answerTurn(conn, allowed);
      }
      case 'ring': {
        conn.ringBucket ??= new TokenBucket(L.ringsPerMinute / 60, L.ringsPerMinute);
        if (!conn.ringBucket.take()) {
          return conn.sendControl({ type: 'error', code: 'rate_limited', request: CONTROL_CODE.ring });
        }
        // Nothing is answered either way: the caller learns nothing about the callee.
        return this.state.ring(Buffer.from(msg.recipient).toString('latin1'));
      }
      case 'bye':
        conn.closeNormally();
        return;
      case 'register_mailbox_secret': {
        const r = this.state.registerSecret(conn, msg.secret);
        if (r instanceof Promise) return r.finally(() => msg.secret.fill(0));
        msg.secret.fill(0);
        return;
      }
      case 'present_mailbox_tokens': {
        const vouch = (conn.vouch ??= { ids: new Set(), checked: 0, waiting: new Map() });
        if (vouch.checked + msg.tokens.length > L.mailboxTokensPerSession) {
          return conn.sendControl({ type: 'error', code: 'rate_limited', request: CONTROL_CODE.present_mailbox_tokens });
        }
        vouch.checked += msg.tokens.length;
        // Nothing is answered either way: a presenter learns nothing about the recipient.
        return this.state.presentTokens(conn, msg.tokens);
      }
      case 'wrong_direction':
        conn.sendControl({ type: 'error', code: 'bad_request', request: msg.code });
        return;
    }
  }

  #answerTurn(conn: Connection, allowed: boolean): void {
    if (!allowed) {
      this.stats.drops.turn_rate_limited++;
      return conn.sendControl({ type: 'error', code: 'rate_limited', request: CONTROL_CODE.turn_request });
    }
    if (this.#turn === undefined) {
      return conn.sendControl({ type: 'error', code: 'unavailable', request: CONTROL_CODE.turn_request });
    }
    const c = turnCredentials(this.#turn, this.limits.turnCredentialTtlS);
    this.stats.turnCredentials++;
    return conn.sendControl({ type: 'turn_credentials', ...c });
  }

  released(conn: Connection): void {
    if (!this.#conns.delete(conn)) return;
    this.state.forget(conn);
    if (conn.bound) {
      this.router.unbind(conn);
      this.state.unbound(conn);
    }
    conn.bound = false;
    if (conn.holderKey !== '') this.state.touch(conn);
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
    this.state.sweep();
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
    // A cluster node's clients go to the other nodes at once; a single relay's wait and come back.
    const cluster = !(this.state instanceof MemoryState);
    await Promise.all(
      conns.map(async (c) => {
        if (c.state === State.Session) {
          c.sendControl({ type: 'shutdown', reason: 'maintenance', retryAfterMs: cluster ? 0 : this.limits.shutdownRetryAfterMs });
          await c.flushed();
        }
        const closed = new Promise<void>((ok) => {
          if (c.ws.readyState === c.ws.CLOSED) ok();
          else c.ws.once('close', () => ok());
        });
        c.close(cluster ? 'reconnect_elsewhere' : 'shutting_down', 'relay stopping');
        await closed;
      }),
    );
    this.http.closeAllConnections();
    await httpClosed;
    await new Promise<void>((ok) => {
      this.metricsHttp.close(() => ok());
      this.metricsHttp.closeAllConnections();
    });
    this.handshakes.clear();
    await this.state.close();
    this.log.info({ closed: conns.length }, 'relay stopped');
  }
}

