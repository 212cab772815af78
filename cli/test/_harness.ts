/**
 * Test harness: a real relay in-process on 127.0.0.1, port 0, and real `wschat` processes
 * (bin/wschat.js, started through its shebang as users start it) with their own --home folders.
 * Every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRelay, type RunningRelay } from '@parley/relay';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/wschat.js');
/** Longest any single CLI run may take in a test. */
const RUN_TIMEOUT_MS = 45_000;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * How long one case of a file that runs wschat processes may take (vi.setConfig in each): a case
 * runs up to a dozen one after another, each paying a process start, seconds apiece on a loaded
 * 2-core CI machine; the suite's 60 s default was met there.
 */
export const CLI_CASE_TIMEOUT_MS = 150_000;

export class World {
  readonly dirs: string[] = [];
  readonly relays: RunningRelay[] = [];
  readonly procs: LongRun[] = [];
  #root: string | undefined;

  async relay(): Promise<RunningRelay> {
    const r = await startRelay({ port: 0, host: '127.0.0.1', logLevel: 'silent', limits: { shutdownRetryAfterMs: 0 } });
    this.relays.push(r);
    return r;
  }

  async root(): Promise<string> {
    if (!this.#root) {
      this.#root = await mkdtemp(join(tmpdir(), 'wschat-test-'));
      this.dirs.push(this.#root);
    }
    return this.#root;
  }

  /** A fresh home folder path (not created). */
  async home(name: string): Promise<string> {
    return join(await this.root(), name);
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
    for (const k of ['WSCHAT_HOME', 'WSCHAT_RELAY', 'WSCHAT_SERVER_X_PUB', 'WSCHAT_SERVER_ED_PUB']) if (!(k in extra)) delete env[k];
    env.XDG_CONFIG_HOME = join(this.#root ?? tmpdir(), 'xdg');
    env.NO_COLOR = '1';
    // the engine's FileStore is tested with fsync in runtime/; here it would only add disk waits
    env.WSCHAT_FSYNC ??= '0';
    return env;
  }

  /** Runs wschat to the end. */
  async run(args: string[], o: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
    await this.root();
    const child = spawn(BIN, args, { env: this.env(o.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.stdin.end(o.input ?? '');
    const code = await new Promise<number | null>((done, fail) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        fail(new Error(`wschat ${args.join(' ')} did not end within ${o.timeoutMs ?? RUN_TIMEOUT_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, o.timeoutMs ?? RUN_TIMEOUT_MS);
      child.on('exit', (c) => {
        clearTimeout(timer);
        done(c);
      });
    });
    return { code, stdout, stderr };
  }

  /** Runs wschat and expects exit code 0. */
  async ok(args: string[], o: { input?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
    const r = await this.run(args, o);
    if (r.code !== 0) throw new Error(`wschat ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  }

  /** Starts a long-running wschat (listen, bridge, chat). */
  start(args: string[], o: { env?: Record<string, string> } = {}): LongRun {
    const child = spawn(BIN, args, { env: this.env(o.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const p = new LongRun(child, args);
    this.procs.push(p);
    return p;
  }

  /** Stops every long-running wschat still running. */
  async stopAll(): Promise<void> {
    for (const p of this.procs.splice(0)) await p.stop().catch(() => undefined);
  }

  async cleanup(): Promise<void> {
    await this.stopAll();
    for (const r of this.relays.splice(0)) await r.close();
    for (const d of this.dirs.splice(0)) await rm(d, { recursive: true, force: true });
  }
}

export class LongRun {
  readonly child: ChildProcess;
  readonly args: string[];
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  #partial = '';
  #waiters: (() => void)[] = [];

  constructor(child: ChildProcess, args: string[]) {
    this.child = child;
    this.args = args;
    child.stdout!.on('data', (d: Buffer) => {
      const text = this.#partial + d.toString('utf8');
      const parts = text.split('\n');
      this.#partial = parts.pop()!;
      this.lines.push(...parts);
      for (const w of this.#waiters.splice(0)) w();
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString('utf8');
      for (const w of this.#waiters.splice(0)) w();
    });
    this.exited = new Promise((done) => child.on('exit', (c) => {
      done(c);
      for (const w of this.#waiters.splice(0)) w();
    }));
  }

  /** Stdout lines parsed as JSON (lines that are not JSON are skipped). */
  get events(): Record<string, unknown>[] {
    return this.lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  send(line: string): void {
    this.child.stdin!.write(line + '\n');
  }

  /** Resolves once `check` is true (re-checked on every output), or fails after `timeoutMs`. */
  async until<T>(check: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v) return v;
      if (this.child.exitCode !== null) throw new Error(`wschat ${this.args.join(' ')} exited (${this.child.exitCode}) before ${what}\nstdout: ${this.lines.join('\n')}\nstderr: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nstdout: ${this.lines.join('\n')}\nstderr: ${this.stderr}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(250, Math.max(0, deadline - Date.now())));
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** The first event with this type that passes `filter`. */
  event(type: string, filter: (e: Record<string, unknown>) => boolean = () => true, timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.until(() => this.events.find((e) => e.type === type && filter(e)), `a ${type} event`, timeoutMs);
  }

  /** SIGTERM, then SIGKILL if it does not end in time; resolves with the exit code. */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }

  /** Ends stdin (bridge, chat) and waits for the exit. */
  async end(timeoutMs = 20_000): Promise<number | null> {
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

export function json(r: RunResult): Record<string, unknown> {
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Two initialised identities (alice, bob) on one relay, bootstrapped from /.well-known. */
export async function pair(w: World, relay: RunningRelay): Promise<{ a: string; b: string }> {
  const a = await w.home('alice');
  const b = await w.home('bob');
  await Promise.all([
    w.ok(['init', '--home', a, '--name', 'alice', '--relay', relay.httpUrl]),
    w.ok(['init', '--home', b, '--name', 'bob', '--relay', relay.httpUrl]),
  ]);
  return { a, b };
}

/** alice adds bob's invite, bob accepts: both are accepted contacts. Returns bob as alice sees him. */
export async function befriend(w: World, a: string, b: string): Promise<{ id: string; name: string }> {
  const link = json(await w.ok(['whoami', '--home', b, '--json'])).link as string;
  const added = json(await w.ok(['contact', 'add', link, '--home', a, '--json'])).contact as { id: string; name: string };
  await w.ok(['requests', 'accept', 'alice', '--home', b]);
  return added;
}
