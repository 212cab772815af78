/**
 * The redis-server of a cluster soak (`--nodes 2..5`): a child on a free loopback port, its own
 * folder, no persistence, so a restart (`kill` then `start`) comes back empty, as after a crash
 * without AOF. The nodes then close their sessions, report not ready until Redis answers again,
 * and the clients' outboxes resend whatever the lost mailboxes held.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';

/** Longest redis-server may take to say it is ready on a busy machine. */
const START_TIMEOUT_MS = 15_000;

export class RedisProcess {
  readonly url: string;
  readonly #port: number;
  readonly #dir: string;
  readonly #logFile: string;
  #child: ChildProcess | undefined;
  #killing = false;
  /** Exits we did not cause. */
  readonly crashes: string[] = [];

  constructor(port: number, dir: string, logFile: string) {
    this.#port = port;
    this.#dir = dir;
    this.#logFile = logFile;
    this.url = `redis://127.0.0.1:${port}`;
  }

  /** Starts redis-server and resolves once it accepts connections. */
  async start(): Promise<void> {
    const args = ['--port', String(this.#port), '--bind', '127.0.0.1', '--dir', this.#dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes'];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#killing = false;
    let out = '';
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms:\n${out}`)), START_TIMEOUT_MS);
      child.stdout!.on('data', (d: Buffer) => {
        appendFileSync(this.#logFile, d);
        out += d.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          ok();
        }
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        fail(new Error(`redis-server could not be started (is it installed?): ${e.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!this.#killing) this.crashes.push(`exit ${code ?? signal}`);
        fail(new Error(`redis-server exited (${code ?? signal}):\n${out}`));
      });
    });
    child.stderr!.on('data', (d: Buffer) => appendFileSync(this.#logFile, d));
  }

  /** SIGKILL (a crash); resolves when it is gone. */
  async kill(): Promise<void> {
    const c = this.#child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    this.#killing = true;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  }
}
