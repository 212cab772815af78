/**
 * Relay cluster benchmark (issue 20): forwarding between two clients on the same node against
 * two clients on different nodes of a cluster sharing one redis-server, and the single process
 * without Redis, all in the same run on 127.0.0.1. Each server is its own process; the load
 * runs in this one; Redis is a real `redis-server` child without persistence.
 *
 *   frames/s and p50/p99 latency: 128 B, 1 KiB, 16 KiB; 10 pairs
 *   Redis commands per forwarded frame (INFO commandstats, over the whole run)
 *
 * Targets: cross-node throughput >= 0.5 of same-node, p99 <= 2x; at most 1 Redis operation per
 * frame for a live recipient. On a 2-core machine the load generator, two nodes and Redis share
 * the cores.
 * Run standalone: npx tsx relay/bench/cluster.bench.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { randomBytes } from '../src/runtime.ts';
import { openPairs, type Dialer, type ThroughputResult } from './load.ts';
import { dialer, median, spawnServer, stop, type BenchTable, type Server } from './relay.bench.ts';

const SIZES = [128, 1024, 16384];
const PAIRS = 10;
const REPS = 3;

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => ok(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

async function startRedis(): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((ok, fail) => {
    let out = '';
    const t = setTimeout(() => fail(new Error('redis-server did not start')), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(t);
        ok();
      }
    });
  });
  return { child, url: `redis://127.0.0.1:${port}` };
}

/** Connects even-numbered peers (senders) through `a` and odd-numbered ones (receivers) through `b`. */
function split(a: Dialer, b: Dialer): Dialer {
  let n = 0;
  return { name: `${a.name}/${b.name}`, peerKind: a.peerKind, connect: () => (n++ % 2 === 0 ? a : b).connect(), session: () => a.session() };
}

/**
 * Commands Redis has processed (INFO commandstats): all of them, those inside scripts included,
 * and the script calls (EVALSHA, EVAL: one round trip from a node each).
 */
async function redisCalls(r: Redis): Promise<{ all: number; scripts: number }> {
  const info = await r.info('commandstats');
  let all = 0;
  let scripts = 0;
  for (const m of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) {
    all += Number(m[2]);
    if (m[1] === 'evalsha' || m[1] === 'eval') scripts += Number(m[2]);
  }
  return { all, scripts };
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
const label = (size: number) => (size >= 1024 ? `${size / 1024} KiB` : `${size} B`);

export async function benchCluster(log: (line: string) => void = () => {}): Promise<BenchTable[]> {
  const redis = await startRedis();
  const seed = Buffer.from(randomBytes(32)).toString('hex'); // the nodes share the relay's keys
  const env = { BENCH_REDIS_URL: redis.url };
  const single = await spawnServer('parley');
  const nodeA = await spawnServer('parley', ['0', seed], env);
  const nodeB = await spawnServer('parley', ['0', seed], env);
  const servers: Server[] = [single, nodeA, nodeB];
  const r = new Redis(redis.url);
  const rows: Record<string, string | number>[] = [];
  let perFrame = { all: Number.NaN, scripts: Number.NaN };
  try {
    const dA = await dialer(nodeA);
    const dB = await dialer(nodeB);
    const open = { single: await openPairs(await dialer(single), PAIRS), same: await openPairs(dA, PAIRS), cross: await openPairs(split(dA, dB), PAIRS) };
    let frames = 0;
    const calls = { all: 0, scripts: 0 };
    for (const size of SIZES) {
      const opts = { warmupMs: 250, measureMs: 1000, window: Math.max(2, Math.floor(128 / PAIRS)) };
      const res: Record<'single' | 'same' | 'cross', ThroughputResult[]> = { single: [], same: [], cross: [] };
      for (let i = 0; i < REPS; i++) {
        res.single.push(await open.single.measure(size, opts));
        for (const k of ['same', 'cross'] as const) {
          const c0 = await redisCalls(r);
          const m = await open[k].measure(size, opts);
          // Frames over the whole measure (warm-up included) against Redis calls in it: an estimate from the rate.
          frames += m.framesPerSec * ((opts.warmupMs + opts.measureMs) / 1000);
          const c1 = await redisCalls(r);
          calls.all += c1.all - c0.all - 1; // the first INFO call
          calls.scripts += c1.scripts - c0.scripts;
          res[k].push(m);
        }
      }
      const [s, same, cross] = [median(res.single), median(res.same), median(res.cross)];
      const row = {
        frame: label(size),
        'single frames/s': Math.round(s.framesPerSec),
        'same-node frames/s': Math.round(same.framesPerSec),
        'cross-node frames/s': Math.round(cross.framesPerSec),
        'cross/same': ratio(cross.framesPerSec, same.framesPerSec),
        'same/single': ratio(same.framesPerSec, s.framesPerSec),
        'single p99 ms': s.p99Ms,
        'same p99 ms': same.p99Ms,
        'cross p99 ms': cross.p99Ms,
        'cross/same p99': ratio(cross.p99Ms, same.p99Ms),
        'cross p50 ms': cross.p50Ms,
      };
      rows.push(row);
      log(JSON.stringify(row));
    }
    perFrame = { all: calls.all / frames, scripts: calls.scripts / frames };
    log(JSON.stringify({ perFrame }));
    for (const o of Object.values(open)) o.close();
  } finally {
    r.disconnect();
    for (const s of servers) await stop(s);
    redis.child.kill('SIGKILL');
  }
  return [
    {
      title: 'Relay cluster: forwarding on one node vs across two nodes on one Redis, and the single process (same run, 127.0.0.1)',
      note: `Targets: cross/same >= 0.5, cross/same p99 <= 2. ${PAIRS} pairs, each keeping ${Math.max(2, Math.floor(128 / PAIRS))} frames in flight; median of ${REPS} alternating 1 s runs. Two nodes, Redis and the load generator share the machine. Per forwarded frame (same and cross runs; frames estimated from the measured rate over warm-up and measure): ${perFrame.scripts.toFixed(2)} Redis round trips, i.e. script calls (target <= 1 for a live recipient), and ${perFrame.all.toFixed(2)} Redis commands counting those the script runs inside Redis (HGETALL of the id's bindings, PUBLISH to another node) and the nodes' once-a-second PING and stats.`,
      rows,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('../../bench/table.ts');
  const tables = await benchCluster((l) => process.stderr.write(l + '\n'));
  for (const t of tables) process.stdout.write(renderTable(t) + '\n');
  process.exit(0);
}
