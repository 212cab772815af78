/**
 * TEST ONLY: a stand-in for the protocol layer with the same shape as the real one (relay
 * side `RelayCrypto`, and a matching client), but no cryptographic protection: HELLO carries
 * the client's keys in clear and control messages are not sealed. Route masking is the real
 * keystream. It lets the relay's routing, limits and close codes be tested on real sockets
 * independently of the handshake; `protocol.e2e.test.ts` runs the real protocol.
 */
import WebSocket from 'ws';
import { FrameKind, ID_SIZE, KIND_SIZE, MAILBOX_SECRET_SIZE, MAILBOX_TOKEN_SIZE, MIN_FRAME_SIZE, NONCE_SIZE, ROUTE_SIZE, SIG_SIZE } from '@parley/generated';
import { RouteKeystream, hash, randomBytes } from '../../src/runtime.ts';
import type { ControlIn, ControlOut, HandshakePort, RelayCrypto, SessionPort, WelcomeInfo } from '../../src/session-port.ts';

const KIND_OFFSET = ROUTE_SIZE + NONCE_SIZE;
const PAYLOAD_OFFSET = KIND_OFFSET + KIND_SIZE;
const TOY = { challenge: 1, hello: 2, welcome: 3 };
const CTRL_IN: Record<number, ControlIn['type']> = { 1: 'register_wake', 2: 'turn_request', 3: 'ring', 4: 'bye', 5: 'register_mailbox_secret', 6: 'present_mailbox_tokens' };
const CTRL_OUT = { wake: 16, turn_credentials: 17, shutdown: 18, error: 19, mailbox_drained: 20 } as const;

function frame(kind: number, payload: Uint8Array): Buffer {
  const f = Buffer.alloc(ROUTE_SIZE + NONCE_SIZE + KIND_SIZE + payload.length + SIG_SIZE);
  Buffer.from(randomBytes(NONCE_SIZE)).copy(f, ROUTE_SIZE);
  f[KIND_OFFSET] = kind;
  f.set(payload, PAYLOAD_OFFSET);
  return f;
}
const payloadOf = (f: Uint8Array) => f.subarray(PAYLOAD_OFFSET, f.length - SIG_SIZE);

function keysFor(x: Uint8Array): { c2r: Uint8Array; r2c: Uint8Array } {
  return { c2r: hash(Uint8Array.from([...x, 1])), r2c: hash(Uint8Array.from([...x, 2])) };
}

function masker(key: Uint8Array) {
  const ks = new RouteKeystream(key);
  return { xor: (counter: number, f: Uint8Array) => ks.mask8(counter, f, ROUTE_SIZE, f, 0) };
}

export function toyRelayCrypto(): RelayCrypto {
  return {
    publicX: new Uint8Array(32).fill(0x11),
    publicEd: new Uint8Array(32).fill(0x22),
    newHandshake(): HandshakePort {
      let x: Uint8Array | undefined;
      return {
        async challenge() {
          return frame(FrameKind.handshake, Uint8Array.of(TOY.challenge));
        },
        async hello(f) {
          const p = payloadOf(f);
          if (f[KIND_OFFSET] !== FrameKind.handshake || p[0] !== TOY.hello || p.length !== 65) throw new Error('toy: bad hello');
          if (p.subarray(1, 33).every((b) => b === 0)) throw new Error('toy: zero key');
          x = Uint8Array.from(p.subarray(1, 33));
          return { x, ed: Uint8Array.from(p.subarray(33, 65)) };
        },
        async welcome(info: WelcomeInfo) {
          const k = keysFor(x!);
          const body = Buffer.alloc(5);
          body[0] = TOY.welcome;
          body.writeUInt32LE(info.mailboxPending, 1);
          const rx = masker(k.c2r);
          const tx = masker(k.r2c);
          let rxCounter = 0;
          let txCounter = 0;
          const session: SessionPort = {
            unmaskIncoming(f) {
              const counter = rxCounter++;
              const kind = f[KIND_OFFSET]!;
              if (kind !== FrameKind.control && kind !== FrameKind.peer && kind !== FrameKind.firstContact) throw new Error('toy: bad kind');
              rx.xor(counter, f);
              const zero = f.subarray(0, ID_SIZE).every((b) => b === 0);
              if (zero !== (kind === FrameKind.control)) throw new Error('toy: route/kind mismatch');
              return { kind, counter };
            },
            deliver(f, senderId) {
              f.set(senderId, 0);
              tx.xor(txCounter++, f);
            },
            async openControl(cf, _counter) {
              const p = payloadOf(cf);
              const type = CTRL_IN[p[0]!];
              if (type === undefined) {
                if (p[0]! >= 16 && p[0]! <= 20) return { type: 'wrong_direction', code: p[0]! };
                throw new Error('toy: bad control');
              }
              if (type === 'register_wake') return { type, tag: Uint8Array.from(p.subarray(1, 17)) };
              if (type === 'ring') return { type, recipient: Uint8Array.from(p.subarray(1, 1 + ID_SIZE)) };
              // Toy layouts of the spec's bodies: the secret; a count byte, then (id, token) pairs.
              if (type === 'register_mailbox_secret') return { type, secret: Uint8Array.from(p.subarray(1, 1 + MAILBOX_SECRET_SIZE)) };
              if (type === 'present_mailbox_tokens') {
                const tokens = [];
                for (let i = 0, o = 2; i < p[1]!; i++, o += ID_SIZE + MAILBOX_TOKEN_SIZE) {
                  tokens.push({ recipient: Uint8Array.from(p.subarray(o, o + ID_SIZE)), token: Uint8Array.from(p.subarray(o + ID_SIZE, o + ID_SIZE + MAILBOX_TOKEN_SIZE)) });
                }
                return { type, tokens };
              }
              return { type } as ControlIn;
            },
            async sealControl(msg: ControlOut) {
              const counter = txCounter++;
              await Promise.resolve();
              const f = frame(FrameKind.control, Buffer.concat([Uint8Array.of(CTRL_OUT[msg.type]), Buffer.from(JSON.stringify(msg, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)))]));
              tx.xor(counter, f);
              return f;
            },
            destroy() {},
          };
          return { frame: frame(FrameKind.handshake, body), session };
        },
        destroy() {},
      };
    },
  };
}

export interface ToyReceived {
  kind: number;
  /** Sender id (peer frames) or 0 (control). */
  from: Buffer;
  frame: Buffer;
  control?: { type: number; msg: Record<string, unknown> };
}

/** A client for the toy protocol: real sockets, real route masking, no real crypto. */
export class ToyClient {
  readonly x: Uint8Array;
  readonly ed: Uint8Array;
  readonly id: Buffer;
  ws!: WebSocket;
  mailboxPending = -1;
  received: ToyReceived[] = [];
  closed: Promise<{ code: number }>;
  #rx!: RouteKeystream;
  #tx!: RouteKeystream;
  #rxCounter = 0;
  #txCounter = 0;
  #waiters: (() => void)[] = [];
  #closedResolve!: (v: { code: number }) => void;

  constructor(x?: Uint8Array, ed?: Uint8Array) {
    this.x = x ?? randomBytes(32);
    this.ed = ed ?? randomBytes(32);
    this.id = Buffer.from(this.x.subarray(0, ID_SIZE));
    this.closed = new Promise((r) => (this.#closedResolve = r));
  }

  /** Connects and completes the toy handshake (or resolves early with the close). */
  async connect(url: string, opts: { hello?: boolean; localAddress?: string; headers?: Record<string, string> } = {}): Promise<this> {
    this.ws = new WebSocket(url, {
      perMessageDeflate: false,
      ...(opts.localAddress !== undefined ? { localAddress: opts.localAddress } : {}),
      ...(opts.headers !== undefined ? { headers: opts.headers } : {}),
    });
    this.ws.on('close', (code) => this.#closedResolve({ code }));
    this.ws.on('error', () => {});
    const welcome = new Promise<void>((ok) => {
      this.ws.on('message', (d: Buffer) => {
        if (this.mailboxPending < 0) {
          const p = payloadOf(d);
          if (p[0] === TOY.challenge) {
            if (opts.hello !== false) this.ws.send(frame(FrameKind.handshake, Uint8Array.from([TOY.hello, ...this.x, ...this.ed])));
            return;
          }
          if (p[0] === TOY.welcome) {
            this.mailboxPending = Buffer.from(p).readUInt32LE(1);
            const k = keysFor(this.x);
            this.#rx = new RouteKeystream(k.r2c);
            this.#tx = new RouteKeystream(k.c2r);
            ok();
          }
          return;
        }
        this.#rx.mask8(this.#rxCounter++, d, ROUTE_SIZE, d, 0);
        const r: ToyReceived = { kind: d[KIND_OFFSET]!, from: Buffer.from(d.subarray(0, ID_SIZE)), frame: d };
        if (r.kind === FrameKind.control) {
          const p = payloadOf(d);
          r.control = { type: p[0]!, msg: JSON.parse(Buffer.from(p.subarray(1)).toString()) as Record<string, unknown> };
        }
        this.received.push(r);
        for (const w of this.#waiters.splice(0)) w();
      });
    });
    await Promise.race([welcome, this.closed]);
    return this;
  }

  /** Sends a peer frame (payload bytes) to `to` (an id). */
  sendPeer(to: Uint8Array, payload: Uint8Array | string, kind: number = FrameKind.peer): void {
    const f = frame(kind, typeof payload === 'string' ? Buffer.from(payload) : payload);
    f.set(to.subarray(0, ID_SIZE), 0);
    this.sendRaw(f);
  }

  /** Masks the route of `f` (holding the plain id) with the next counter and sends it. */
  sendRaw(f: Buffer): void {
    this.#tx.mask8(this.#txCounter++, f, ROUTE_SIZE, f, 0);
    this.ws.send(f);
  }

  sendControl(type: number, body: Uint8Array = new Uint8Array(0)): void {
    this.sendRaw(frame(FrameKind.control, Uint8Array.from([type, ...body])));
  }

  peerFrames(): ToyReceived[] {
    return this.received.filter((r) => r.kind !== FrameKind.control);
  }

  controls(): ToyReceived[] {
    return this.received.filter((r) => r.kind === FrameKind.control);
  }

  async waitFor(pred: (c: this) => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this)) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 20);
      });
    }
  }

  close(): void {
    this.ws.terminate();
  }
}

export const MIN_FRAME = MIN_FRAME_SIZE;
