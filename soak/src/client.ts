/**
 * One simulated user: a runtime Engine on a MemoryStore, a transport the soak can cut, and the
 * user's own record of what it sent and what it was shown. The record lives outside the engine,
 * so it survives the engine being stopped and replaced ("restart" disconnects).
 */
import net from 'node:net';
import { MessageType } from '@parley/generated';
import type { CryptoBackend } from '@parley/runtime/crypto';
import { Engine, MemoryStore, isEngineError, type ConnectionState, type Socket, type Transport } from '@parley/runtime/engine';
import { NodeWsTransport } from '@parley/runtime/node';
import type { Identity } from '@parley/runtime/protocol';
import type { ClientRecord, Disconnect, PairRecv, SessionCount } from './ipc.ts';
import { checkFileBytes, clock, drawFileSize, drawTextSize, fileBytes, fileName, makeText, parseFileName, parseText, type Stamp } from './messages.ts';

/** The engine's own `ws` transport, with every TCP socket it opens tracked so it can be cut. */
export class CuttableTransport implements Transport {
  /** While true, connects fail at once (the network is down). */
  blocked = false;
  readonly #sockets = new Set<net.Socket>();
  readonly #inner = new NodeWsTransport({
    wsOptions: {
      createConnection: ((o: { host?: string; port?: number | string }) => {
        const s = net.connect({ host: o.host ?? '127.0.0.1', port: Number(o.port) });
        this.#sockets.add(s);
        s.once('close', () => this.#sockets.delete(s));
        return s;
      }) as unknown as typeof net.createConnection,
    },
  });

  connect(url: string): Promise<Socket> {
    return this.blocked ? Promise.reject(new Error('soak: network down')) : this.#inner.connect(url);
  }

  /** Destroys the TCP connections: no close frame, no bye. */
  cut(): void {
    for (const s of this.#sockets) s.destroy();
  }
}

export interface ClientHooks {
  /** `endpoints`: every node of a relay cluster (the engine fails over between them). */
  relay: { url: string; endpoints?: string[] | undefined; x: Uint8Array; ed: Uint8Array };
  backend: CryptoBackend;
  latency(sentAt: number, ms: number): void;
  dropped(code: string): void;
  sendFailed(code: string): void;
  state(c: Client, s: ConnectionState): void;
  accepted(c: Client, contactKey: string): void;
}

type Recv = PairRecv & { seen: Set<number> };

function record(map: Map<string, Recv>, from: string, seq: number): 'new' | 'dup' {
  let r = map.get(from);
  if (!r) map.set(from, (r = { distinct: 0, max: 0, dup: 0, ooo: 0, seen: new Set() }));
  if (r.seen.has(seq)) {
    r.dup++;
    return 'dup';
  }
  if (seq < r.max) r.ooo++;
  r.seen.add(seq);
  r.distinct++;
  r.max = Math.max(r.max, seq);
  return 'new';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const plain = (m: Map<string, Recv>): Record<string, PairRecv> =>
  Object.fromEntries([...m].map(([k, { distinct, max, dup, ooo }]) => [k, { distinct, max, dup, ooo }]));

export class Client {
  readonly store = new MemoryStore();
  readonly transport = new CuttableTransport();
  readonly key: string;
  engine: Engine | undefined;
  /** Accepted contacts (keys). */
  readonly contacts: string[] = [];
  /** In a deliberate disconnect: excluded from reconnect timing, sends skipped while stopped. */
  down: Disconnect['mode'] | undefined;
  readonly #texts = new Map<string, number>();
  readonly #files = new Map<string, number>();
  readonly #textsIn = new Map<string, Recv>();
  readonly #filesIn = new Map<string, Recv>();
  readonly #filesOut = new Map<string, string>();
  readonly #filesDone = new Set<string>();
  readonly #fileFailures: string[] = [];
  readonly #errors: string[] = [];
  readonly #oooSamples: string[] = [];
  #disconnects = 0;
  /** Outbox resends of engines already stopped ("restart" disconnects). */
  #resendsBefore = 0;
  /** The relay node the engine was last online on (cluster runs kill one node at a time). */
  endpoint: string | undefined;
  #bad = 0;
  #chain: Promise<void> = Promise.resolve();
  pending = 0;

  constructor(
    readonly index: number,
    readonly identity: Identity,
    readonly hooks: ClientHooks,
  ) {
    this.key = Buffer.from(identity.x).toString('hex');
  }

  get online(): boolean {
    return this.engine?.state.state === 'online';
  }

  get textsSent(): number {
    let n = 0;
    for (const v of this.#texts.values()) n += v;
    return n;
  }

  get textsReceived(): number {
    let n = 0;
    for (const v of this.#textsIn.values()) n += v.distinct;
    return n;
  }

  get filesInFlight(): number {
    return this.#filesOut.size;
  }

  async start(): Promise<void> {
    const e = new Engine({ identity: this.identity, relay: this.hooks.relay, store: this.store, transport: this.transport, backend: this.hooks.backend, displayName: `c${this.index}` });
    this.#listen(e);
    this.engine = e;
    await e.start();
  }

  #listen(e: Engine): void {
    const h = this.hooks;
    e.on('state', (s) => h.state(this, s));
    e.on('message', (m) => {
      if (m.type !== MessageType.text) return;
      const s = parseText(m.body.text);
      if (!s) return void this.#bad++;
      const before = this.#textsIn.get(m.contact.key)?.max ?? 0;
      if (record(this.#textsIn, m.contact.key, s.seq) !== 'new') return;
      h.latency(s.sentAt, clock() - s.sentAt);
      if (s.seq < before && this.#oooSamples.length < 5) {
        this.#oooSamples.push(`c${s.from} -> c${this.index}: seq ${s.seq} after ${before}, sent ${Math.round(clock() - s.sentAt)} ms ago; receiver disconnects ${this.#disconnects}`);
      }
    });
    e.on('file', (f) => {
      const s = parseFileName(f.name);
      // bytes: this engine does not stream received files (streamReceivedFiles)
      if (!s || !f.bytes || !checkFileBytes(s, f.bytes)) return void this.#bad++;
      record(this.#filesIn, f.contact, s.seq);
    });
    e.on('file-progress', (p) => {
      if (p.direction === 'out' && p.chunks >= p.totalChunks) this.#fileDone(p.contact, p.fileId);
    });
    e.on('file-failed', (f) => {
      this.#fileFailures.push(`${f.direction} ${f.reason}`);
      if (f.direction === 'out') this.#fileDone(f.contact, f.fileId);
    });
    e.on('contact-request', ({ contact }) => {
      e.acceptContact(contact.key).catch((err: Error) => this.#errors.push(`accept: ${err.message}`));
    });
    e.on('contact-accepted', ({ contact }) => {
      if (!this.contacts.includes(contact.key)) this.contacts.push(contact.key);
      h.accepted(this, contact.key);
    });
    e.on('dropped', (d) => h.dropped(d.code));
    e.on('error', ({ error, context }) => this.#errors.push(`${context}: ${(error as Error)?.message ?? String(error)}`));
  }

  #fileDone(contact: string, fileId: string): void {
    this.#filesDone.add(fileId);
    if (this.#filesOut.get(contact) === fileId) this.#filesOut.delete(contact);
  }

  /**
   * Queues one message to a random contact: a file when `file` and none is in flight to that
   * contact (the engine keeps few incoming transfers per contact), else a text. Sends of one
   * client run one at a time, so sequence numbers follow the outbox's order.
   */
  send(file: boolean, r: () => number): void {
    const to = this.contacts[Math.floor(r() * this.contacts.length)];
    if (to === undefined) return;
    const h = this.hooks;
    this.pending++;
    this.#chain = this.#chain.then(async () => {
      const e = this.engine;
      try {
        if (!e) return h.sendFailed('STOPPED');
        if (file && !this.#filesOut.has(to)) await this.#sendFile(e, to, r);
        else await this.#sendText(e, to, r);
      } catch (err) {
        h.sendFailed(isEngineError(err) ? err.code : (err as Error).message);
      } finally {
        this.pending--;
      }
    });
  }

  async #sendText(e: Engine, to: string, r: () => number): Promise<void> {
    const seq = (this.#texts.get(to) ?? 0) + 1;
    await e.sendText(to, makeText(this.#stamp(seq), drawTextSize(r)));
    this.#texts.set(to, seq);
  }

  async #sendFile(e: Engine, to: string, r: () => number): Promise<void> {
    const seq = (this.#files.get(to) ?? 0) + 1;
    const s = this.#stamp(seq);
    const { fileId } = await e.sendFile(to, { name: fileName(s), mime: 'application/octet-stream', bytes: fileBytes(s, drawFileSize(r)) });
    this.#files.set(to, seq);
    if (!this.#filesDone.has(fileId)) this.#filesOut.set(to, fileId);
  }

  #stamp(seq: number): Stamp {
    return { seq, from: this.index, sentAt: clock() };
  }

  /** An abrupt disconnect (see `Disconnect`); resolves when the client is back. */
  async disconnect(d: Disconnect): Promise<void> {
    this.down = d.mode;
    this.#disconnects++;
    this.transport.blocked = true;
    this.transport.cut();
    const offlineUntil = Date.now() + d.offlineMs;
    if (d.mode === 'restart') {
      const e = this.engine;
      this.engine = undefined;
      await this.#chain;
      await e?.stop();
      this.#resendsBefore += e?.outboxResends ?? 0;
    }
    await sleep(offlineUntil - Date.now());
    await this.reconnect();
  }

  /** Lets the client back on the network (after a disconnect, or at the drain). */
  async reconnect(): Promise<void> {
    this.transport.blocked = false;
    if (!this.engine) await this.start();
    else this.engine.reconnectNow();
    this.down = undefined;
  }

  /** The end-of-run record, with the history check: every text shown once, none missing. */
  async record(): Promise<ClientRecord> {
    let historyDup = 0;
    let historyMissing = 0;
    for (const [from, r] of this.#textsIn) {
      if (!this.engine) break;
      const counts = new Map<number, number>();
      for (const item of await this.engine.history(from)) {
        const s = item.dir === 'in' && item.kind === 'text' && item.text !== undefined ? parseText(item.text) : undefined;
        if (s) counts.set(s.seq, (counts.get(s.seq) ?? 0) + 1);
      }
      for (const n of counts.values()) if (n > 1) historyDup += n - 1;
      for (const seq of r.seen) if (!counts.has(seq)) historyMissing++;
    }
    const sessions: SessionCount = { v2: 0, postQuantum: 0, v1: 0 };
    for (const k of this.contacts) {
      if (!this.engine) break;
      const p = this.engine.protection(k);
      if (p.version === 2) sessions.v2++;
      else sessions.v1++;
      if (p.version === 2 && p.postQuantum) sessions.postQuantum++;
    }
    return {
      index: this.index,
      key: this.key,
      sessions,
      texts: Object.fromEntries(this.#texts),
      files: Object.fromEntries(this.#files),
      textsIn: plain(this.#textsIn),
      filesIn: plain(this.#filesIn),
      bad: this.#bad,
      historyDup,
      historyMissing,
      outbox: this.engine?.outboxSize ?? -1,
      resends: this.#resendsBefore + (this.engine?.outboxResends ?? 0),
      fileFailures: this.#fileFailures,
      engineErrors: this.#errors,
      oooSamples: this.#oooSamples,
    };
  }
}
