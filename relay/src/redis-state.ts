/**
 * The shared state of a relay cluster, in Redis (RELAY_REDIS_URL; spec/DESIGN.md "Relay
 * cluster"). Each node runs under a random incarnation id: its bindings in the routing table
 * name it, and it subscribes to its own channel, where other nodes publish frames for its
 * holders, replacements of its connections and wakes for its notifier. The scripts
 * (redis-scripts.ts) keep every bound of mailbox.ts, cluster-wide.
 *
 * Two connections: commands (no offline queue: while Redis is away a command fails at once
 * rather than piling up) and the subscriber. While either is down, or a PING goes unanswered,
 * the node is not ready: it closes its sessions with `reconnect_elsewhere` and refuses new ones
 * (healthz 503). When Redis answers again it takes a new incarnation id, so bindings it held
 * before (if Redis kept them) name a channel nobody listens to, and the first frame for them
 * is queued instead, and the stale binding dropped.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { type Connection, State } from './connection.ts';
import { ClusterError } from './errors.ts';
import { forgetWaiting, notifierConnections } from './memory-state.ts';
import type { MailboxDrop } from './mailbox.ts';
import { BIND, BUCKETS, REGISTER, RING, ROUTE, SECRETS, SWEEP, TOUCH, UNBIND } from './redis-scripts.ts';
import { mailboxToken, mailboxTokenKey, mailboxTokensEqual, toHex } from './runtime.ts';
import type { ClusterGauges } from './metrics.ts';
import type { MailboxGauges, SharedState, StateHost } from './shared-state.ts';
import { ID_SIZE, KEY_SIZE } from './wire.ts';

export interface RedisStateOptions {
  url: string;
  /** The relay's public-key fingerprint: every node of a cluster has the same keys. */
  fingerprint: string;
}


const P = 'parley:';
/** How often a node refreshes its liveness, publishes its counters and PINGs Redis. */
const STATS_INTERVAL_MS = 1000;
/** A node whose liveness key is older than this no longer counts for an id's maximum of key pairs. */
const ALIVE_TTL_MS = 5000;
/** A PING unanswered this long makes the node not ready. */
const PING_TIMEOUT_MS = 2000;
/** Bytes of frames on their way to Redis, per node: beyond, frames are dropped (Redis is not keeping up). */
const MAX_INFLIGHT_BYTES = 64 * 1024 * 1024;
/** Expired frames and registrations removed per sweep call. */
const SWEEP_BATCH = 1000;

type ScriptFn = (...args: (string | Buffer | number)[]) => Promise<unknown>;

/** ROUTE script modes (redis-scripts.ts). */
const ROUTE_MODE = '0';
const QUEUE_ONLY = '1';
const REROUTE = '2';

const MAILBOX_DROPS = new Set<string>(['mailbox_full', 'mailbox_sender_share', 'mailbox_strangers', 'mailbox_identity', 'mailbox_source', 'mailbox_global']);

const hex = (latin1: string) => Buffer.from(latin1, 'latin1').toString('hex');

/** A connection's key pair in hex, made once per connection (every frame it sends names it). */
const holderHex = new WeakMap<Connection, string>();
function senderHex(c: Connection): string {
  let h = holderHex.get(c);
  if (h === undefined) holderHex.set(c, (h = hex(c.holderKey)));
  return h;
}

export class RedisState implements SharedState {
  readonly #cmd: Redis;
  readonly #sub: Redis;
  readonly #host: StateHost;
  readonly #opts: RedisStateOptions;
  #node = randomBytes(8).toString('hex');
  #ready = false;
  #started = false;
  #closing = false;
  #ticking = false;
  #lastPong = 0;
  #inflight = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The limits as the ROUTE script takes them (ARGV 8..19). */
  readonly #limitArgs: string[];
  readonly #notifierHex: string;
  /** id -> sessions holding a token for it that matched no secret yet (Connection.vouch.waiting). */
  readonly #awaitingSecret = new Map<string, Set<Connection>>();
  #gauges: ClusterGauges = { nodes: 0, connections: 0, framesForwarded: 0, crossNodeFrames: 0, mailbox: { frames: 0, bytes: 0, mailboxes: 0 }, redisRttMs: 0 };

  constructor(host: StateHost, opts: RedisStateOptions) {
    this.#host = host;
    this.#opts = opts;
    const L = host.limits;
    this.#limitArgs = [
      L.mailboxMaxFrames,
      L.mailboxMaxBytes,
      L.mailboxTtlMs,
      L.mailboxGlobalMaxBytes,
      L.mailboxSenderShareDivisor,
      L.mailboxStrangerShareDivisor,
      L.mailboxIdentityMaxBytes,
      L.mailboxSourceMaxBytes,
      L.mailboxEntryOverhead,
      L.wakeMinIntervalMs,
      L.wakeRegistrationTtlMs,
    ].map(String);
    const n = host.notifier;
    this.#notifierHex = n === undefined ? '' : toHex(n.kind === 'key' ? n.x.subarray(0, ID_SIZE) : n.id);
    const scripts = { route: ROUTE, bind: BIND, unbind: UNBIND, touch: TOUCH, ring: RING, register: REGISTER, secrets: SECRETS, sweep: SWEEP, buckets: BUCKETS };
    const common = { lazyConnect: true, retryStrategy: (times: number) => Math.min(100 * times, 1000) };
    this.#cmd = new Redis(opts.url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: PING_TIMEOUT_MS });
    for (const [name, lua] of Object.entries(scripts)) this.#cmd.defineCommand(name, { numberOfKeys: 0, lua });
    this.#sub = new Redis(opts.url, { ...common, maxRetriesPerRequest: null });
    for (const r of [this.#cmd, this.#sub]) {
      r.on('error', (e: Error) => host.log.debug({ err: e.message }, 'redis'));
      r.on('close', () => this.#lost('connection closed'));
    }
    this.#sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.#onMessage(channel, message));
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** This node's current incarnation id (its channel is parley:node:<id>). */
  get node(): string {
    return this.#node;
  }

  clusterGauges(): ClusterGauges {
    return this.#gauges;
  }

  #script(name: string): ScriptFn {
    return (this.#cmd as unknown as Record<string, ScriptFn>)[name + 'Buffer']!.bind(this.#cmd);
  }

  async start(): Promise<void> {
    try {
      await Promise.all([this.#cmd.connect(), this.#sub.connect()]);
    } catch (e) {
      this.#cmd.disconnect();
      this.#sub.disconnect();
      throw new ClusterError(`cannot reach Redis at RELAY_REDIS_URL: ${(e as Error).message}`);
    }
    await this.#checkKeys();
    await this.#join();
    this.#started = true;
    this.#timer = setInterval(() => void this.#tick(), STATS_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Every node of a cluster serves the same relay keys: the first node records them, others must match. */
  async #checkKeys(): Promise<void> {
    await this.#cmd.set(P + 'relay', this.#opts.fingerprint, 'NX');
    const recorded = await this.#cmd.get(P + 'relay');
    if (recorded !== this.#opts.fingerprint) {
      this.#cmd.disconnect();
      this.#sub.disconnect();
      throw new ClusterError(`this node's relay keys (fingerprint ${this.#opts.fingerprint}) differ from the cluster's (${recorded}): copy the cluster's key file`);
    }
  }

  /** Takes a fresh incarnation id and listens on its channel. */
  async #join(): Promise<void> {
    const old = this.#node;
    this.#node = randomBytes(8).toString('hex');
    await this.#sub.subscribe(P + 'node:' + this.#node, P + 'all');
    await this.#sub.unsubscribe(P + 'node:' + old).catch(() => {});
    // The old incarnation's bindings stop counting for an id's maximum at once.
    await this.#cmd.multi().del(P + 'alive:' + old).set(P + 'alive:' + this.#node, '1', 'PX', ALIVE_TTL_MS).exec();
    this.#lastPong = Date.now();
    this.#ready = true;
    this.#host.log.info({ node: this.#node }, 'joined the cluster');
  }

  #lost(why: string): void {
    if (!this.#ready) return;
    this.#ready = false;
    this.#host.log.warn({ why }, 'lost Redis: not ready, closing sessions');
    for (const c of [...this.#host.allConnections()]) c.close('reconnect_elsewhere', 'shared state lost');
  }

  async #tick(): Promise<void> {
    // One at a time: a slow Redis must not make two ticks join twice.
    if (this.#closing || this.#ticking) return;
    this.#ticking = true;
    try {
      await this.#tickOnce();
    } finally {
      this.#ticking = false;
    }
  }

  async #tickOnce(): Promise<void> {
    const t0 = process.hrtime.bigint();
    try {
      if (this.#cmd.status !== 'ready' || this.#sub.status !== 'ready') throw new Error(`redis ${this.#cmd.status}/${this.#sub.status}`);
      await this.#cmd.ping();
      this.#lastPong = Date.now();
      this.#gauges.redisRttMs = Number(process.hrtime.bigint() - t0) / 1e6;
      if (!this.#ready) {
        await this.#checkKeys();
        await this.#join();
      }
      await this.#publishStats();
    } catch (e) {
      if (e instanceof ClusterError) this.#host.log.error({ err: e.message }, 'refused by the cluster');
      if (Date.now() - this.#lastPong > PING_TIMEOUT_MS || e instanceof ClusterError) this.#lost((e as Error).message);
    }
  }

  /** This node's counters into Redis; the cluster's totals back (cluster-wide metrics). */
  async #publishStats(): Promise<void> {
    const s = this.#host.stats;
    let connections = 0;
    for (const _ of this.#host.allConnections()) connections++;
    const now = Date.now();
    const key = P + 'stats:' + this.#node;
    const res = await this.#cmd
      .multi()
      .set(P + 'alive:' + this.#node, '1', 'PX', ALIVE_TTL_MS)
      .hset(key, 'connections', connections, 'forwarded', s.framesForwarded, 'cross', s.crossNodeOut)
      .pexpire(key, ALIVE_TTL_MS)
      .zadd(P + 'nodes', now, this.#node)
      .zremrangebyscore(P + 'nodes', '-inf', now - ALIVE_TTL_MS)
      .zrange(P + 'nodes', 0, -1)
      .hmget(P + 'g', 'frames', 'bytes', 'boxes')
      .exec();
    const nodes = (res?.[5]?.[1] as string[] | undefined) ?? [];
    const g = (res?.[6]?.[1] as (string | null)[] | undefined) ?? [];
    const pipe = this.#cmd.pipeline();
    for (const n of nodes) pipe.hmget(P + 'stats:' + n, 'connections', 'forwarded', 'cross');
    const per = (await pipe.exec()) ?? [];
    let conns = 0;
    let fwd = 0;
    let cross = 0;
    for (const [, v] of per) {
      const [c, f, x] = (v as (string | null)[] | null) ?? [];
      conns += Number(c ?? 0);
      fwd += Number(f ?? 0);
      cross += Number(x ?? 0);
    }
    this.#gauges = {
      nodes: nodes.length,
      connections: conns,
      framesForwarded: fwd,
      crossNodeFrames: cross,
      mailbox: { frames: Number(g[0] ?? 0), bytes: Number(g[1] ?? 0), mailboxes: Number(g[2] ?? 0) },
      redisRttMs: this.#gauges.redisRttMs,
    };
  }

  // ---- messages from other nodes ------------------------------------------------------------

  #onMessage(channel: Buffer, message: Buffer): void {
    const type = message[0];
    if (type === 0x46 /* F */) {
      // F, vouched (1 char), source length (1 byte), source, sender key pair (hex), id, frame
      const srcEnd = 3 + message[2]!;
      const senderEnd = srcEnd + 2 * KEY_SIZE * 2;
      const msg = message.subarray(senderEnd);
      this.#host.stats.crossNodeIn++;
      const holders = this.#host.router.holders(msg.toString('latin1', 0, ID_SIZE));
      if (holders !== undefined) return deliverAll(holders, msg.subarray(ID_SIZE));
      // The holder left between the routing decision and now: route it again (its mailbox, or its new node).
      const vouched = message[1] === 0x31 ? '1' : '0';
      this.#call(Buffer.from(msg), message.toString('latin1', senderEnd - 4 * KEY_SIZE, senderEnd), message.toString('latin1', 3, srcEnd), vouched, REROUTE);
    } else if (type === 0x52 /* R */) {
      const holderKey = Buffer.from(message.toString('latin1', 1), 'hex').toString('latin1');
      for (const c of this.#host.router.holders(holderKey.slice(0, ID_SIZE)) ?? []) {
        if (c.holderKey === holderKey) {
          c.bound = false;
          this.#host.router.unbind(c);
          c.close('replaced', 'same key pair connected to another node');
        }
      }
    } else if (type === 0x57 /* W */) {
      const reason = message[1] === 0x63 /* c */ ? 'call' : 'message';
      const tag = Uint8Array.from(message.subarray(2));
      // Counted as sent by the node that queued the frame (the ROUTE script's answer).
      for (const n of notifierConnections(this.#host)) n.sendControl({ type: 'wake', tag, reason });
    } else if (type === 0x53 /* S */ && channel.toString() === P + 'all') {
      const idKey = Buffer.from(message.toString('latin1', 1), 'hex').toString('latin1');
      for (const c of this.#awaitingSecret.get(idKey) ?? []) void this.#vouchIfValid(c, idKey, c.vouch!.waiting.get(idKey)!);
    }
  }

  // ---- SharedState --------------------------------------------------------------------------

  async bind(conn: Connection): Promise<{ bound: boolean; mailbox: Uint8Array[] }> {
    const L = this.#host.limits;
    const r = (await this.#script('bind')(hex(conn.idKey), hex(conn.holderKey), this.#node, L.maxKeypairsPerId, L.mailboxTtlMs, L.mailboxEntryOverhead)) as (Buffer | number)[];
    this.#host.stats.drops.mailbox_expired += Number(r[1]);
    const mailbox = r.slice(2) as Buffer[];
    return { bound: Number(r[0]) === 1, mailbox };
  }

  restore(conn: Connection, frames: Uint8Array[]): void {
    for (const f of frames) this.#call(Buffer.concat([Buffer.from(conn.idKey, 'latin1'), f]), 'restored', 'restored', '1', QUEUE_ONLY);
  }

  route(from: Connection, frame: Buffer): void {
    // The route holds the sender's id from here on (the mailbox and other nodes need it).
    const msg = Buffer.allocUnsafe(ID_SIZE + frame.length);
    frame.copy(msg, 0, 0, ID_SIZE);
    from.id.copy(msg, ID_SIZE);
    frame.copy(msg, 2 * ID_SIZE, ID_SIZE);
    const vouched = from.vouch?.ids.has(msg.toString('latin1', 0, ID_SIZE)) ?? false;
    this.#call(msg, senderHex(from), from.address, vouched ? '1' : '0', ROUTE_MODE);
  }

  /** Runs the ROUTE script for `msg` (id ‖ frame) and acts on its answer. */
  #call(msg: Buffer, sender: string, source: string, vouched: string, mode: string): void {
    const stats = this.#host.stats;
    if (!this.#ready || this.#inflight + msg.length > MAX_INFLIGHT_BYTES) {
      stats.drops.cluster_unavailable++;
      return;
    }
    this.#inflight += msg.length;
    const idHex = msg.toString('hex', 0, ID_SIZE);
    this.#script('route')(idHex, this.#node, msg, sender, source, vouched, mode, ...this.#limitArgs, this.#notifierHex).then(
      (res) => {
        this.#inflight -= msg.length;
        const [loc, remote, status, evicted, expired, sent, limited, nonot] = res as [number, number, Buffer, number, number, number, number, number];
        const st = status.toString();
        stats.crossNodeOut += remote;
        stats.drops.mailbox_evicted += evicted;
        stats.drops.mailbox_expired += expired;
        stats.wakesSent += sent;
        stats.drops.wake_rate_limited += limited;
        stats.drops.wake_no_notifier += nonot;
        if (st === 'queued') stats.framesQueued++;
        else if (MAILBOX_DROPS.has(st)) stats.drops[st as MailboxDrop]++;
        if (loc === 1) {
          const holders = this.#host.router.holders(msg.toString('latin1', 0, ID_SIZE));
          if (holders !== undefined) deliverAll(holders, msg.subarray(ID_SIZE));
          else if (mode === ROUTE_MODE) this.#call(msg, sender, source, vouched, REROUTE); // left meanwhile
        }
      },
      (e: Error) => {
        this.#inflight -= msg.length;
        stats.drops.cluster_unavailable++;
        this.#host.log.debug({ err: e.message }, 'routing through Redis failed');
      },
    );
  }

  unbound(conn: Connection): void {
    if (!this.#ready) return;
    this.#script('unbind')(hex(conn.idKey), hex(conn.holderKey), this.#node).catch(() => {});
  }

  touch(conn: Connection): void {
    if (!this.#ready || conn.holderKey === '') return;
    this.#script('touch')(hex(conn.holderKey)).catch(() => {});
  }

  async registerWake(conn: Connection, tag: Uint8Array): Promise<void> {
    const value = tag.every((b) => b === 0) ? '' : Buffer.from(tag);
    await this.#script('register')('wake', hex(conn.idKey), hex(conn.holderKey), value, this.#host.limits.wakeMaxRegistrations).catch(() => {});
  }

  async ring(idKey: string): Promise<void> {
    const L = this.#host.limits;
    const r = (await this.#script('ring')(hex(idKey), L.wakeMinIntervalMs, L.wakeRegistrationTtlMs, this.#notifierHex).catch(() => [0, 0, 0])) as number[];
    this.#host.stats.wakesSent += r[0]!;
    this.#host.stats.drops.wake_rate_limited += r[1]!;
    this.#host.stats.drops.wake_no_notifier += r[2]!;
  }

  async registerSecret(conn: Connection, secret: Uint8Array): Promise<void> {
    const L = this.#host.limits;
    let value: Buffer | string = '';
    if (!secret.every((b) => b === 0)) {
      const key = mailboxTokenKey(secret);
      value = Buffer.from(key);
      key.fill(0);
    }
    await this.#script('register')('sec', hex(conn.idKey), hex(conn.holderKey), value, L.maxMailboxSecrets).catch(() => {});
    if (typeof value !== 'string') value.fill(0);
  }

  async presentTokens(conn: Connection, tokens: { recipient: Uint8Array; token: Uint8Array }[]): Promise<void> {
    await Promise.all(tokens.map(({ recipient, token }) => this.#vouchIfValid(conn, Buffer.from(recipient).toString('latin1'), token)));
  }

  /** Vouches `conn` for `idKey` if `token` matches a registered secret; else keeps it waiting for one. */
  async #vouchIfValid(conn: Connection, idKey: string, token: Uint8Array): Promise<void> {
    let keys: Buffer[];
    try {
      keys = (await this.#script('secrets')(hex(idKey), this.#host.limits.mailboxTtlMs)) as Buffer[];
    } catch {
      keys = [];
    }
    const vouch = conn.vouch!;
    // holderKey = latin1(X25519 key) ‖ latin1(Ed25519 key)
    const pair = Buffer.from(conn.holderKey, 'latin1');
    const presenter = { x: pair.subarray(0, KEY_SIZE), ed: pair.subarray(KEY_SIZE) };
    let ok = false;
    // Every key is checked (no early exit): the time taken does not say which matched.
    for (const k of keys) if (mailboxTokensEqual(mailboxToken(k, presenter), token)) ok = true;
    let waiting = this.#awaitingSecret.get(idKey);
    if (ok) {
      vouch.ids.add(idKey);
      if (vouch.waiting.delete(idKey)) {
        waiting?.delete(conn);
        if (waiting?.size === 0) this.#awaitingSecret.delete(idKey);
      }
      return;
    }
    if (conn.state === State.Closed) return; // forget() ran already
    vouch.waiting.set(idKey, token);
    if (waiting === undefined) this.#awaitingSecret.set(idKey, (waiting = new Set()));
    waiting.add(conn);
  }

  forget(conn: Connection): void {
    forgetWaiting(this.#awaitingSecret, conn);
  }

  async turnAllowed(conn: Connection): Promise<boolean> {
    const L = this.#host.limits;
    try {
      const r = await this.#script('buckets')(
        't:' + hex(conn.holderKey),
        L.turnRequestsPerMinute / 60,
        L.turnRequestsPerMinute,
        's:' + conn.address,
        L.turnRequestsPerAddressPerMinute / 60,
        L.turnRequestsPerAddressPerMinute,
      );
      return Number(r) === 1;
    } catch {
      return false;
    }
  }

  sweep(): void {
    if (!this.#ready) return;
    const L = this.#host.limits;
    this.#script('sweep')(L.mailboxTtlMs, L.mailboxEntryOverhead, L.wakeRegistrationTtlMs, L.mailboxTtlMs, SWEEP_BATCH).then(
      (n) => (this.#host.stats.drops.mailbox_expired += Number(n)),
      () => {},
    );
  }

  mailboxGauges(): MailboxGauges {
    return this.#gauges.mailbox;
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#timer);
    if (this.#started && this.#cmd.status === 'ready') {
      await this.#cmd.multi().del(P + 'alive:' + this.#node, P + 'stats:' + this.#node).zrem(P + 'nodes', this.#node).exec().catch(() => {});
    }
    this.#ready = false;
    // quit() lets the commands already sent (the last connections' unbinds) finish first.
    await this.#cmd.quit().catch(() => this.#cmd.disconnect());
    this.#sub.disconnect();
  }
}

/** Hands `frame` (its route holding the sender id) to each holder: copies for all but the last. */
function deliverAll(holders: readonly Connection[], frame: Buffer): void {
  const sender = Buffer.from(frame.subarray(0, ID_SIZE));
  const n = holders.length;
  for (let i = 0; i < n - 1; i++) holders[i]!.deliver(Buffer.from(frame), sender);
  holders[n - 1]!.deliver(frame, sender);
}
