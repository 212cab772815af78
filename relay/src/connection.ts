/**
 * One client socket: the handshake (with its timeout), then frames. Per frame, on the hot
 * path: a length check, the token buckets, the kind byte, and the route unmasked in place
 * (one BLAKE3 compression); nothing else of the frame is decoded. Control frames (route 0)
 * are decoded and verified off the hot path, in order. Every connection closes once, with
 * one of the spec's close codes.
 *
 * Relay-to-client frames are counted in send order: a peer frame is masked with the next
 * counter as it is handed to the socket; a control frame reserves its counter when its
 * sealing starts, and frames behind it wait in `#queue` until it is sealed.
 */
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { Deadlines } from './deadlines.ts';
import { endParserOnce, holdWrites } from './socket-io.ts';
import type { Limits } from './limits.ts';
import type { Logger } from './logger.ts';
import type { DropReason, RelayStats } from './metrics.ts';
import { FrameByteBucket, TokenBucket } from './ratelimit.ts';
import type { Holder } from './router.ts';
import type { ControlIn, ControlOut, HandshakePort, Incoming, RelayCrypto, SessionPort } from './session-port.ts';
import {
  CLOSE,
  type CloseName,
  ID_SIZE,
  KIND,
  MIN_FRAME_SIZE,
  WS_ABNORMAL_CLOSURE,
  WS_INVALID_DATA,
  WS_POLICY_VIOLATION,
  WS_MESSAGE_TOO_BIG,
  WS_NORMAL_CLOSURE,
  WS_PROTOCOL_ERROR,
} from './wire.ts';

/** What a connection needs from the relay around it (relay.ts). */
export interface RelayContext {
  readonly limits: Limits;
  readonly stats: RelayStats;
  readonly log: Logger;
  readonly crypto: RelayCrypto;
  /** Connections still in their handshake, each until handshakeTimeoutMs (one shared timer). */
  readonly handshakes: Deadlines<Connection>;
  /**
   * Binds a freshly authenticated connection; returns the mailbox frames to deliver first (a
   * promise on a cluster node, whose routing table and mailboxes are in Redis).
   */
  bindSession(conn: Connection): Uint8Array[] | Promise<Uint8Array[]>;
  /** Puts frames back into the mailbox of a connection that failed before its WELCOME went out. */
  restoreMailbox(conn: Connection, frames: Uint8Array[]): void;
  /** Routes a peer or first-contact frame whose route holds the recipient id (unmasked). */
  route(from: Connection, frame: Buffer): void;
  /** Acts on a verified control message (a promise when that takes the cluster's shared state). */
  control(conn: Connection, msg: ControlIn): void | Promise<void>;
  /** The connection is gone: unbind it and release its address slot. */
  released(conn: Connection): void;
}

export const enum State {
  /** Waiting for the CHALLENGE to be built. */
  Challenge,
  /** CHALLENGE sent; the next message must be HELLO. */
  AwaitHello,
  /** HELLO being verified. */
  Verifying,
  /** Bound; WELCOME being built. Frames for this client wait unmasked in `#early`. */
  Welcoming,
  Session,
  Closed,
}

interface PendingControl {
  frame: Buffer | null;
}

/**
 * ws's own close codes for protocol errors (it closes before we see the error), mapped to
 * the spec's close code and the metrics' drop reason.
 */
function mapWsClose(code: number | undefined): { code: number; reason: DropReason } | undefined {
  if (code === WS_MESSAGE_TOO_BIG) return { code: CLOSE.too_large, reason: 'too_large' };
  if (code === WS_PROTOCOL_ERROR || code === WS_INVALID_DATA) return { code: CLOSE.malformed_frame, reason: 'malformed_frame' };
  if (code === WS_POLICY_VIOLATION) return { code: CLOSE.rate_limited, reason: 'ws_too_many_parts' };
  return undefined;
}

/**
 * The relay's WebSocket class (the server's `WebSocket` option). ws closes a socket by itself
 * on an oversized or broken WebSocket frame (1009, 1002, 1007) before it tells us: `close`
 * maps those codes to the spec's, so every close carries one, and tells the connection. The
 * socket's events go to module-level listeners that find the connection here, so an idle
 * connection holds no closures of its own (memory per connection is a target).
 */
export class RelaySocket extends WebSocket {
  conn: Connection | undefined = undefined;

  override close(code?: number, data?: string | Buffer): void {
    const mapped = mapWsClose(code);
    if (mapped === undefined) return super.close(code, data);
    this.conn?.wsProtocolError(mapped.reason);
    super.close(mapped.code, data);
  }
}

// ws calls listeners with `this` = the socket (a RelaySocket: the server's WebSocket class).
function onWsMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  (this as RelaySocket).conn?.onMessage(data, isBinary);
}

function onWsPong(this: WebSocket): void {
  const conn = (this as RelaySocket).conn;
  if (conn !== undefined) conn.lastSeen = Date.now();
}

function onWsClose(this: WebSocket, code: number): void {
  (this as RelaySocket).conn?.socketClosed(code);
}

// A ping costs a pong: pings spend the frame and byte buckets like frames, so a ping flood
// closes with rate_limited instead of queueing pongs without bound.
function onWsPing(this: WebSocket, data: Buffer): void {
  (this as RelaySocket).conn?.onPing(data.length);
}

function onWsError(): void {
  // 'close' follows; ws already chose the code (mapped in RelaySocket.close).
}

const NO_ID = Buffer.alloc(0);

export class Connection implements Holder {
  state = State.Challenge;
  idKey = '';
  holderKey = '';
  /** The client's id, written into the route of every frame it sends (relay to recipient). */
  id: Buffer = NO_ID;
  bound = false;
  lastSeen: number;
  /** Per-connection rate limit of RING, created on first use. */
  ringBucket: TokenBucket | undefined;
  /**
   * Ids whose mailbox token this session presented and the relay accepted (vouch.ts), the
   * count of tokens checked (bounded by mailboxTokensPerSession), and the tokens that matched no
   * registered secret yet (checked again when a holder of that id registers one: after a relay
   * restart a contact may present before the recipient has re-registered); created on first use.
   */
  vouch: { ids: Set<string>; checked: number; waiting: Map<string, Uint8Array> } | undefined;

  #hs: HandshakePort | undefined;
  #session: SessionPort | undefined;
  #bucket: FrameByteBucket;
  #queue: (Buffer | PendingControl)[] | null = null;
  #queuedBytes = 0;
  #early: Buffer[] | null = null;
  #earlyFrom: (Uint8Array | null)[] | null = null;
  #earlyBytes = 0;
  #pendingControl = 0;
  /** Bytes of peer frames waiting behind control frames (#routeAfterControl). */
  #heldBytes = 0;
  /** Control frames from the client are opened in order, one after the other; created on first use. */
  #controlChain: Promise<void> | undefined;

  constructor(
    readonly ctx: RelayContext,
    readonly ws: RelaySocket,
    readonly address: string,
    readonly serial: number,
    /** The raw socket under `ws`, to hold writes (holdWrites); absent in tests that fake `ws`. */
    readonly socket?: Duplex,
  ) {
    const L = ctx.limits;
    this.#bucket = new FrameByteBucket(L.frameRate, L.frameBurst, L.byteRate, L.byteBurst);
    this.lastSeen = Date.now();
    ws.conn = this;
    endParserOnce(ws);
    ws.on('message', onWsMessage);
    ws.on('pong', onWsPong);
    ws.on('ping', onWsPing);
    ws.on('close', onWsClose);
    ws.on('error', onWsError);
  }

  /** ws is closing the socket for a WebSocket protocol error (RelaySocket.close). */
  wsProtocolError(reason: DropReason): void {
    if (this.state === State.Closed) return;
    this.#count(reason);
    this.#teardown();
  }

  /** The socket closed; 1006 before the relay closed it: the peer cut it (or ws did, unasked). */
  socketClosed(code: number): void {
    if (this.state !== State.Closed && code === WS_ABNORMAL_CLOSURE) this.#count('socket_aborted');
    this.#teardown();
  }

  onPing(bytes: number): void {
    if (this.state === State.Closed) return;
    if (!this.#bucket.take(bytes + MIN_FRAME_SIZE, Date.now())) this.close('rate_limited', 'ping flood');
  }

  /** Sends CHALLENGE and arms the handshake timeout. */
  async start(): Promise<void> {
    const hs = (this.#hs = this.ctx.crypto.newHandshake());
    this.ctx.handshakes.add(this);
    try {
      const challenge = await hs.challenge(Date.now());
      if (this.state !== State.Challenge) return;
      this.ws.send(challenge);
      this.state = State.AwaitHello;
    } catch (e) {
      this.#handshakeFailed(`challenge: ${(e as Error).message}`);
    }
  }

  onMessage(data: Buffer, isBinary: boolean): void {
    const state = this.state;
    if (state === State.Session) {
      const len = data.length;
      if (!isBinary || len < MIN_FRAME_SIZE) return this.close('malformed_frame', 'short or text frame');
      const now = Date.now();
      if (!this.#bucket.take(len, now)) return this.close('rate_limited', 'frame or byte bucket empty');
      this.lastSeen = now;
      let r: Incoming;
      try {
        // In place: the route now holds the recipient id (zeros for control). Length, kind
        // and "control if and only if id 0" are checked; nothing else is decoded here.
        r = this.#session!.unmaskIncoming(data);
      } catch (e) {
        return this.close('malformed_frame', (e as Error).message);
      }
      if (r.kind === KIND.control) this.#control(data, r.counter);
      else if (this.#pendingControl > 0) this.#routeAfterControl(data);
      else this.ctx.route(this, data);
      return;
    }
    if (state === State.AwaitHello) {
      this.state = State.Verifying;
      if (!isBinary) return this.#handshakeFailed('text message');
      void this.#hello(data);
      return;
    }
    if (state !== State.Closed) this.#handshakeFailed('message out of order');
  }

  async #hello(frame: Buffer): Promise<void> {
    const hs = this.#hs!;
    let mailbox: Uint8Array[] = [];
    try {
      const keys = await hs.hello(frame);
      if (this.state !== State.Verifying) return;
      this.ctx.handshakes.delete(this);
      this.id = Buffer.from(keys.x.subarray(0, ID_SIZE));
      this.idKey = this.id.toString('latin1');
      this.holderKey = Buffer.from(keys.x).toString('latin1') + Buffer.from(keys.ed).toString('latin1');
      this.state = State.Welcoming;
      this.#early = [];
      this.#earlyFrom = [];
      const bound = this.ctx.bindSession(this);
      // A cluster node: frames from other nodes may arrive (into #early) while the binding is made;
      // the mailbox, taken atomically with the binding, holds older frames and goes first.
      mailbox = bound instanceof Promise ? await bound : bound;
      if (this.state !== State.Welcoming) return mailbox.length > 0 ? this.ctx.restoreMailbox(this, mailbox) : undefined;
      const [arrived, arrivedFrom] = [this.#early!, this.#earlyFrom!];
      [this.#early, this.#earlyFrom, this.#earlyBytes] = [[], [], 0];
      for (const f of mailbox) this.#pushEarly(Buffer.from(f.buffer, f.byteOffset, f.byteLength), null);
      for (let i = 0; i < arrived.length && this.#early !== null; i++) this.#pushEarly(arrived[i]!, arrivedFrom[i]!);
      const L = this.ctx.limits;
      const { frame: welcome, session } = await hs.welcome({
        relayTime: Date.now(),
        maxFrameSize: L.maxFrameSize,
        frameRate: L.frameRate,
        byteRate: L.byteRate,
        mailboxPending: mailbox.length,
      });
      this.#hs = undefined;
      if (this.state !== State.Welcoming) {
        session.destroy();
        return;
      }
      this.#session = session;
      if (this.socket !== undefined) holdWrites(this.socket); // WELCOME, the mailbox and MAILBOX_DRAINED in one write
      this.ws.send(welcome);
      this.state = State.Session;
      this.ctx.stats.handshakes++;
      this.lastSeen = Date.now();
      const [early, earlyFrom] = [this.#early, this.#earlyFrom!];
      [this.#early, this.#earlyFrom, this.#earlyBytes] = [null, null, 0];
      for (let i = 0; i < early.length; i++) this.deliver(early[i]!, earlyFrom[i] ?? early[i]!.subarray(0, ID_SIZE));
      // With nothing queued WELCOME said so (mailbox_pending 0): no MAILBOX_DRAINED (spec).
      if (mailbox.length > 0) this.sendControl({ type: 'mailbox_drained', delivered: mailbox.length });
    } catch (e) {
      if (mailbox.length > 0 && this.state === State.Welcoming) this.ctx.restoreMailbox(this, mailbox);
      this.#handshakeFailed(`hello: ${(e as Error).message}`);
    }
  }

  /**
   * Hands a frame to this client, its route rewritten to `senderId` masked for this
   * connection, in place: the caller must not reuse `frame`.
   */
  deliver(frame: Buffer, senderId: Uint8Array): void {
    const state = this.state;
    const len = frame.length;
    if (state === State.Session) {
      if (this.ws.bufferedAmount + this.#queuedBytes + len > this.ctx.limits.sendBufferMaxBytes) {
        return this.close('slow_reader', 'send buffer over the bound');
      }
      this.#session!.deliver(frame, senderId);
      if (this.#queue === null) this.ws.send(frame);
      else {
        this.#queue.push(frame);
        this.#queuedBytes += len;
      }
      const stats = this.ctx.stats;
      stats.framesForwarded++;
      stats.bytesForwarded += len;
    } else if (state === State.Welcoming) {
      this.#pushEarly(frame, senderId);
    }
  }

  /** Keeps a frame until WELCOME is out; `senderId` null means the route already holds it (mailbox). */
  #pushEarly(frame: Buffer, senderId: Uint8Array | null): void {
    if (this.#earlyBytes + frame.length > this.ctx.limits.sendBufferMaxBytes) {
      return this.close('slow_reader', 'too much waiting for WELCOME');
    }
    this.#early!.push(frame);
    this.#earlyFrom!.push(senderId);
    this.#earlyBytes += frame.length;
  }

  /** Seals and sends a control message (in order with everything else sent). */
  sendControl(msg: ControlOut): void {
    if (this.state !== State.Session) return;
    const entry: PendingControl = { frame: null };
    // sealControl takes the next counter now; frames sent after it wait behind it in #queue.
    const sealing = this.#session!.sealControl(msg);
    (this.#queue ??= []).push(entry);
    sealing.then(
      (sealed) => {
        if (this.state !== State.Session) return;
        entry.frame = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
        this.#flush();
      },
      (e: Error) => {
        this.ctx.log.error({ conn: this.serial, err: e.message }, 'sealing a control frame failed');
        this.close('shutting_down', 'control seal failed');
      },
    );
  }

  /** Resolves when every control frame queued so far has been handed to the socket. */
  async flushed(): Promise<void> {
    while (this.#queue !== null && this.state === State.Session) await new Promise((r) => setImmediate(r));
  }

  #flush(): void {
    const q = this.#queue;
    if (q === null) return;
    let i = 0;
    for (; i < q.length; i++) {
      const e = q[i]!;
      if (e instanceof Uint8Array) {
        this.#queuedBytes -= e.length;
        this.ws.send(e);
      } else if (e.frame !== null) {
        this.ws.send(e.frame);
      } else break;
    }
    if (i === q.length) this.#queue = null;
    else q.splice(0, i);
  }

  #control(frame: Buffer, counter: number): void {
    if (this.#pendingControl >= this.ctx.limits.maxPendingControl) {
      return this.close('rate_limited', 'too many control frames in flight');
    }
    this.#pendingControl++;
    const session = this.#session!;
    this.#controlChain = (this.#controlChain ?? Promise.resolve())
      .then(async () => {
        if (this.state !== State.Session) return;
        let msg: ControlIn;
        try {
          msg = await session.openControl(frame, counter);
        } catch (e) {
          return this.close('malformed_frame', `control frame: ${(e as Error).message}`);
        }
        if (this.state !== State.Session) return;
        this.ctx.stats.controlFrames++;
        // A promise (cluster state) is chained: frames held behind this control frame wait for it.
        return this.ctx.control(this, msg);
      })
      // A failure here must not reject the chain: every later control frame (and frame held
      // behind one) would be skipped silently.
      .catch((e: Error) => {
        this.ctx.log.error({ conn: this.serial, err: e.message }, 'acting on a control frame failed');
      })
      .finally(() => {
        this.#pendingControl--;
      });
  }

  /**
   * A frame sent after a control frame still being verified waits for it, so a command applies
   * to every frame after it (present_mailbox_tokens before the frames it vouches for). The
   * bytes waiting are bounded like a send buffer.
   */
  #routeAfterControl(frame: Buffer): void {
    if (this.#heldBytes + frame.length > this.ctx.limits.sendBufferMaxBytes) {
      return this.close('rate_limited', 'too much waiting behind control frames');
    }
    this.#heldBytes += frame.length;
    this.#controlChain = this.#controlChain!.then(() => {
      this.#heldBytes -= frame.length;
      if (this.state !== State.Session) return;
      try {
        this.ctx.route(this, frame);
      } catch (e) {
        this.ctx.log.error({ conn: this.serial, err: (e as Error).message }, 'routing a frame held behind a control frame failed');
      }
    });
  }

  /** No HELLO within handshakeTimeoutMs (called by `ctx.handshakes`). */
  handshakeTimedOut(): void {
    if (this.state >= State.Welcoming) return;
    this.ctx.stats.handshakeFailures.timeout++;
    this.ctx.log.debug({ conn: this.serial }, 'handshake timed out');
    this.close('idle_timeout', 'no HELLO in time');
  }

  #handshakeFailed(detail: string): void {
    if (this.state === State.Closed) return;
    this.ctx.stats.handshakeFailures.invalid++;
    // The client sees one generic code; the log says which check failed (spec handshake).
    this.ctx.log.debug({ conn: this.serial, check: detail }, 'handshake failed');
    this.close('handshake_failed', detail);
  }

  #count(reason: DropReason): void {
    this.ctx.stats.drops[reason]++;
  }

  /** Closes once with a spec close code; the reason text on the wire stays empty. */
  close(name: CloseName, detail: string): void {
    if (this.state === State.Closed) return;
    const leaving = name === 'shutting_down' || name === 'reconnect_elsewhere';
    if (name !== 'handshake_failed' && name !== 'replaced' && !leaving) this.#count(name as DropReason);
    if (name !== 'replaced' && !leaving) {
      this.ctx.log.debug({ conn: this.serial, close: name, detail }, 'closing connection');
    }
    this.#teardown();
    this.ws.close(CLOSE[name]);
    this.#armTerminate();
  }

  /** Normal close after BYE. */
  closeNormally(): void {
    if (this.state === State.Closed) return;
    this.#teardown();
    this.ws.close(WS_NORMAL_CLOSURE);
    this.#armTerminate();
  }

  /** Destroys the socket now (shutdown after the grace period). */
  terminate(): void {
    this.#teardown();
    this.ws.terminate();
  }

  #armTerminate(): void {
    const t = setTimeout(() => this.ws.terminate(), this.ctx.limits.closeGraceMs);
    t.unref();
    this.ws.once('close', () => clearTimeout(t));
  }

  #teardown(): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    this.ctx.handshakes.delete(this);
    this.#hs?.destroy();
    this.#hs = undefined;
    this.#session?.destroy();
    this.#session = undefined;
    this.#queue = null;
    this.#early = null;
    this.ctx.released(this);
  }
}
