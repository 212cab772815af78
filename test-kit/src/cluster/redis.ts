/**
 * A relay cluster for other packages' tests: a real `redis-server` child on a free loopback port
 * (its own temp folder, no persistence) and relay nodes in this process sharing one identity seed
 * and that Redis (`startRelay` with `redisUrl`). The relay's own cluster tests run their nodes as
 * separate processes (relay/test/helpers/cluster.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelay, type RunningRelay, type StartRelayOptions } from '@parley/relay';

export interface TestCluster {
  redisUrl: string;
  nodes: RunningRelay[];
  /** Closes the nodes, then kills redis-server. */
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => ok(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

async function redisServer(): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-test-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`redis-server did not start:\n${out}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(t);
        ok();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      fail(new Error(`redis-server exited (${code}):\n${out}`));
    });
  });
  return { child, url: `redis://127.0.0.1:${port}` };
}

/** Starts redis-server and `n` relay nodes on it (127.0.0.1, free ports), with the same relay keys. */
export async function startCluster(n: number, options: StartRelayOptions = {}): Promise<TestCluster> {
  const redis = await redisServer();
  const seed = randomBytes(32);
  const nodes: RunningRelay[] = [];
  const close = async () => {
    for (const r of nodes.splice(0)) await r.close();
    if (redis.child.exitCode === null) {
      const gone = new Promise((ok) => redis.child.once('exit', ok));
      redis.child.kill('SIGKILL');
      await gone;
    }
  };
  try {
    for (let i = 0; i < n; i++) nodes.push(await startRelay({ port: 0, host: '127.0.0.1', logLevel: 'silent', ...options, seed: Uint8Array.from(seed), redisUrl: redis.url }));
  } catch (e) {
    await close();
    throw e;
  }
  return { redisUrl: redis.url, nodes, close };
}
