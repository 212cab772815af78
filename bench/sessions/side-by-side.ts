/**
 * Relay CPU per new session, two relays side by side: this checkout's relay and another
 * checkout's (an older commit, `git worktree add`), plus the TLS 1.3 + ws server of the sessions
 * bench, all running at once and driven alternately by this one process in chunks, so that every
 * server sees the same load on a shared host. Separate bench runs differ by 20 % on such a host;
 * this pairing is how a change of a few per cent is told from noise
 * (bench/results/sessions-profile.md). The clients run here; only the servers' CPU counts.
 *
 *   git worktree add /tmp/base <commit> && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   npx tsx bench/sessions/side-by-side.ts /tmp/base
 *
 *   SIDE_ROUNDS=20   rounds (each server gets one chunk per round, order alternating)
 *   SIDE_CHUNK=100   sessions per chunk
 *   SIDE_NO_TLS=1    relays only
 *   SIDE_PROF=/tmp/p both relays run with --cpu-prof into /tmp/p/before and /tmp/p/after
 *
 * Prints one JSON line: ms of server CPU per session for each, and the ratios.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { pickBackend } from '@parley/runtime/crypto';
import { generateIdentity } from '@parley/runtime/protocol';
import type { ChildProcess } from 'node:child_process';
import { cpuMsOf, forkReady, intFromEnv, stopChild } from '../files/servers.ts';
import { handshake } from './client.ts';

const TLS_SERVER = fileURLToPath(new URL('./tls-server.ts', import.meta.url));
const OWN_RELAY = fileURLToPath(new URL('../../relay/bench/server-child.ts', import.meta.url));
const CONCURRENCY = 16;
const WARM_UP = 200;
/** Client identities reused in turn, as in the sessions bench (each closed before reuse). */
const IDENTITIES = 64;

interface Side {
  name: string;
  child: ChildProcess;
  one: (i: number) => Promise<void>;
  cpuMs: number;
  sessions: number;
}

const other = process.argv[2];
if (other === undefined) throw new Error('usage: side-by-side.ts /path/to/other/checkout');
const rounds = intFromEnv('SIDE_ROUNDS', 20, 1000);
const chunk = intFromEnv('SIDE_CHUNK', 100, 10_000);
const prof = process.env.SIDE_PROF;

const dir = mkdtempSync(join(tmpdir(), 'parley-side-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
const sides: Side[] = [];
try {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-nodes', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const ca = readFileSync(cert);
  const backend = await pickBackend();
  const pool = await Promise.all(Array.from({ length: IDENTITIES }, () => generateIdentity(backend)));
  const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
  for (const [name, path] of [['before', resolve(other, 'relay/bench/server-child.ts')], ['after', OWN_RELAY]] as const) {
    const execArgv = prof !== undefined ? ['--cpu-prof', '--cpu-prof-dir', join(prof, name)] : [];
    const { child, ready } = await forkReady<{ port: number; x: string; ed: string }>(path, ['parley'], execArgv);
    const relay = { x: hex(ready.x), ed: hex(ready.ed) };
    const url = `ws://127.0.0.1:${ready.port}/`;
    sides.push({ name, child, cpuMs: 0, sessions: 0, one: async (i) => (await handshake(url, backend, pool[i % IDENTITIES]!, relay)).ws.terminate() });
  }
  if (process.env.SIDE_NO_TLS === undefined) {
    const { child, ready } = await forkReady<{ port: number }>(TLS_SERVER, [cert, key]);
    const url = `wss://127.0.0.1:${ready.port}/`;
    const one = () =>
      new Promise<void>((ok, fail) => {
        const ws = new WebSocket(url, { ca, perMessageDeflate: false, minVersion: 'TLSv1.3' });
        ws.once('open', () => {
          ws.terminate();
          ok();
        });
        ws.once('error', fail);
      });
    sides.push({ name: 'tls', child, cpuMs: 0, sessions: 0, one });
  }
  const batch = async (s: Side, n: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < n) await s.one(next++);
      }),
    );
    await new Promise((ok) => setTimeout(ok, 100)); // the server finishes the closes
  };
  for (const s of sides) await batch(s, WARM_UP);
  const load = loadavg()[0]!;
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
      const before = cpuMsOf(s.child.pid!);
      await batch(s, chunk);
      s.cpuMs += cpuMsOf(s.child.pid!) - before;
      s.sessions += chunk;
    }
  }
  const per = Object.fromEntries(sides.map((s) => [s.name, Number((s.cpuMs / s.sessions).toFixed(3))]));
  const r = (a: string, b: string) => (per[a] !== undefined && per[b] !== undefined ? Number((per[a] / per[b]).toFixed(3)) : null);
  const summary = { ...per, 'after/before': r('after', 'before'), 'after/tls': r('after', 'tls'), 'before/tls': r('before', 'tls'), sessions: rounds * chunk, load: [load, loadavg()[0]!].map((x) => Number(x.toFixed(1))) };
  process.stdout.write(JSON.stringify(summary) + '\n');
} finally {
  for (const s of sides) await stopChild(s.child);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
