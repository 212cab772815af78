/**
 * The soak's flags, their defaults, and how the time it is given is split into phases.
 */
import { RESEND_INTERVAL_MS } from '@parley/generated';

export interface SoakOptions {
  clients: number;
  /** The whole run's budget: setup, load, drain and the report. */
  seconds: number;
  kills: number;
  /** Messages per second, all clients together. */
  rate: number;
  /** Share of messages that are files. */
  fileShare: number;
  /** Load processes. */
  workers: number;
  /** Disconnects, the malformed flood and the slow reader (kills are `kills`). */
  faults: boolean;
  seed: number;
  json: boolean;
  /** Relay nodes: 1 is one relay process without Redis; 2..5 a cluster on a redis-server. */
  nodes: number;
  /** Cluster runs: SIGKILL of one node (restarted after NODE_DOWN_MS). */
  nodeKills: number;
  /** Cluster runs: SIGKILL of redis-server (restarted on the same port, empty). */
  redisRestarts: number;
}

/** Bounds of the cluster flags (a node kill and a Redis restart each cost a reconnect storm). */
export const MAX_NODES = 5;
export const MAX_NODE_KILLS = 20;
export const MAX_REDIS_RESTARTS = 10;
/** How long a killed node stays down before it is started again. */
export const NODE_DOWN_MS = 2000;

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Parley soak: a real relay (killed and restarted), N runtime clients, faults; checks that
every message arrives exactly once and in order.

Usage: npm run soak -- [options]

  --clients N    clients (runtime engines on 127.0.0.1)               default 1000
  --seconds S    the whole run's budget, setup to report              default 180
  --kills K      relay SIGKILL + restart (same port, same key)        default 2 (0 with --nodes > 1)
  --nodes N      relay nodes: 1 alone, 2..5 a cluster on redis-server default 1
  --node-kills K cluster: SIGKILL one node, restart it after 2 s      default 0
  --redis-restarts K  cluster: SIGKILL redis-server and start it again  default 0
  --rate R       messages per second, all clients together            default 100
  --files F      share of messages that are files (0..1)              default 0.05
  --workers W    load processes                                       default 2..4 by N
  --no-faults    no disconnects, malformed flood or slow reader (a baseline; add --kills 0)
  --seed X       seed of the plan (pairs, faults, sizes)              default random
  --json         print the final report as one JSON object
  --help

Exit status: 0 all checks passed; 1 a check failed (lost, duplicated, out of order, a crash,
a fault the relay did not handle); 2 bad flags, or the setup did not fit in the time given.
`;

function num(flag: string, v: string | undefined, lo: number, hi: number, int = true): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(n) || (int && !Number.isInteger(n)) || n < lo || n > hi) {
    throw new UsageError(`${flag} must be ${int ? 'a whole number' : 'a number'} from ${lo} to ${hi}, got ${JSON.stringify(v ?? '')}`);
  }
  return n;
}

/** Load processes by client count: one per 250 clients, 2 to 4 (the machine has few cores). */
export const defaultWorkers = (clients: number): number => Math.min(4, Math.max(2, Math.ceil(clients / 250)));

export function parseArgs(argv: string[]): SoakOptions | 'help' {
  const o: Partial<SoakOptions> = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--help': case '-h': return 'help';
      case '--json': o.json = true; break;
      case '--no-faults': o.faults = false; break;
      case '--clients': o.clients = num(flag, value(), 2, 100_000); break;
      case '--seconds': o.seconds = num(flag, value(), 10, 86_400, false); break;
      case '--kills': o.kills = num(flag, value(), 0, 100); break;
      case '--rate': o.rate = num(flag, value(), 0.1, 100_000, false); break;
      case '--files': o.fileShare = num(flag, value(), 0, 1, false); break;
      case '--workers': o.workers = num(flag, value(), 1, 64); break;
      case '--nodes': o.nodes = num(flag, value(), 1, MAX_NODES); break;
      case '--node-kills': o.nodeKills = num(flag, value(), 0, MAX_NODE_KILLS); break;
      case '--redis-restarts': o.redisRestarts = num(flag, value(), 0, MAX_REDIS_RESTARTS); break;
      case '--seed': o.seed = num(flag, value(), 0, 2 ** 32 - 1); break;
      default: throw new UsageError(`unknown option ${JSON.stringify(a)}`);
    }
  }
  const clients = o.clients ?? 1000;
  const nodes = o.nodes ?? 1;
  if (nodes === 1 && ((o.nodeKills ?? 0) > 0 || (o.redisRestarts ?? 0) > 0)) {
    throw new UsageError('--node-kills and --redis-restarts need a cluster: add --nodes 2 or more');
  }
  // a cluster's nodes are killed one at a time (--node-kills); --kills is the lone relay's
  if (nodes > 1 && (o.kills ?? 0) > 0) throw new UsageError('--kills is for one relay; a cluster takes --node-kills');
  return {
    clients,
    seconds: o.seconds ?? 180,
    kills: o.kills ?? (nodes > 1 ? 0 : 2),
    rate: o.rate ?? 100,
    fileShare: o.fileShare ?? 0.05,
    workers: Math.min(o.workers ?? defaultWorkers(clients), clients),
    faults: o.faults ?? true,
    seed: o.seed ?? Math.floor(Math.random() * 2 ** 32),
    json: o.json ?? false,
    nodes,
    nodeKills: o.nodeKills ?? 0,
    redisRestarts: o.redisRestarts ?? 0,
  };
}

/** The setup (relay, clients online, contacts paired) must be done within this share of the budget. */
export const SETUP_SHARE = 0.5;
/** Kept at the end for the report and shutdown. */
export const finishReserveMs = (o: SoakOptions): number => 5000 + o.clients;

/**
 * The drain's reserve. With kills of a lone relay, every client reconnects after the last one
 * and resends at once; without, a frame lost to a cut socket is resent only after
 * RESEND_INTERVAL_MS (checked every third of it), so the drain must cover that (unless nothing
 * is cut). A cluster always needs that cover: a node's SIGKILL loses frames in flight from
 * senders on other nodes, which stay online and resend only after the interval, and an emptied
 * Redis loses receipts that open a chain (never resent), so the messages after them wait for
 * the receiver's KEM_MISSING nudge and their resend.
 */
export function drainReserveMs(o: SoakOptions, remainingMs: number): number {
  const resendFloor = Math.ceil((RESEND_INTERVAL_MS * 4) / 3) + 5000;
  const floor = o.nodeKills + o.redisRestarts > 0 ? resendFloor : o.kills > 0 || !o.faults ? 15_000 : resendFloor;
  return Math.max(floor, 0.3 * remainingMs);
}

/** Fractions of the load phase at which things happen (see README "Timeline"). */
export const TIMELINE = {
  disconnectFrom: 0.05,
  disconnectSpread: 0.2,
  /** Offline time: this share of the load phase, plus up to as much again at random. */
  offlineShare: 0.05,
  offlineMinMs: 1000,
  offlineMaxMs: 20_000,
  floodFrom: 0.1,
  floodTo: 0.4,
  slowFrom: 0.15,
  slowTo: 0.48,
  killsFrom: 0.5,
  killsSpan: 0.45,
} as const;
