/**
 * A relay cluster on real parts: a `redis-server` child on a free loopback port (its own temp
 * folder, no persistence unless asked) and relay nodes as child processes (`relay start` with
 * RELAY_REDIS_URL), all sharing one key file (0600).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNewSeed } from '../../src/keys.ts';
import { spawnRelay, type RelayChild } from './relay-process.ts';

export interface RedisChild {
  url: string;
  port: number;
  dir: string;
  child: ChildProcess;
  /** SIGKILL (a crash); `start()` again on the same port and folder. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => ok(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

/** Starts redis-server; `aof` turns on the append-only file (appendfsync everysec) in its folder. */
export async function startRedis(opts: { aof?: boolean } = {}): Promise<RedisChild> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-redis-'));
  const port = await freePort();
  const r: RedisChild = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    child: undefined as unknown as ChildProcess,
    async kill() {
      const c = r.child;
      if (c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((ok) => c.once('exit', ok));
      c.kill('SIGKILL');
      await gone;
    },
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--protected-mode', 'yes'];
      args.push('--appendonly', opts.aof === true ? 'yes' : 'no');
      if (opts.aof === true) args.push('--appendfsync', 'everysec');
      const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      r.child = child;
      let out = '';
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`redis-server did not start:\n${out}`)), 15_000);
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('Ready to accept connections')) {
            clearTimeout(timer);
            ok();
          }
        });
        child.on('exit', (code) => {
          clearTimeout(timer);
          fail(new Error(`redis-server exited (${code}):\n${out}`));
        });
      });
    },
  };
  await r.start();
  return r;
}

/** A shared relay key file (what an operator copies to every node, 0600). */
export async function clusterKeyFile(): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'parley-cluster-key-')), 'relay.key');
  (await writeNewSeed(path)).fill(0);
  return path;
}

export interface NodeChild extends RelayChild {
  metricsUrl: string;
  /** SIGTERM and wait for the exit. */
  terminate(): Promise<number | null>;
}

export async function startNode(redisUrl: string, keyFile: string, env: Record<string, string> = {}): Promise<NodeChild> {
  const r = await spawnRelay({ env: { RELAY_REDIS_URL: redisUrl, RELAY_KEY_FILE: keyFile, ...env } });
  const line = r
    .output()
    .split('\n')
    .find((l) => l.includes('"relay listening"'))!;
  const metrics = (JSON.parse(line) as { metrics: string }).metrics;
  return {
    ...r,
    metricsUrl: `http://${metrics}/metrics`,
    async terminate() {
      if (r.child.exitCode !== null || r.child.signalCode !== null) return r.child.exitCode;
      const gone = new Promise<number | null>((ok) => r.child.once('exit', (code) => ok(code)));
      r.child.kill('SIGTERM');
      return gone;
    },
  };
}

/** The value of a metric sample (name with labels, e.g. `parley_relay_drops_total{reason="x"}`), 0 if absent. */
export async function scrape(metricsUrl: string, sample: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  for (const line of text.split('\n')) {
    if (line.startsWith(sample + ' ')) return Number(line.slice(sample.length + 1));
  }
  return 0;
}

/** Polls `check` every 20 ms until it holds or `ms` pass. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
