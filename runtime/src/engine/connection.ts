/**
 * One relay connection at a time: connect, handshake with the pinned relay keys (spec
 * `handshake`), then frames in and out in socket order; on any close, reconnect with full-jitter
 * exponential backoff (RECONNECT_BASE_MS .. RECONNECT_MAX_MS).
 *
 * A relay of several nodes (spec documents.well_known endpoints): the endpoints are dialled in
 * random order (endpoints.ts); a node that cannot be reached, fails the handshake, drops the
 * connection or closes with reconnect_elsewhere is left for the next one at once, and the
 * backoff only starts when every node has failed in a row. Closes that are about this client
 * or the whole relay (replaced, rate_limited, too_many_connections, shutting_down) back off as
 * before. What was queued is not carried over: the engine's outbox re-sends every message the
 * relay did not acknowledge when the next session comes up, whichever node it is on.
 *
 * Counters (spec structs.frame.route): every frame takes the next counter of its direction, so
 * frames are unmasked in arrival order (synchronously, as they come off the socket) and sent by
 * one loop in the order their counters were taken. The loop paces frames at the rates WELCOME
 * announced and waits while the socket's send buffer is full. Control and small frames go before
 * bulk ones (outbox resends, file chunks).
 */
import {
  CloseCode,
  CloseCodeNames,
  HANDSHAKE_TIMEOUT_MS,
  RECONNECT_MAX_MS,
  type ControlMessage,
  type WelcomeBody,
} from '@parley/generated';
import type { CryptoBackend } from '../crypto/index.ts';
import { ClientHandshake } from '../protocol/handshake-client.ts';
import type { Identity, PublicKeys } from '../protocol/identity.ts';
import { ClientSession, type IncomingRoute } from '../protocol/session.ts';
import { Pacer, backoffDelay } from './backoff.ts';
import { EndpointRing } from './endpoints.ts';
import { RATE_HEADROOM, SEND_HIGH_WATER_BYTES } from './limits.ts';
import type { Socket, Transport } from './transport.ts';
import type { ConnectionState } from './types.ts';

export interface ConnectionOptions {
  /** The relay's node URLs (one for a single relay), dialled in random order. */
  endpoints: readonly string[];
  relay: PublicKeys;
  identity: Identity;
  backend: CryptoBackend;
  transport: Transport;
  now: () => number;
  random: () => number;
}

export interface ConnectionHooks {
  state(s: ConnectionState): void;
  /** The session is up (epoch counts sessions); queue what must go first. */
  online(epoch: number, welcome: WelcomeBody): void;
  /** A peer or first-contact frame, route unmasked; frames are handed over one at a time, in order. */
  frame(route: IncomingRoute, frame: Uint8Array): Promise<void>;
  control(message: ControlMessage): void;
  /** A frame that failed before reaching the engine (unmask or control open). */
  dropped(kind: string, err: unknown): void;
}

/** A frame waiting to be sent: built at send time, when its counter is taken. */
export interface Outgoing {
  /** Bytes it will roughly take (for pacing). */
  size: number;
  bulk?: boolean;
  build(session: ClientSession): Promise<Uint8Array | undefined> | Uint8Array | undefined;
  sent?(): void;
}

export class Connection {
  readonly #o: ConnectionOptions;
  readonly #hooks: ConnectionHooks;
  #running = false;
  #connecting = false;
  #socket: Socket | undefined;
  #session: ClientSession | undefined;
  #epoch = 0;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #minDelay = 0;
  #high: Outgoing[] = [];
  #bulk: Outgoing[] = [];
  #pumping = false;
  #pacer: Pacer | undefined;
  #wake: (() => void) | undefined;
  #onIdle: (() => void) | undefined;
  /** stop() waiting for the relay to close the socket after the farewell. */
  #onSocketClosed: (() => void) | undefined;
  #state: ConnectionState = { state: 'stopped' };
  readonly #endpoints: EndpointRing;

  constructor(o: ConnectionOptions, hooks: ConnectionHooks) {
    this.#o = o;
    this.#hooks = hooks;
    this.#endpoints = new EndpointRing(o.endpoints, o.random);
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get online(): boolean {
    return this.#session !== undefined;
  }

  /** Counts sessions: frames queued in an earlier epoch are not sent. */
  get epoch(): number {
    return this.#epoch;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#connect();
  }

  /**
   * Stops reconnecting and closes the connection. If online, what is queued goes first, then
   * `farewell`, and the stop waits for the relay to close the socket (it has then unbound this
   * session); at most `graceMs` are spent waiting.
   */
  async stop(farewell?: Outgoing, graceMs = 1000): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearTimeout(this.#retryTimer);
    const socket = this.#socket;
    if (socket && this.#session && farewell) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs);
        const done = (): void => {
          clearTimeout(t);
          resolve();
        };
        // Sent is not enough: until the relay has read the farewell it keeps this session bound
        // and forwards frames to it, lost until their senders resend. The relay closes the socket
        // once it has unbound us, so the stop waits for that close.
        let sent = false;
        this.#onSocketClosed = done;
        this.#high.push({ ...farewell, sent: () => void (sent = true) });
        void this.#pump();
        // a failed build (nothing was sent) ends the wait too
        this.#onIdle = () => void (sent || done());
      });
    }
    this.#onIdle = undefined;
    this.#onSocketClosed = undefined;
    this.#teardown();
    socket?.close(1000, 'bye');
    this.#setState({ state: 'stopped' });
  }

  /** Reconnects now instead of waiting for the backoff timer (e.g. the app came to the foreground). */
  reconnectNow(): void {
    if (!this.#running || this.#socket || this.#connecting) return;
    clearTimeout(this.#retryTimer);
    void this.#connect();
  }

  /** Queues a frame for this session; false if offline (nothing queued). */
  send(item: Outgoing): boolean {
    if (!this.#session) return false;
    (item.bulk ? this.#bulk : this.#high).push(item);
    void this.#pump();
    return true;
  }

  /** Asks the relay to wait at least `ms` before the next reconnect (control SHUTDOWN). */
  delayNextReconnect(ms: number): void {
    this.#minDelay = Math.max(this.#minDelay, ms);
  }

  #setState(s: ConnectionState): void {
    this.#state = s;
    this.#hooks.state(s);
  }

  async #connect(): Promise<void> {
    if (!this.#running) return;
    if (this.#connecting || this.#socket) return;
    clearTimeout(this.#retryTimer);
    this.#connecting = true;
    const endpoint = this.#endpoints.current;
    this.#setState({ state: 'connecting', attempt: this.#attempt, endpoint });
    let socket: Socket;
    try {
      socket = await this.#o.transport.connect(endpoint);
    } catch (err) {
      this.#connecting = false;
      this.#scheduleRetry({ reason: 'connect failed', endpoint, error: describe(err) });
      return;
    } finally {
      this.#connecting = false;
    }
    if (!this.#running) {
      socket.close(1000, 'stopped');
      return;
    }
    this.#socket = socket;
    this.#setState({ state: 'handshaking' });
    const inbox: Uint8Array[] = [];
    let notify: (() => void) | undefined;
    let closed: { code: number; reason: string } | undefined;
    socket.onMessage((f) => {
      if (this.#socket !== socket) return;
      if (this.#session) this.#receive(f);
      else {
        inbox.push(f);
        notify?.();
      }
    });
    socket.onClose((code, reason) => {
      closed = { code, reason };
      notify?.();
      if (this.#socket === socket) this.#onSocketClosed?.();
      if (this.#socket !== socket) return;
      this.#teardown();
      const name = CloseCodeNames[code];
      if (code === CloseCode.replaced) this.delayNextReconnect(RECONNECT_MAX_MS);
      this.#scheduleRetry({ reason: name ?? (reason || 'closed'), endpoint, closeCode: code }, !STAY_CLOSES.has(code));
    });
    const next = (deadline: number): Promise<Uint8Array> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (inbox.length > 0) {
            clearTimeout(t);
            notify = undefined;
            resolve(inbox.shift()!);
          } else if (closed) {
            clearTimeout(t);
            reject(new Error(`closed during the handshake (${closed.code})`));
          }
        };
        const t = setTimeout(() => reject(new Error('handshake timed out')), Math.max(0, deadline - this.#o.now()));
        notify = check;
        check();
      });
    try {
      const deadline = this.#o.now() + HANDSHAKE_TIMEOUT_MS;
      const hs = new ClientHandshake({ backend: this.#o.backend, identity: this.#o.identity, relay: this.#o.relay, now: this.#o.now });
      socket.send(await hs.onChallenge(await next(deadline)));
      const { session, welcome } = await hs.onWelcome(await next(deadline));
      if (this.#socket !== socket) {
        // closed meanwhile; the close handler scheduled the retry
        return;
      }
      this.#session = new ClientSession(this.#o.backend, session, this.#o.identity.edSeed);
      this.#epoch++;
      this.#attempt = 0;
      this.#endpoints.succeeded();
      this.#pacer = new Pacer(welcome.frameRate * RATE_HEADROOM, welcome.byteRate * RATE_HEADROOM, this.#o.now);
      this.#setState({ state: 'online', endpoint, relayTime: welcome.relayTime, mailboxPending: welcome.mailboxPending });
      this.#hooks.online(this.#epoch, welcome);
      // frames that arrived after WELCOME while it was being checked
      for (const f of inbox.splice(0)) this.#receive(f);
    } catch (err) {
      if (this.#socket !== socket) return;
      this.#teardown();
      socket.close(1000, 'handshake failed');
      this.#scheduleRetry({ reason: 'handshake failed', endpoint, error: describe(err) });
    }
  }

  #teardown(): void {
    this.#onIdle?.();
    this.#socket = undefined;
    this.#session?.destroy();
    this.#session = undefined;
    this.#high = [];
    this.#bulk = [];
    this.#wake?.();
  }

  /**
   * After a failure on `info.endpoint`: the next endpoint at once if `failover` and one is left
   * in this round, else the backoff (and a new round).
   */
  #scheduleRetry(info: { reason: string; endpoint: string; closeCode?: number; error?: { code: string; message: string } }, failover = true): void {
    if (!this.#running) return;
    if (failover && this.#endpoints.fail()) {
      // Another node of the same relay: no reason to wait (a SHUTDOWN's delay was this node's).
      this.#minDelay = 0;
      this.#setState({ state: 'offline', attempt: this.#attempt, retryInMs: 0, retryAt: this.#o.now(), failover: this.#endpoints.current, ...info });
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => void this.#connect(), 0);
      return;
    }
    const delay = Math.max(backoffDelay(this.#attempt, this.#o.random), this.#minDelay);
    this.#minDelay = 0;
    const attempt = this.#attempt++;
    const retryAt = this.#o.now() + delay;
    this.#setState({ state: 'offline', attempt, retryInMs: delay, retryAt, ...info });
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => void this.#connect(), delay);
  }

  /** Unmasks (taking the counter now, in arrival order) and hands the frame on. */
  #receive(frame: Uint8Array): void {
    const session = this.#session!;
    let route: IncomingRoute;
    try {
      route = session.unmask(frame);
    } catch (err) {
      this.#hooks.dropped('frame', err);
      return;
    }
    this.#inQueue.push({ route, frame, session });
    void this.#drainIn();
  }

  #inQueue: { route: IncomingRoute; frame: Uint8Array; session: ClientSession }[] = [];
  #draining = false;

  async #drainIn(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let item = this.#inQueue.shift(); item; item = this.#inQueue.shift()) {
        const { route, frame, session } = item;
        if (route.id.every((b) => b === 0)) {
          if (session !== this.#session) continue; // a control frame of a closed session
          try {
            this.#hooks.control(await session.openControl(frame, route.counter));
          } catch (err) {
            this.#hooks.dropped('control', err);
          }
        } else {
          await this.#hooks.frame(route, frame);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** True while received frames are still being processed. */
  get busy(): boolean {
    return this.#draining || this.#inQueue.length > 0;
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const session = this.#session;
        const socket = this.#socket;
        if (!session || !socket) return;
        const item = this.#high.shift() ?? this.#bulk.shift();
        if (!item) return;
        while ((socket.bufferedAmount ?? 0) > SEND_HIGH_WATER_BYTES && this.#session === session) await this.#sleep(10);
        const wait = this.#pacer?.wait(item.size) ?? 0;
        if (wait > 0) await this.#sleep(wait);
        if (this.#session !== session) return;
        let bytes: Uint8Array | undefined;
        try {
          bytes = await item.build(session);
        } catch (err) {
          this.#hooks.dropped('outgoing', err);
          continue;
        }
        if (this.#session !== session) return; // a counter was taken in a dead session: harmless
        if (!bytes) continue;
        this.#pacer?.take(bytes.length);
        socket.send(bytes);
        item.sent?.();
      }
    } finally {
      this.#pumping = false;
      if (this.#high.length === 0 && this.#bulk.length === 0) this.#onIdle?.();
      // items queued for a newer session while this loop was finishing
      if (this.#session && (this.#high.length > 0 || this.#bulk.length > 0)) void this.#pump();
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(t);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}

/**
 * Closes that are about this client or the whole relay, not about the node: another node would
 * say the same, so they back off (as a single relay's clients do) instead of failing over.
 */
const STAY_CLOSES: ReadonlySet<number> = new Set([CloseCode.replaced, CloseCode.rateLimited, CloseCode.tooManyConnections, CloseCode.shuttingDown]);

function describe(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  return { code: typeof e?.code === 'string' ? e.code : 'ERROR', message: typeof e?.message === 'string' ? e.message : String(err) };
}
