/**
 * An in-process relay for engine tests: the runtime's relay-side handshake and sessions, routing
 * by id in memory, a mailbox for offline ids, and hooks to drop, duplicate or replay frames.
 * Not the real relay (relay/), which the end-to-end test uses.
 */
import { ControlType, FrameKind, RelayError, type ControlMessage } from '@parley/generated';
import { fromHex, nobleBackend, toHex, type CryptoBackend } from '../../src/crypto/index.ts';
import { RelayHandshake } from '../../src/protocol/handshake-relay.ts';
import { generateIdentity, type Identity } from '../../src/protocol/identity.ts';
import { RelaySession } from '../../src/protocol/session.ts';
import { SocketCallbacks, type Socket, type Transport } from '../../src/engine/transport.ts';

/** A frame as the relay saw it: sender id, recipient id, kind, bytes with the route cleared. */
export interface Seen {
  from: string;
  to: string;
  kind: number;
  frame: Uint8Array;
}

class RelayConn {
  readonly relay: FakeRelay;
  readonly client: SocketCallbacks;
  session: RelaySession | undefined;
  id = '';
  closed = false;
  #hs: RelayHandshake;
  #out: Promise<unknown> = Promise.resolve();
  #in: Promise<unknown> = Promise.resolve();

  constructor(relay: FakeRelay) {
    this.relay = relay;
    this.client = new SocketCallbacks();
    this.#hs = new RelayHandshake({ backend: relay.backend, relay: relay.identity });
    this.#queue(() => this.#hs.challenge());
  }

  /** Sends to the client in counter order: each builder runs when its turn comes. */
  #queue(build: () => Promise<Uint8Array | undefined> | Uint8Array | undefined): void {
    this.#out = this.#out.then(async () => {
      const f = await build();
      if (f && !this.closed) queueMicrotask(() => this.client.message(f));
    }).catch(() => undefined);
  }

  sendControl(m: ControlMessage): void {
    this.#queue(() => this.session?.sealControl(m));
  }

  deliver(frame: Uint8Array, from: Uint8Array): void {
    this.#queue(() => this.session?.deliver(frame.slice(), from));
  }

  fromClient(frame: Uint8Array): void {
    if (this.closed) return;
    const f = frame.slice();
    if (!this.session) {
      this.#in = this.#in.then(() => this.#handshake(f)).catch(() => this.close(4001, 'handshake failed'));
      return;
    }
    let route;
    try {
      route = this.session.unmaskIncoming(f);
    } catch {
      this.close(4002, 'malformed');
      return;
    }
    const kind = route.kind;
    const counter = route.counter;
    const to = route.id.slice();
    const session = this.session;
    this.#in = this.#in.then(async () => {
      if (kind === FrameKind.control) {
        const m = await session.openControl(f, counter);
        this.relay.onControl(this, m);
      } else {
        this.relay.route(this, to, kind, f);
      }
    }).catch(() => this.close(4002, 'malformed'));
  }

  async #handshake(f: Uint8Array): Promise<void> {
    const hello = await this.#hs.onHello(f);
    this.id = toHex(hello.clientId);
    const mailbox = this.relay.takeMailbox(this.id);
    const { frame, session } = await this.#hs.welcome({ mailboxPending: mailbox.length, limits: this.relay.limits });
    this.session = new RelaySession(this.relay.backend, session, this.relay.identity.edSeed);
    this.#queue(() => frame);
    this.relay.bind(this);
    for (const m of mailbox) this.deliver(m.frame, m.from);
    if (mailbox.length > 0) this.sendControl({ type: ControlType.mailboxDrained, body: { delivered: mailbox.length } });
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.relay.unbind(this);
    // after frames already queued for the client
    this.#out.then(() => queueMicrotask(() => this.client.close(code, reason)));
  }
}

export class FakeRelay {
  readonly backend: CryptoBackend;
  readonly identity: Identity;
  readonly url = 'ws://fake.relay/';
  /** Welcome limits (frames and bytes per second). */
  limits: { frameRate?: number; byteRate?: number } = {};
  /** false: connections are refused. */
  up = true;
  /** Every peer and first-contact frame routed, in order. */
  readonly seen: Seen[] = [];
  /** Control messages from clients. */
  readonly controls: { from: string; message: ControlMessage }[] = [];
  /** Return true to drop a frame silently (it is still recorded in `seen`). */
  drop: ((s: Seen) => boolean) | undefined;
  /** TURN answer: credentials, or undefined for an ERROR unavailable; 'silent' for no answer. */
  turn: ControlMessage | 'silent' | undefined;
  readonly #conns = new Map<string, RelayConn>();
  readonly #mailbox = new Map<string, { from: Uint8Array; frame: Uint8Array }[]>();

  private constructor(backend: CryptoBackend, identity: Identity) {
    this.backend = backend;
    this.identity = identity;
  }

  static async create(backend: CryptoBackend = nobleBackend): Promise<FakeRelay> {
    return new FakeRelay(backend, await generateIdentity(backend));
  }

  get keys(): { url: string; x: Uint8Array; ed: Uint8Array } {
    return { url: this.url, x: this.identity.x, ed: this.identity.ed };
  }

  /** A transport that connects to this relay. */
  transport(): Transport & { connects: number } {
    const relay = this;
    const t = {
      connects: 0,
      async connect(): Promise<Socket> {
        t.connects++;
        if (!relay.up) throw new Error('connection refused');
        const conn = new RelayConn(relay);
        return {
          send: (frame) => {
            if (conn.closed) throw new Error('socket closed');
            const copy = frame.slice();
            queueMicrotask(() => conn.fromClient(copy));
          },
          close: () => queueMicrotask(() => conn.close(1000, 'client closed')),
          onMessage: (cb) => conn.client.setMessage(cb),
          onClose: (cb) => conn.client.setClose(cb),
          bufferedAmount: 0,
        };
      },
    };
    return t;
  }

  bind(c: RelayConn): void {
    this.#conns.get(c.id)?.close(4005, 'replaced');
    this.#conns.set(c.id, c);
  }

  unbind(c: RelayConn): void {
    if (this.#conns.get(c.id) === c) this.#conns.delete(c.id);
  }

  isOnline(idHex: string): boolean {
    return this.#conns.has(idHex);
  }

  takeMailbox(id: string): { from: Uint8Array; frame: Uint8Array }[] {
    const m = this.#mailbox.get(id) ?? [];
    this.#mailbox.delete(id);
    return m;
  }

  route(from: RelayConn, to: Uint8Array, kind: number, frame: Uint8Array): void {
    const s: Seen = { from: from.id, to: toHex(to), kind, frame: frame.slice() };
    s.frame.fill(0, 0, to.length);
    this.seen.push(s);
    if (this.drop?.(s)) return;
    this.inject(s);
  }

  /** Delivers a frame as if `s.from` had sent it now (replays, duplicates). */
  inject(s: Seen): void {
    const from = fromHex(s.from);
    const target = this.#conns.get(s.to);
    if (target) target.deliver(s.frame, from);
    else {
      const box = this.#mailbox.get(s.to) ?? [];
      box.push({ from, frame: s.frame.slice() });
      this.#mailbox.set(s.to, box);
    }
  }

  onControl(c: RelayConn, m: ControlMessage): void {
    this.controls.push({ from: c.id, message: m });
    if (m.type === ControlType.turnRequest) {
      if (this.turn === 'silent') return;
      c.sendControl(this.turn ?? { type: ControlType.error, body: { code: RelayError.unavailable, request: ControlType.turnRequest } });
    } else if (m.type === ControlType.bye) {
      c.close(1000, 'bye');
    }
  }

  /** Closes one client's connection (as a network failure would). */
  kick(idHex: string, code = 1006): void {
    this.#conns.get(idHex)?.close(code, 'kicked');
  }

  /** A relay restart: every connection closes and the in-memory mailbox is lost. */
  restart(): void {
    for (const c of [...this.#conns.values()]) c.close(1012, 'restart');
    this.#mailbox.clear();
  }

  /** Peer frames from one id to another, in order. */
  between(from: string, to: string): Seen[] {
    return this.seen.filter((s) => s.from === from && s.to === to);
  }
}
