/**
 * The relay: HTTP and WebSocket on one port. Owns the router, the mailboxes, the wake
 * registry, the per-address limits, the metrics and the periodic sweeps (ping and idle,
 * mailbox expiry), and routes frames between connections.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Registry } from 'prom-client';
import type { RelayConfig, TurnConfig, NotifierRef } from './config.ts';
import { Connection, RelaySocket, State, holdWrites, type RelayContext } from './connection.ts';
import { Admission, descriptorLimit } from './admission.ts';
import { sourceKey } from './address.ts';
import { WELL_KNOWN_PATH, clientErrorResponse, createHttpHandler, createMetricsHandler, rawResponse } from './http.ts';
import type { Limits } from './limits.ts';
import { type Logger, shortHash } from './logger.ts';
import { Mailboxes } from './mailbox.ts';
import { createMetrics, RelayStats } from './metrics.ts';
import { AddressLimiter, KeyedBuckets, TokenBucket } from './ratelimit.ts';
import { MailboxSecrets } from './vouch.ts';
import { Router } from './router.ts';
import type { ControlIn, RelayCrypto } from './session-port.ts';
import { turnCredentials } from './turn.ts';
import { WakeRegistry, type WakeKind } from './wake.ts';
import { CLOSE, CONTROL_CODE, ID_SIZE, KEY_SIZE, PROTOCOL_VERSION } from './wire.ts';
import { buildWellKnown, toHex, type WellKnownDocument } from './runtime.ts';

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

export class RelayServer implements RelayContext {
  readonly limits: Limits;
  readonly stats = new RelayStats();
  readonly log: Logger;
  readonly crypto: RelayCrypto;
  readonly metrics: Registry;
  readonly router: Router<Connection>;
  readonly mailboxes: Mailboxes;
  readonly wake: WakeRegistry;
  readonly secrets: MailboxSecrets;
  readonly http: Server;
  /** The metrics listener (METRICS_HOST:METRICS_PORT), apart from the public one. */
  readonly metricsHttp: Server;
  /** Accept-time bounds of the public listener (admission.ts). */
  readonly admission: Admission;
  readonly #wss: WebSocketServer;
  readonly #addresses: AddressLimiter;
  /** TURN requests per key pair and per source address: reconnecting or fresh key pairs do not reset them. */
  readonly #turnByHolder: KeyedBuckets;
  /** id -> sessions holding a token for it that matched no secret yet (Connection.vouch.waiting). */
  readonly #awaitingSecret = new Map<string, Set<Connection>>();
  readonly #turnBySource: KeyedBuckets;
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
      strangerShareDivisor: L.mailboxStrangerShareDivisor,
      identityMaxBytes: L.mailboxIdentityMaxBytes,
      sourceMaxBytes: L.mailboxSourceMaxBytes,
      entryOverhead: L.mailboxEntryOverhead,
    });
    this.wake = new WakeRegistry(L);
    this.secrets = new MailboxSecrets({ ttlMs: L.mailboxTtlMs, maxSecrets: L.maxMailboxSecrets });
    this.#turnByHolder = new KeyedBuckets(L.turnRequestsPerMinute);
    this.#turnBySource = new KeyedBuckets(L.turnRequestsPerAddressPerMinute);
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
    const webRoot = config.webRoot !== undefined && existsSync(config.webRoot) && statSync(config.webRoot).isDirectory() ? config.webRoot : undefined;
    this.http = createServer(
      createHttpHandler({
        webRoot,
        notifierJson: config.notifierJson,
        wellKnown: (req) => this.wellKnown(req),
        healthy: () => !this.#stopping,
      }),
    );
    const fdLimit = descriptorLimit(() => readFileSync('/proc/self/limits', 'latin1'));
    this.admission = new Admission(
      {
        maxPerSource: L.maxConnectionsPerAddress,
        maxTotal: Math.max(1, Math.min(L.maxConnections, fdLimit === undefined ? Infinity : fdLimit - L.fdReserve)),
        maxPending: L.maxPendingConnections,
        pendingTimeoutMs: L.pendingTimeoutMs,
      },
      (why) => this.stats.drops[why]++,
    );
    this.http.on('connection', (socket: Socket) => this.admission.accept(socket));
    this.http.on('request', (req: IncomingMessage) => this.admission.settled(req.socket));
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
    if (this.#stopping) {
      socket.end(rawResponse(503, 'shutting down\n'));
      return;
    }
    if (!isValidUpgrade(req)) {
      socket.end(rawResponse(400, 'bad request\n'));
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
    const address = sourceKey(req.socket.remoteAddress);
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
    this.secrets.touch(conn.holderKey);
    if (!bound) {
      this.log.debug({ conn: conn.serial, id: shortHash(conn.id) }, 'key pair not bound: id holds the maximum');
      return [];
    }
    return this.mailboxes.take(conn.idKey);
  }

  restoreMailbox(conn: Connection, frames: Uint8Array[]): void {
    // Put back as they were taken (WELCOME failed): counted as vouched, from the relay itself.
    for (const f of frames) this.mailboxes.put(conn.idKey, 'restored', 'restored', true, f);
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
    // The route holds the sender's id until delivery; the mailbox keeps its own copy (the
    // received buffer may be a view into a larger socket chunk), so writing in place is fine.
    from.id.copy(frame, 0);
    const vouched = from.vouch?.ids.has(idKey) ?? false;
    const drop = this.mailboxes.put(idKey, from.holderKey, from.address, vouched, frame);
    this.stats.drops.mailbox_evicted += this.mailboxes.takeEvictedCount();
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
        // Both buckets are spent only when both have a token: one key pair's requests do not
        // drain its address's bucket once its own is empty.
        if (!this.#turnByHolder.take(conn.holderKey) || !this.#turnBySource.take(conn.address)) {
          this.stats.drops.turn_rate_limited++;
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
      case 'register_mailbox_secret': {
        this.secrets.register(conn.idKey, conn.holderKey, msg.secret);
        msg.secret.fill(0);
        const waiting = this.#awaitingSecret.get(conn.idKey);
        if (waiting !== undefined) for (const c of waiting) this.#vouchIfValid(c, conn.idKey, c.vouch!.waiting.get(conn.idKey)!);
        return;
      }
      case 'present_mailbox_tokens': {
        const vouch = (conn.vouch ??= { ids: new Set(), checked: 0, waiting: new Map() });
        if (vouch.checked + msg.tokens.length > L.mailboxTokensPerSession) {
          return conn.sendControl({ type: 'error', code: 'rate_limited', request: CONTROL_CODE.present_mailbox_tokens });
        }
        vouch.checked += msg.tokens.length;
        // Nothing is answered either way: a presenter learns nothing about the recipient.
        for (const { recipient, token } of msg.tokens) this.#vouchIfValid(conn, Buffer.from(recipient).toString('latin1'), token);
        return;
      }
      case 'wrong_direction':
        conn.sendControl({ type: 'error', code: 'bad_request', request: msg.code });
        return;
    }
  }

  /** Vouches `conn` for `idKey` if `token` matches a registered secret; else keeps it waiting for one. */
  #vouchIfValid(conn: Connection, idKey: string, token: Uint8Array): void {
    const vouch = conn.vouch!;
    // holderKey = latin1(X25519 key) ‖ latin1(Ed25519 key)
    const keys = Buffer.from(conn.holderKey, 'latin1');
    const ok = this.secrets.check(idKey, keys.subarray(0, KEY_SIZE), keys.subarray(KEY_SIZE), token);
    let waiting = this.#awaitingSecret.get(idKey);
    if (ok) {
      vouch.ids.add(idKey);
      if (vouch.waiting.delete(idKey)) {
        waiting?.delete(conn);
        if (waiting?.size === 0) this.#awaitingSecret.delete(idKey);
      }
      return;
    }
    vouch.waiting.set(idKey, token);
    if (waiting === undefined) this.#awaitingSecret.set(idKey, (waiting = new Set()));
    waiting.add(conn);
  }

  released(conn: Connection): void {
    if (!this.#conns.delete(conn)) return;
    for (const idKey of conn.vouch?.waiting.keys() ?? []) {
      const waiting = this.#awaitingSecret.get(idKey);
      waiting?.delete(conn);
      if (waiting?.size === 0) this.#awaitingSecret.delete(idKey);
    }
    if (conn.bound) this.router.unbind(conn);
    conn.bound = false;
    if (conn.holderKey !== '') this.secrets.touch(conn.holderKey);
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
    this.secrets.sweep();
    this.#addresses.sweep();
    this.#turnByHolder.sweep();
    this.#turnBySource.sweep();
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
    await new Promise<void>((ok) => {
      this.metricsHttp.close(() => ok());
      this.metricsHttp.closeAllConnections();
    });
    this.mailboxes.clear();
    this.log.info({ closed: conns.length }, 'relay stopped');
  }
}

