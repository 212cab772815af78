/**
 * The relay under test as a child process (relay-child.ts: `relay start` of relay/src/main.ts),
 * so it can be SIGKILLed and started again on the same port with the same key file. The next
 * process is loaded ahead of time (`prepare`) and told to start after the kill. Its resident
 * memory is sampled from /proc/<pid>/status (VmRSS, VmHWM) while it runs.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { WELL_KNOWN_PATH } from '@parley/generated';
import type { RelayAddress } from './ipc.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RELAY_CHILD = fileURLToPath(new URL('./relay-child.ts', import.meta.url));
const SAMPLE_MS = 200;
/** USER_HZ: the unit of /proc/<pid>/stat times; 100 on every Linux platform Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface RelayProcessOptions {
  port: number;
  /** The relay's metrics listener (127.0.0.1); metrics are never on the public port. */
  metricsPort: number;
  keyFile: string;
  logFile: string;
  /** A folder that does not exist: the relay serves no web app. */
  noWebRoot: string;
  /** Every client connects from 127.0.0.1: the per-address caps are raised to this. */
  maxConnectionsPerAddress: number;
  handshakesPerAddressPerMinute: number;
  /** A cluster node's settings (`--redis-url`, `--endpoints`); none for a lone relay. */
  extraArgs?: string[];
}

/** A free TCP port on 127.0.0.1 (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => ok(port));
    });
  });
}

/** Parses Prometheus text: `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (m && !line.startsWith('#')) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

export class RelayProcess {
  readonly #o: RelayProcessOptions;
  readonly #cpuMs = new Map<number, number>();
  #child: ChildProcess | undefined;
  #standby: { child: ChildProcess; ready: Promise<void> } | undefined;
  #killing = false;
  #sampler: ReturnType<typeof setInterval> | undefined;
  /** Peak resident set over every incarnation, KiB. */
  peakRssKiB = 0;
  /** Resident set of the first incarnation once it answered /healthz (no clients yet), KiB. */
  startRssKiB: number | undefined;
  /** Exits we did not cause (a relay crash), with their code or signal. */
  readonly crashes: string[] = [];
  readonly httpUrl: string;
  readonly wsUrl: string;

  constructor(o: RelayProcessOptions) {
    this.#o = o;
    this.httpUrl = `http://127.0.0.1:${o.port}`;
    this.wsUrl = `ws://127.0.0.1:${o.port}/`;
  }

  /** Whether /healthz answers 200 (a cluster node says 503 while it cannot reach Redis). */
  ready(): Promise<boolean> {
    return fetch(`${this.httpUrl}/healthz`).then((r) => r.ok, () => false);
  }

  /** CPU time of every incarnation, as last sampled, ms. */
  get cpuMs(): number {
    let n = 0;
    for (const v of this.#cpuMs.values()) n += v;
    return n;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Spawns a relay process that loads its code and waits (relay-child.ts); `start` uses it. */
  prepare(): void {
    if (this.#standby) return;
    const o = this.#o;
    const log = openSync(o.logFile, 'a');
    const args = [
      'start', '--host', '127.0.0.1', '--port', String(o.port), '--metrics-host', '127.0.0.1', '--metrics-port', String(o.metricsPort), '--key-file', o.keyFile, '--log-level', 'warn', '--web-root', o.noWebRoot,
      '--max-connections-per-address', String(o.maxConnectionsPerAddress),
      '--handshakes-per-address-per-minute', String(o.handshakesPerAddressPerMinute),
      ...(o.extraArgs ?? []),
    ];
    const child = fork(RELAY_CHILD, args, { cwd: REPO_ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', log, log, 'ipc'] });
    closeSync(log);
    const ready = new Promise<void>((ok, fail) => {
      child.once('message', () => ok());
      child.once('exit', (code, signal) => fail(new Error(`the relay exited while loading (${code ?? signal}; see ${o.logFile})`)));
    });
    ready.catch(() => {});
    this.#standby = { child, ready };
  }

  /** Starts the relay (the prepared one, else a new one); resolves with the ms until /healthz answered. */
  async start(timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    this.prepare();
    const { child, ready } = this.#standby!;
    this.#standby = undefined;
    const timeout = (what: string) => new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`the relay did not ${what} within ${timeoutMs} ms (see ${this.#o.logFile})`)), timeoutMs - (Date.now() - t0)).unref());
    await Promise.race([ready, timeout('load')]);
    this.#child = child;
    this.#killing = false;
    child.once('exit', (code, signal) => {
      clearInterval(this.#sampler);
      if (!this.#killing) this.crashes.push(`exit ${code ?? signal}`);
    });
    child.send('go');
    this.#sampler = setInterval(() => this.#sample(child.pid), SAMPLE_MS);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the relay exited during start (see ${this.#o.logFile})`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`the relay did not answer /healthz within ${timeoutMs} ms (see ${this.#o.logFile})`);
      const ok = await fetch(`${this.httpUrl}/healthz`).then((r) => r.ok, () => false);
      if (ok) {
        this.#sample(child.pid);
        this.startRssKiB ??= this.peakRssKiB;
        return Date.now() - t0;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  #sample(pid: number | undefined): void {
    if (pid === undefined) return;
    try {
      // utime and stime, in clock ticks (fields 14 and 15, after the parenthesised name)
      const raw = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const stat = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
      this.#cpuMs.set(pid, ((Number(stat[11]) + Number(stat[12])) * 1000) / CLOCK_TICKS_PER_SECOND);
      const status = readFileSync(`/proc/${pid}/status`, 'latin1');
      for (const k of ['VmRSS', 'VmHWM']) {
        const m = new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status);
        if (m) this.peakRssKiB = Math.max(this.peakRssKiB, Number(m[1]));
      }
    } catch {
      // gone between the check and the read
    }
  }

  /** SIGKILL, no warning; resolves when the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.#sample(child.pid);
    this.#killing = true;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  /** SIGTERM (graceful: SHUTDOWN to every client), SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.#standby?.child.kill('SIGKILL');
    this.#standby = undefined;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.#killing = true;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(t);
  }

  async metrics(): Promise<Map<string, number>> {
    const res = await fetch(`http://127.0.0.1:${this.#o.metricsPort}/metrics`);
    return parseMetrics(await res.text());
  }

  async address(): Promise<RelayAddress> {
    const doc = (await (await fetch(this.httpUrl + WELL_KNOWN_PATH)).json()) as { relay_x: string; relay_ed: string };
    return { url: this.wsUrl, x: doc.relay_x, ed: doc.relay_ed };
  }
}
