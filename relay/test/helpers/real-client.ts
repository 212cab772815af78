/**
 * A real Parley client for end-to-end tests, from the runtime's protocol layer: the client
 * handshake with pinned relay keys, the client session (route masks, control frames) and
 * peer frames sealed and opened per spec. Also records the raw frames it sent and received.
 */
import WebSocket from 'ws';
import { ControlType, FrameKind, MessageType, type ControlMessage } from '@parley/generated';
import { pickBackend, type CryptoBackend } from '@parley/runtime/crypto';
import {
  ClientHandshake,
  ClientSession,
  generateIdentity,
  makeEnvelope,
  openPeer,
  sealPeer,
  type Identity,
  type PublicKeys,
} from '@parley/runtime/protocol';

export interface Received {
  kind: number;
  /** The sender id from the unmasked route (zeros for control). */
  from: Uint8Array;
  frame: Uint8Array;
  control?: ControlMessage;
}

let backendP: Promise<CryptoBackend> | undefined;
export const backend = (): Promise<CryptoBackend> => (backendP ??= pickBackend());

export class RealClient {
  ws!: WebSocket;
  session!: ClientSession;
  mailboxPending = -1;
  readonly received: Received[] = [];
  /** CHALLENGE frames as received, one per connect(). */
  readonly challenges: Uint8Array[] = [];
  /** Raw frames as sent on the socket (HELLO first). */
  readonly sent: Uint8Array[] = [];
  closed!: Promise<number>;
  #waiters: (() => void)[] = [];

  constructor(
    readonly identity: Identity,
    readonly relay: PublicKeys,
  ) {}

  static async create(relay: PublicKeys, identity?: Identity): Promise<RealClient> {
    return new RealClient(identity ?? (await generateIdentity(await backend())), relay);
  }

  /**
   * Connects and runs the handshake. `hello` may replace the HELLO the client would send
   * (replay tests); resolves after WELCOME, or when the relay closes first.
   */
  async connect(url: string, opts: { hello?: Uint8Array; identity?: Identity; localAddress?: string } = {}): Promise<this> {
    const b = await backend();
    const hs = new ClientHandshake({ backend: b, identity: opts.identity ?? this.identity, relay: this.relay });
    this.ws = new WebSocket(url, { perMessageDeflate: false, ...(opts.localAddress !== undefined ? { localAddress: opts.localAddress } : {}) });
    this.ws.on('error', () => {});
    this.closed = new Promise((ok) => this.ws.on('close', (code) => ok(code)));
    let step = 0;
    const chain: Promise<void>[] = [];
    const done = new Promise<void>((ok, fail) => {
      let last: Promise<void> = Promise.resolve();
      this.ws.on('message', (data: Buffer) => {
        const frame = new Uint8Array(data);
        last = last.then(async () => {
          if (step === 0) {
            step = 1;
            this.challenges.push(frame);
            const hello = opts.hello ?? (await hs.onChallenge(frame));
            this.#send(hello);
            return;
          }
          if (step === 1) {
            step = 2;
            const { session, welcome } = await hs.onWelcome(frame);
            this.session = new ClientSession(b, session, (opts.identity ?? this.identity).edSeed);
            this.mailboxPending = welcome.mailboxPending;
            ok();
            return;
          }
          const r = this.session.unmask(frame);
          const rec: Received = { kind: r.kind, from: r.id.slice(), frame };
          if (r.kind === FrameKind.control) rec.control = await this.session.openControl(frame, r.counter);
          this.received.push(rec);
          for (const w of this.#waiters.splice(0)) w();
        }).catch(fail);
        chain.push(last);
      });
    });
    await Promise.race([done, this.closed]);
    return this;
  }

  #send(frame: Uint8Array): void {
    this.sent.push(frame.slice());
    this.ws.send(frame);
  }

  /** Seals a text for `to` and sends it (route masked for `to`'s id). */
  async sendText(to: PublicKeys, text: string): Promise<Uint8Array> {
    const frame = await sealPeer({
      backend: await backend(),
      sender: this.identity,
      recipient: to,
      envelope: makeEnvelope({ type: MessageType.text, body: { text, replyTo: new Uint8Array(16) } }),
    });
    const copy = frame.slice();
    this.sendRouted(frame, to.x.subarray(0, 8));
    return copy;
  }

  /** Sends an already sealed peer frame to `toId` (route masked with the next counter). */
  sendRouted(frame: Uint8Array, toId: Uint8Array): void {
    this.#send(this.session.route(frame, toId));
  }

  async sendControl(message: ControlMessage): Promise<void> {
    this.#send(await this.session.sealControl(message));
  }

  /** Opens a received peer frame against candidate contacts (throws OpenError if it does not open). */
  async open(r: Received, candidates: PublicKeys[]): Promise<string> {
    const opened = await openPeer({ backend: await backend(), me: this.identity, candidates, frame: r.frame });
    return (opened.envelope.body as { text: string }).text;
  }

  peerFrames(): Received[] {
    return this.received.filter((r) => r.kind !== FrameKind.control);
  }

  controls(type?: number): ControlMessage[] {
    return this.received.filter((r) => r.control !== undefined && (type === undefined || r.control.type === type)).map((r) => r.control!);
  }

  async waitFor(pred: () => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
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

export { ControlType };
