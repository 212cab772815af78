/**
 * The coordinator's handle on one load process: request/answer over IPC with a timeout, and a
 * record of crashes (an uncaught error reported by the worker, or an exit nobody asked for).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { FromWorker, ToWorker } from './ipc.ts';
import { REPO_ROOT } from './relay-process.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
/**
 * Load processes run this much nicer than the relay: on a machine with few cores the load
 * generators would otherwise take the CPU the relay under test needs (and a reconnect storm
 * would measure the scheduler). Raising one's own children's niceness needs no privilege.
 */
export const LOAD_NICENESS = 5;

type Request = ToWorker extends infer T ? (T extends { rid: number } ? Omit<T, 'rid'> : never) : never;
type Answer<K extends FromWorker['t']> = Extract<FromWorker, { t: K }>;

export class WorkerProc {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { ok(m: FromWorker): void; fail(e: Error): void }>();
  #rid = 0;
  #leaving = false;
  readonly crashes: string[] = [];

  constructor(readonly index: number) {
    // The workers' own output goes to our stderr: stdout carries the report (--json).
    this.#child = fork(WORKER, [], { cwd: REPO_ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', process.stderr, process.stderr, 'ipc'] });
    try {
      if (this.#child.pid !== undefined) setPriority(this.#child.pid, Math.min(19, getPriority() + LOAD_NICENESS));
    } catch {
      // not permitted here: run at the same priority
    }
    this.#child.on('message', (m: FromWorker) => {
      if (m.t === 'crash') {
        this.crashes.push(m.error);
        return;
      }
      const w = this.#waiting.get(m.rid);
      this.#waiting.delete(m.rid);
      if (m.t === 'error') w?.fail(new Error(`worker ${index}: ${m.error}`));
      else w?.ok(m);
    });
    this.#child.on('exit', (code, signal) => {
      if (!this.#leaving) this.crashes.push(`load process ${index} exited (${code ?? signal})`);
      for (const w of this.#waiting.values()) w.fail(new Error(`worker ${index} exited`));
      this.#waiting.clear();
    });
  }

  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  request<K extends FromWorker['t']>(m: Request, expect: K, timeoutMs: number): Promise<Answer<K>> {
    const rid = ++this.#rid;
    return new Promise((ok, fail) => {
      if (!this.alive) return fail(new Error(`worker ${this.index} is not running`));
      const t = setTimeout(() => {
        this.#waiting.delete(rid);
        fail(new Error(`worker ${this.index}: no answer to ${m.t} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(rid, {
        ok: (a) => {
          clearTimeout(t);
          if (a.t === expect) ok(a as Answer<K>);
          else fail(new Error(`worker ${this.index}: expected ${expect}, got ${a.t}`));
        },
        fail: (e) => {
          clearTimeout(t);
          fail(e);
        },
      });
      this.#child.send({ ...m, rid } as ToWorker);
    });
  }

  /** Asks the worker to stop its engines and exit; kills it if it does not within `graceMs`. */
  async exit(graceMs: number): Promise<void> {
    if (!this.alive) return;
    this.#leaving = true;
    const gone = new Promise((r) => this.#child.once('exit', r));
    this.request({ t: 'exit' }, 'ok', graceMs).catch(() => {});
    const t = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(t);
  }

  kill(): void {
    this.#leaving = true;
    if (this.alive) this.#child.kill('SIGKILL');
  }
}
