/**
 * Servers for the files and sessions benches, each in its own process: the relay bench's
 * server child (relay/bench/server-child.ts: `bare` = the plain `ws` forwarder baseline, `parley`
 * = the real relay with its load limits raised), and small helpers shared by the benches.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { forkReady, stopChild } from '@parley/test-kit/files';

// the engine peers of the files bench are forked and stopped the same way (@parley/test-kit/files)
export { forkReady, stopChild };

const SERVER_CHILD = fileURLToPath(new URL('../../relay/bench/server-child.ts', import.meta.url));
/** USER_HZ: the unit of /proc/<pid>/stat times; 100 on every Linux platform Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface Server {
  child: ChildProcess;
  port: number;
  /** The relay's public keys, hex (parley only). */
  x?: string;
  ed?: string;
}

/** `args` for parley: [port, seedHex] to listen on a given port with a given identity. */
export async function spawnServer(mode: 'bare' | 'parley', execArgv: string[] = [], args: string[] = []): Promise<Server> {
  const { child, ready } = await forkReady<{ port: number; x?: string; ed?: string }>(SERVER_CHILD, [mode, ...args], execArgv);
  return { child, ...ready };
}

/** A process's user + system CPU time so far, ms, from /proc/<pid>/stat (Linux). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command name (which may hold spaces) start at ') '; utime, stime = 14, 15
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND) * 1000;
}

export const ratio = (a: number, b: number) => Number((a / b).toFixed(2));

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Sizes from an environment variable like "1,32,256" (MB = 2^20 bytes; 256 is capped to MAX_FILE_SIZE). */
export function sizesFromEnv(name: string, fallback: number[], max: number): number[] {
  const raw = process.env[name];
  const mbs = raw ? raw.split(',').map((s) => Number(s.trim())).filter((n) => Number.isFinite(n) && n > 0) : fallback;
  return mbs.map((mb) => Math.min(max, Math.round(mb * 2 ** 20)));
}

export function intFromEnv(name: string, fallback: number, max: number): number {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? Math.min(n, max) : fallback;
}
