/**
 * The implementation under test as a child process: one request in flight at a time, each with a
 * timeout, answers bounded in size. A child that hangs, crashes, overflows or desynchronises is
 * killed; the next request starts a fresh one (and says hello again), up to a restart limit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ConformanceError, type FailureCode } from './errors.ts';
import { encodeMessage, FramingError, MessageReader } from './framing.ts';

export interface ChildOptions {
  /** Per-request timeout, ms. */
  timeoutMs: number;
  /** Time the implementation may take to start and answer hello, ms. */
  startupTimeoutMs: number;
  /** Largest message accepted from the implementation, bytes. */
  maxMessageBytes: number;
  /** Fresh starts allowed after the first one; beyond it remaining requests are ABANDONED. */
  maxRestarts: number;
  /** Sent with hello. */
  spec: { name: string; version: number };
  /** Working folder of the child. */
  cwd?: string;
}

export interface HelloInfo {
  name: string;
  version?: string;
  ops: string[];
}

export type Reply = { ok: true; response: Record<string, unknown> } | { ok: false; code: FailureCode; detail: string };

interface Pending {
  id: number;
  resolve: (r: Reply) => void;
  timer: NodeJS.Timeout;
}

/** Keeps the last bytes a child wrote to stderr, for failure reports. */
const STDERR_TAIL_BYTES = 4096;

export class Implementation {
  private child: ChildProcess | null = null;
  private pending: Pending | null = null;
  private nextId = 1;
  private restarts = -1;
  private stderrTail = '';
  hello: HelloInfo | null = null;

  constructor(
    readonly command: string,
    readonly args: string[],
    readonly options: ChildOptions,
  ) {}

  /** Starts the child and says hello. Throws ConformanceError (CONF_SPAWN, CONF_HANDSHAKE). */
  async start(): Promise<HelloInfo> {
    this.restarts++;
    const child = spawn(this.command, this.args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: this.options.cwd });
    this.child = child;
    const reader = new MessageReader(this.options.maxMessageBytes);
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      // Kept for the child's life: a later 'error' (a failed kill) must not go unhandled.
      child.on('error', (e) => reject(new ConformanceError('CONF_SPAWN', `cannot start ${this.command}: ${e.message}`)));
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      let messages;
      try {
        messages = reader.push(chunk);
      } catch (e) {
        this.fail('RESPONSE_TOO_LARGE', (e as Error).message);
        return;
      }
      for (const m of messages) this.receive(m);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    child.stdin!.on('error', () => {}); // EPIPE when the child died; its exit reports it
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      this.settle({ ok: false, code: 'CRASHED', detail: `implementation exited (${signal ?? `status ${code}`})${this.stderrNote()}` });
    });
    await spawned;
    const reply = await this.send({ op: 'hello', conformance: 1, protocol: this.options.spec }, this.options.startupTimeoutMs);
    if (!reply.ok) throw new ConformanceError('CONF_HANDSHAKE', `hello failed: ${reply.code}: ${reply.detail}`);
    const r = reply.response;
    if (r.ok !== true || typeof r.name !== 'string' || !Array.isArray(r.ops) || !r.ops.every((o) => typeof o === 'string'))
      throw new ConformanceError('CONF_HANDSHAKE', `hello answer must be {"ok":true,"name":string,"ops":[string...]}, got ${JSON.stringify(r).slice(0, 200)}`);
    this.hello = { name: r.name, version: typeof r.version === 'string' ? r.version : undefined, ops: r.ops as string[] };
    return this.hello;
  }

  /** Sends one request and waits for its answer; never throws for the implementation's faults. */
  async request(message: Record<string, unknown>): Promise<Reply> {
    if (!this.child) {
      if (this.restarts >= this.options.maxRestarts) return { ok: false, code: 'ABANDONED', detail: `implementation restarted ${this.restarts} times; giving up` };
      try {
        await this.start();
      } catch (e) {
        return { ok: false, code: 'CRASHED', detail: `restart failed: ${(e as Error).message}` };
      }
    }
    return this.send(message, this.options.timeoutMs);
  }

  /** Closes stdin and waits briefly for the child to exit; kills it otherwise. */
  async close(graceMs = 2000): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin!.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private send(message: Record<string, unknown>, timeoutMs: number): Promise<Reply> {
    const child = this.child;
    if (!child) return Promise.resolve({ ok: false, code: 'CRASHED', detail: 'implementation is not running' });
    const id = this.nextId++;
    let bytes: Buffer;
    try {
      bytes = encodeMessage({ id, ...message }, this.options.maxMessageBytes);
    } catch (e) {
      return Promise.resolve({ ok: false, code: 'BAD_RESPONSE', detail: `request not sent: ${(e as Error).message}` });
    }
    return new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => this.fail('TIMEOUT', `no answer within ${timeoutMs} ms`), timeoutMs);
      this.pending = { id, resolve, timer };
      child.stdin!.write(bytes);
    });
  }

  private receive(m: Record<string, unknown> | FramingError): void {
    const p = this.pending;
    if (m instanceof FramingError) return this.fail('BAD_RESPONSE', m.message);
    if (!p) return this.fail('BAD_RESPONSE', `unsolicited message ${JSON.stringify(m).slice(0, 120)}`);
    if (m.id !== p.id) return this.fail('BAD_RESPONSE', `answer has id ${JSON.stringify(m.id)}, expected ${p.id}`);
    if (typeof m.ok !== 'boolean') return this.fail('BAD_RESPONSE', 'answer has no boolean "ok"');
    this.settle({ ok: true, response: m });
  }

  private settle(r: Reply): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.resolve(r);
  }

  /** Fails the request in flight and kills the child: its stream can no longer be trusted. */
  private fail(code: FailureCode, detail: string): void {
    const child = this.child;
    this.child = null;
    child?.kill('SIGKILL');
    this.settle({ ok: false, code, detail: detail + (code === 'TIMEOUT' || code === 'CRASHED' ? this.stderrNote() : '') });
  }

  private stderrNote(): string {
    const tail = this.stderrTail.trim();
    return tail ? `; stderr: ${tail.split('\n').slice(-5).join(' | ')}` : '';
  }
}
