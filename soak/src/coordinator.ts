/**
 * Runs one soak: the relay as a child process, clients in load processes, contacts paired by
 * real invites, load at a set rate with faults on a timeline, a drain, and the records gathered
 * for the check (summary.ts). Everything is bounded in time by `seconds`.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HANDSHAKE_TIMEOUT_MS, SEED_SIZE } from '@parley/generated';
import { fromHex, pickBackend } from '@parley/runtime/crypto';
import { flood, slowReader, type FloodResult, type SlowReaderResult } from './faults.ts';
import type { Disconnect, WorkerReport, WorkerStatus } from './ipc.ts';
import { prng } from './messages.ts';
import { NODE_DOWN_MS, SETUP_SHARE, TIMELINE, drainReserveMs, finishReserveMs, type SoakOptions } from './options.ts';
import { RedisProcess } from './redis-process.ts';
import { RelayProcess, freePort } from './relay-process.ts';
import { WorkerProc } from './workers.ts';

export interface RunData {
  options: SoakOptions;
  timing: { relayStartMs: number; initMs: number; connectMs: number; pairMs: number; setupMs: number; loadMs: number; drainMs: number | null; totalMs: number };
  edges: number;
  /**
   * The outages, in order: `relay` a lone relay's SIGKILL, `node` one cluster node's (`node` its
   * index), `redis` redis-server's. `restartMs`: from the kill until the relay (or every node,
   * after Redis) answered /healthz again.
   */
  kills: { k: number; what: 'relay' | 'node' | 'redis'; node?: number; atMs: number; restartMs: number; killAt: number }[];
  reports: WorkerReport[];
  flood: FloodResult | null;
  slow: SlowReaderResult | null;
  relay: { nodes: number; peakRssKiB: number; startRssKiB: number; cpuMs: number; crashes: string[]; counters: Record<string, number> };
  /** CPU time of this (coordinator) process, ms: the raw fault clients run here. */
  cpuMs: number;
  crashes: string[];
  /** Fault tasks that broke (the flood, the slow reader, a kill or restart). */
  errors: string[];
}

/** The setup did not fit in the time given (exit 2). */
export class SetupError extends Error {
  override name = 'SetupError';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const IPC_TIMEOUT_MS = 60_000;
/** No kill later than this before the load ends. */
const KILL_MARGIN_MS = 2000;
/** How long redis-server stays down in a Redis restart. */
const REDIS_DOWN_MS = 2000;
/** Longest a relay or node may take to answer /healthz after a (re)start. */
const RESTART_TIMEOUT_MS = 60_000;

/** Ring i → i+1, plus n/2 random chords; each edge is [inviter, invitee]. */
export function contactGraph(n: number, r: () => number): [number, number][] {
  const seen = new Set<string>();
  const out: [number, number][] = [];
  const add = (a: number, b: number) => {
    const k = a < b ? `${a},${b}` : `${b},${a}`;
    if (a === b || seen.has(k)) return;
    seen.add(k);
    out.push([a, b]);
  };
  for (let i = 0; i < n; i++) add(i, (i + 1) % n);
  for (let c = 0; c < Math.floor(n / 2); c++) add(Math.floor(r() * n), Math.floor(r() * n));
  return out;
}

/**
 * The outage plan: the lone relay's kills, or a cluster's Redis restarts and node kills
 * interleaved (redis, node, redis, ...) while both last. A Redis restart goes first: what an
 * emptied Redis loses can take one or two RESEND_INTERVAL_MS to come back (README "On a
 * cluster"), so it gets the most time before the drain ends.
 */
export function outagePlan(o: Pick<SoakOptions, 'kills' | 'nodeKills' | 'redisRestarts'>): ('relay' | 'node' | 'redis')[] {
  const out: ('relay' | 'node' | 'redis')[] = Array.from({ length: o.kills }, () => 'relay');
  for (let n = o.nodeKills, r = o.redisRestarts; n + r > 0; ) {
    if (r > 0) (r--, out.push('redis'));
    if (n > 0) (n--, out.push('node'));
  }
  return out;
}

/** Runs the soak; `dir` (empty, private) takes the relay's key file and the logs. */
export async function runSoak(o: SoakOptions, dir: string, say: (line: string) => void): Promise<RunData> {
  const t0 = Date.now();
  const r = prng(o.seed);
  const keyFile = join(dir, 'relay.key');
  writeFileSync(keyFile, randomBytes(SEED_SIZE).toString('hex') + '\n', { mode: 0o600 });
  // a cluster: redis-server, and nodes that share the key file and list each other as endpoints
  const cluster = o.nodes > 1;
  const redis = cluster ? new RedisProcess(await freePort(), dir, join(dir, 'redis.log')) : undefined;
  const ports: number[] = [];
  for (let i = 0; i < o.nodes; i++) ports.push(await freePort());
  const endpoints = ports.map((p) => `ws://127.0.0.1:${p}/`);
  const nodes: RelayProcess[] = [];
  for (let i = 0; i < o.nodes; i++) {
    nodes.push(new RelayProcess({
      port: ports[i]!,
      metricsPort: await freePort(),
      keyFile,
      logFile: join(dir, cluster ? `relay-${i}.log` : 'relay.log'),
      noWebRoot: join(dir, 'no-web'),
      maxConnectionsPerAddress: o.clients + 1000,
      handshakesPerAddressPerMinute: Number.MAX_SAFE_INTEGER,
      extraArgs: redis ? ['--redis-url', redis.url, '--endpoints', endpoints.join(',')] : [],
    }));
  }
  // the faults' raw clients and the slow reader's metrics use the first node
  const relay = nodes[0]!;
  const workers: WorkerProc[] = [];
  const counters: Record<string, number> = {};
  /** Adds a node's counters: once per incarnation, before its kill and at the end. */
  const snapshot = async (node: RelayProcess) => {
    try {
      for (const [k, v] of await node.metrics()) if (/^parley_relay_\w+_total\b/.test(k)) counters[k] = (counters[k] ?? 0) + v;
    } catch {
      // the node is down: that incarnation's last counters are lost
    }
  };
  const allReady = async (timeoutMs: number) => {
    const t = Date.now();
    while (!(await Promise.all(nodes.map((n) => n.ready()))).every(Boolean)) {
      if (Date.now() - t > timeoutMs) throw new Error(`not every node was ready within ${timeoutMs} ms after Redis came back`);
      await sleep(100);
    }
  };
  const all = <T>(f: (w: WorkerProc) => Promise<T>) => Promise.all(workers.map(f));
  try {
    const setupDeadline = t0 + o.seconds * 1000 * SETUP_SHARE;
    const setupLeft = () => Math.max(1000, setupDeadline - Date.now());
    // anything failing before the load starts is a setup failure (exit 2)
    const setup = <T>(p: Promise<T>): Promise<T> => p.catch((e: Error) => Promise.reject(e instanceof SetupError ? e : new SetupError(e.message)));
    if (redis) await setup(redis.start());
    const relayStartMs = Math.max(...(await setup(Promise.all(nodes.map((n) => n.start(setupLeft()))))));
    if (o.kills > 0) relay.prepare();
    const address = { ...(await relay.address()), ...(cluster ? { endpoints } : {}) };
    const keys = { x: fromHex(address.x), ed: fromHex(address.ed) };
    say(cluster
      ? `${o.nodes} relay nodes on ${redis!.url} up in ${(relayStartMs / 1000).toFixed(1)} s (${endpoints.join(' ')}); ${o.workers} load processes`
      : `relay up on ${address.url} in ${(relayStartMs / 1000).toFixed(1)} s (pid ${relay.pid}); ${o.workers} load processes`);

    // clients, round-robin over the load processes
    const owner = (i: number) => workers[i % o.workers]!;
    const ti = Date.now();
    for (let w = 0; w < o.workers; w++) workers.push(new WorkerProc(w));
    const concurrency = 16;
    await setup(all((w) =>
      w.request({ t: 'init', clients: range(o.clients).filter((i) => i % o.workers === w.index), relay: address, seed: o.seed + w.index + 1, concurrency }, 'ok', setupLeft()),
    ));
    const initMs = Date.now() - ti;
    const tc = Date.now();
    await setup(all((w) => w.request({ t: 'connect', deadline: setupDeadline }, 'ok', setupLeft())));
    const connectMs = Date.now() - tc;
    say(`${o.clients} clients online in ${(connectMs / 1000).toFixed(1)} s (load processes and identities ready in ${(initMs / 1000).toFixed(1)} s)`);

    // contacts by real invites: the inviter makes a one-use invite, the invitee adds it, the inviter accepts
    const tp = Date.now();
    const edges = contactGraph(o.clients, r);
    const links = new Map<number, string>();
    await setup(all(async (w) => {
      const mine = edges.flatMap(([a], e) => (owner(a) === w ? [{ e, a }] : []));
      for (const l of (await w.request({ t: 'invite', edges: mine }, 'links', setupLeft())).links) links.set(l.e, l.link);
    }));
    const failed: string[] = [];
    await setup(all(async (w) => {
      const items = edges.flatMap(([, b], e) => (owner(b) === w ? [{ e, b, link: links.get(e)! }] : []));
      const res = await w.request({ t: 'add', deadline: setupDeadline, items }, 'added', setupLeft() + 5000);
      failed.push(...res.failed.map((f) => `c${edges[f.e]![1]} adding c${edges[f.e]![0]}: ${f.error}`));
    }));
    if (failed.length > 0) throw new SetupError(`${failed.length} of ${edges.length} contacts were not paired: ${failed.slice(0, 3).join('; ')}`);
    const pairMs = Date.now() - tp;
    say(`${edges.length} contacts paired in ${(pairMs / 1000).toFixed(1)} s`);

    // the time left is split into load and drain
    const loadStart = Date.now();
    const setupMs = loadStart - t0;
    const end = t0 + o.seconds * 1000 - finishReserveMs(o);
    const loadMs = Math.floor(end - loadStart - drainReserveMs(o, end - loadStart));
    if (loadMs < 5000) throw new SetupError(`setup took ${(setupMs / 1000).toFixed(1)} s, leaving too little of --seconds ${o.seconds} for load and drain`);
    const at = (share: number) => loadStart + share * loadMs;
    const T = TIMELINE;

    const disconnects: Disconnect[] = shuffle(range(o.clients), r)
      .slice(0, o.faults ? Math.ceil(o.clients / 10) : 0)
      .map((client, i) => ({
        client,
        at: at(T.disconnectFrom + T.disconnectSpread * r()),
        offlineMs: Math.round(Math.min(T.offlineMaxMs, Math.max(T.offlineMinMs, loadMs * T.offlineShare * (1 + r())))),
        mode: i % 2 === 0 ? 'cut' : 'restart',
      }));
    await all((w) =>
      w.request({ t: 'load', rate: (o.rate * countOf(o, w.index)) / o.clients, fileShare: o.fileShare, disconnects: disconnects.filter((d) => owner(d.client) === w) }, 'ok', IPC_TIMEOUT_MS),
    );
    const plan = outagePlan(o);
    say(`load for ${(loadMs / 1000).toFixed(0)} s at ${o.rate} msg/s; ${disconnects.length} clients disconnect abruptly; ${cluster ? `${o.nodeKills} node kill(s), ${o.redisRestarts} Redis restart(s)` : `${o.kills} relay kill(s)`}`);

    const backend = await pickBackend();
    // fault tasks run beside the load; a failure is reported, never left unhandled
    const errors: string[] = [];
    const onError = (what: string) => (e: Error) => {
      errors.push(`${what}: ${e.message}`);
      say(`${what} failed: ${e.message}`);
      return null;
    };
    const floodTask = sleep(at(T.floodFrom) - Date.now()).then(() =>
      !o.faults ? null : flood(address.url, keys, backend, at(T.floodTo), at(T.killsFrom) - at(T.floodFrom) > HANDSHAKE_TIMEOUT_MS * 1.5),
    ).catch(onError('malformed flood'));
    const slowTask = sleep(at(T.slowFrom) - Date.now()).then(async () => {
      if (!o.faults) return null;
      const base = (await relay.metrics()).get('parley_relay_drops_total{reason="slow_reader"}') ?? 0;
      return slowReader(address.url, keys, backend, at(T.slowTo), async () => ((await relay.metrics()).get('parley_relay_drops_total{reason="slow_reader"}') ?? 0) > base);
    }).catch(onError('slow reader'));
    const kills: RunData['kills'] = [];
    const killTask = (async () => {
      let nodeKills = 0;
      for (let k = 0; k < plan.length; k++) {
        const what = plan[k]!;
        await sleep(at(T.killsFrom + (T.killsSpan * k) / plan.length) - Date.now());
        // each outage finds every client online, so its reconnect figures stand alone
        const last = loadStart + loadMs - KILL_MARGIN_MS;
        while (Date.now() < last && !(await status(workers).then((s) => s.online === s.clients, () => false))) await sleep(250);
        if (Date.now() >= last) {
          say(`outage ${k + 1} (${what}) skipped: not every client was back online before the end of the load`);
          break;
        }
        if (what === 'redis') {
          // every node closes its sessions when Redis goes: every client is watched
          await all((w) => w.request({ t: 'kill', k }, 'ok', IPC_TIMEOUT_MS));
          const killAt = Date.now();
          await redis!.kill();
          await sleep(REDIS_DOWN_MS);
          await redis!.start();
          await allReady(RESTART_TIMEOUT_MS);
          const restartMs = Date.now() - killAt;
          kills.push({ k, what, atMs: killAt - loadStart, restartMs, killAt });
          say(`outage ${k + 1}: Redis SIGKILL at +${((killAt - loadStart) / 1000).toFixed(1)} s, every node ready again ${(restartMs / 1000).toFixed(1)} s later`);
          continue;
        }
        const i = what === 'node' ? nodeKills++ % nodes.length : 0;
        const node = nodes[i]!;
        await snapshot(node);
        await all((w) => w.request(cluster ? { t: 'kill', k, node: node.wsUrl } : { t: 'kill', k }, 'ok', IPC_TIMEOUT_MS));
        const killAt = Date.now();
        await node.kill();
        if (what === 'node') {
          node.prepare(); // loads while the node is down
          await sleep(NODE_DOWN_MS);
        }
        const restartMs = await node.start(RESTART_TIMEOUT_MS);
        const again = await node.address();
        if (again.x !== address.x || again.ed !== address.ed) throw new Error('the restarted relay has other keys');
        kills.push({ k, what, ...(what === 'node' ? { node: i } : {}), atMs: killAt - loadStart, restartMs, killAt });
        if (what === 'relay' && k + 1 < plan.length) relay.prepare();
        say(what === 'node'
          ? `outage ${k + 1}: node ${i} SIGKILL at +${((killAt - loadStart) / 1000).toFixed(1)} s, down ${NODE_DOWN_MS / 1000} s, back in ${(restartMs / 1000).toFixed(1)} s`
          : `kill ${k + 1}: SIGKILL at +${((killAt - loadStart) / 1000).toFixed(1)} s, relay back in ${(restartMs / 1000).toFixed(1)} s`);
      }
    })().catch(onError('relay kill'));
    const progress = setInterval(() => {
      void status(workers).then((s) => say(`+${((Date.now() - loadStart) / 1000).toFixed(0)} s: ${s.online}/${s.clients} online, ${s.textsSent} texts sent, ${s.textsReceived} shown, outbox ${s.outbox}`), () => {});
    }, 10_000);
    await sleep(loadStart + loadMs - Date.now());
    await all((w) => w.request({ t: 'drain' }, 'ok', IPC_TIMEOUT_MS));
    const drainStart = Date.now();
    say('sending stopped; draining');
    let drainMs: number | null = null;
    while (Date.now() < end) {
      const s = await status(workers);
      if (s.outbox === 0 && s.pending === 0 && s.online === s.clients && s.textsSent === s.textsReceived) {
        drainMs = Date.now() - drainStart;
        break;
      }
      await sleep(500);
    }
    clearInterval(progress);
    say(drainMs === null ? 'drain did not finish in time' : `drained in ${(drainMs / 1000).toFixed(1)} s`);
    const [floodRes, slowRes] = await Promise.all([floodTask, slowTask, killTask]);
    for (const n of nodes) await snapshot(n);
    const reports = await all(async (w) => (await w.request({ t: 'report' }, 'report', IPC_TIMEOUT_MS)).report);
    return {
      options: o,
      timing: { relayStartMs, initMs, connectMs, pairMs, setupMs, loadMs, drainMs, totalMs: Date.now() - t0 },
      edges: edges.length,
      kills,
      reports,
      flood: floodRes,
      slow: slowRes,
      relay: {
        nodes: o.nodes,
        peakRssKiB: Math.max(...nodes.map((n) => n.peakRssKiB)),
        startRssKiB: Math.max(...nodes.map((n) => n.startRssKiB ?? 0)),
        cpuMs: nodes.reduce((a, n) => a + n.cpuMs, 0),
        crashes: [...nodes.flatMap((n, i) => n.crashes.map((c) => (cluster ? `node ${i}: ${c}` : c))), ...(redis?.crashes.map((c) => `redis-server: ${c}`) ?? [])],
        counters,
      },
      cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      crashes: workers.flatMap((w) => w.crashes),
      errors,
    };
  } finally {
    await Promise.all(workers.map((w) => w.exit(10_000)));
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.kill();
  }
}

async function status(workers: WorkerProc[]): Promise<WorkerStatus> {
  const s: WorkerStatus = { online: 0, clients: 0, outbox: 0, pending: 0, filesInFlight: 0, textsSent: 0, textsReceived: 0 };
  for (const w of await Promise.all(workers.map((w) => w.request({ t: 'status' }, 'status', IPC_TIMEOUT_MS)))) {
    for (const k of Object.keys(s) as (keyof WorkerStatus)[]) s[k] += w.status[k];
  }
  return s;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const countOf = (o: SoakOptions, w: number) => range(o.clients).filter((i) => i % o.workers === w).length;

function shuffle<T>(xs: T[], r: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
