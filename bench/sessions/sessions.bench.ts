/**
 * Relay sessions bench (issue 19): the relay's CPU time per new Parley session against a Node
 * `https` + `ws` server's CPU time per new TLS 1.3 connection (Ed25519 certificate made now with
 * the openssl CLI; ECDSA P-256 if that fails), same N, same run; and a reconnect storm: N clients
 * held on the relay, the relay SIGKILLed and started again on the same port with the same
 * identity, time until every client completed a new handshake and the new relay's CPU for it.
 * Server CPU comes from /proc/<pid>/stat; the clients run in another process (load-child.ts).
 *
 *   BENCH_SESSIONS_N=2000   sessions (and TLS connections) measured (default 1000, at most 20,000)
 *   BENCH_STORM_CLIENTS=10000   clients in the storm (default 500, at most 10,000)
 *   BENCH_CPU_PROF_DIR=/tmp/p   the relay of the sessions row runs with --cpu-prof into that folder
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BenchTable } from '../table.ts';
import { cpuMsOf, forkReady, intFromEnv, ratio, spawnServer, stopChild } from '../files/servers.ts';

const LOAD = fileURLToPath(new URL('./load-child.ts', import.meta.url));
const TLS_SERVER = fileURLToPath(new URL('./tls-server.ts', import.meta.url));
const CONCURRENCY = 16;
/** Longest one measured batch may take on a loaded machine. */
const BATCH_TIMEOUT_MS = 300_000;

function makeCert(dir: string, name = 'server'): { cert: string; key: string; kind: string } {
  const cert = join(dir, `${name}-cert.pem`);
  const key = join(dir, `${name}-key.pem`);
  const subj = ['-subj', `/CN=${name === 'server' ? '127.0.0.1' : name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-nodes', '-keyout', key, '-out', cert];
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', ...subj], { stdio: 'ignore' });
    return { cert, key, kind: 'Ed25519' };
  } catch {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', ...subj], { stdio: 'ignore' });
    return { cert, key, kind: 'ECDSA P-256' };
  }
}

function waitFor<T>(child: import('node:child_process').ChildProcess, pick: (m: Record<string, unknown>) => T | undefined, timeoutMs: number, what: string): Promise<T> {
  return new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`sessions bench: no ${what} within ${timeoutMs} ms`)), timeoutMs);
    const on = (m: Record<string, unknown>) => {
      const v = pick(m);
      if (v === undefined) return;
      clearTimeout(t);
      child.off('message', on);
      ok(v);
    };
    child.on('message', on);
  });
}

/** Server CPU ms for `n` sessions made by a load process with `args`; warm-up of n/10 first. */
async function serverCpuPer(serverPid: number, args: string[], n: number, tail: string[] = []): Promise<{ cpuMs: number; wallMs: number }> {
  const warm = await forkReady<true>(LOAD, [...args, String(Math.max(10, Math.floor(n / 10))), String(CONCURRENCY), ...tail]);
  warm.child.send('go');
  await waitFor(warm.child, (m) => (m.done !== undefined ? m : undefined), BATCH_TIMEOUT_MS, 'warm-up');
  await stopChild(warm.child);
  const load = await forkReady<true>(LOAD, [...args, String(n), String(CONCURRENCY), ...tail]);
  try {
    const before = cpuMsOf(serverPid);
    load.child.send('go');
    const r = await waitFor(load.child, (m) => (m.done !== undefined ? (m as { done: number; failed: number; ms: number }) : undefined), BATCH_TIMEOUT_MS, 'sessions');
    await new Promise((ok) => setTimeout(ok, 200)); // the server finishes the closes
    const cpu = cpuMsOf(serverPid) - before;
    if (r.failed > 0) throw new Error(`sessions bench: ${r.failed} of ${n} sessions failed (${args[0]})`);
    return { cpuMs: cpu / r.done, wallMs: r.ms };
  } finally {
    await stopChild(load.child);
  }
}

async function storm(clients: number): Promise<Record<string, string | number>> {
  const seed = randomBytes(32).toString('hex');
  let relay = await spawnServer('parley', []);
  const port = relay.port;
  await stopChild(relay.child);
  relay = await spawnServer('parley', [], [String(port), seed]);
  const load = await forkReady<true>(LOAD, ['storm', `ws://127.0.0.1:${port}/`, relay.x!, relay.ed!, String(clients)]);
  try {
    load.child.send('go');
    await waitFor(load.child, (m) => (m.connected !== undefined ? m : undefined), BATCH_TIMEOUT_MS, 'initial connections');
    // The load process reports by its own deadline (180 s or 30 ms per client), complete or not.
    const back = waitFor(load.child, (m) => (m.reconnected !== undefined ? (m as { at: number; reconnected: number; incomplete?: boolean }) : undefined), Math.max(BATCH_TIMEOUT_MS, clients * 30 + 60_000), 'the storm report');
    relay.child.kill('SIGKILL');
    await new Promise((ok) => relay.child.once('exit', ok));
    const restartAt = performance.timeOrigin + performance.now();
    relay = await spawnServer('parley', [], [String(port), seed]);
    const listeningAt = performance.timeOrigin + performance.now();
    const cpu0 = cpuMsOf(relay.child.pid!);
    const { at, reconnected, incomplete } = await back;
    const cpu = cpuMsOf(relay.child.pid!) - cpu0;
    return {
      clients,
      'relay restart to listening ms': Math.round(listeningAt - restartAt),
      // Past the deadline: how far it got ("93% at 300000"), not a failure of the whole bench.
      'listening to 100% reconnected ms': incomplete ? `${Math.floor((reconnected / clients) * 100)}% at ${Math.round(at - listeningAt)}` : Math.round(at - listeningAt),
      'relay CPU ms (reconnects)': Math.round(cpu),
      'relay CPU ms per reconnect': Number((cpu / Math.max(1, reconnected)).toFixed(2)),
      'load average (1 min) at the end': Number(loadavg()[0]!.toFixed(1)),
    };
  } finally {
    await stopChild(load.child);
    await stopChild(relay.child);
  }
}

export async function benchSessions(log: (line: string) => void = () => {}): Promise<BenchTable[]> {
  const n = intFromEnv('BENCH_SESSIONS_N', 1000, 20_000);
  const clients = intFromEnv('BENCH_STORM_CLIENTS', 500, 10_000);
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-tls-'));
  const tables: BenchTable[] = [];
  try {
    const cert = makeCert(dir);
    // A self-signed client certificate that the mutual-TLS server trusts as is: per connection
    // it verifies the client's CertificateVerify signature, one signature as the relay's HELLO.
    const clientCert = makeCert(dir, 'client');
    const prof = process.env.BENCH_CPU_PROF_DIR;
    const relay = await spawnServer('parley', prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []);
    const tls = await forkReady<{ port: number }>(TLS_SERVER, [cert.cert, cert.key]);
    const mtls = await forkReady<{ port: number }>(TLS_SERVER, [cert.cert, cert.key, clientCert.cert]);
    let p: { cpuMs: number; wallMs: number };
    let t: { cpuMs: number; wallMs: number };
    let m: { cpuMs: number; wallMs: number };
    try {
      p = await serverCpuPer(relay.child.pid!, ['parley', `ws://127.0.0.1:${relay.port}/`, relay.x!, relay.ed!], n);
      t = await serverCpuPer(tls.child.pid!, ['tls', `wss://127.0.0.1:${tls.ready.port}/`, cert.cert], n);
      m = await serverCpuPer(mtls.child.pid!, ['tls', `wss://127.0.0.1:${mtls.ready.port}/`, cert.cert], n, [clientCert.cert, clientCert.key]);
    } finally {
      await stopChild(relay.child);
      await stopChild(tls.child);
      await stopChild(mtls.child);
    }
    log(JSON.stringify({ n, parley: p, tls: t, mutualTls: m, cert: cert.kind }));
    tables.push({
      title: 'Relay sessions: server CPU per new session, Parley relay vs Node https + ws with TLS 1.3',
      note: `Server process CPU (/proc, user + system) over ${n} sessions, ${CONCURRENCY} at a time, after a warm-up of n/10; clients in a separate process. TLS: ${cert.kind} certificate made at bench time, TLS 1.3 only, one WebSocket upgrade per connection. Target (issue 19): ratio <= 1.0. Diagnostic row: the same server asking for a client certificate (self-signed Ed25519, trusted as is), so that it too verifies one client signature per connection, as the relay verifies HELLO's. Shared 2-core host: noisy.`,
      rows: [
        {
          metric: 'server CPU ms per new session',
          'TLS 1.3 + ws': Number(t.cpuMs.toFixed(3)),
          parley: Number(p.cpuMs.toFixed(3)),
          ratio: ratio(p.cpuMs, t.cpuMs),
          target: '<= 1.0',
          met: p.cpuMs <= t.cpuMs ? 'yes' : 'no',
        },
        {
          metric: 'server CPU ms per new session, TLS with a client certificate (diagnostic)',
          'TLS 1.3 + ws': Number(m.cpuMs.toFixed(3)),
          parley: Number(p.cpuMs.toFixed(3)),
          ratio: ratio(p.cpuMs, m.cpuMs),
          target: '',
          met: '',
        },
        { metric: 'sessions/s (load side, diagnostic)', 'TLS 1.3 + ws': Math.round((n / t.wallMs) * 1000), parley: Math.round((n / p.wallMs) * 1000), ratio: ratio(t.wallMs, p.wallMs), target: '', met: '' },
      ],
    });
    const s = await storm(clients);
    log(JSON.stringify(s));
    tables.push({
      title: 'Relay reconnect storm: clients reconnecting after a relay SIGKILL and restart (same port, same identity)',
      note: `Each client reconnects after a random delay of up to 1 s, retrying every 250-500 ms while the relay is down. Time and CPU are the new relay process's; the clients run in another process. Default 500 clients (BENCH_STORM_CLIENTS, up to 10,000).`,
      rows: [s],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return tables;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('../table.ts');
  for (const t of await benchSessions((l) => process.stderr.write(l + '\n'))) process.stdout.write(renderTable(t) + '\n');
  process.exit(0);
}
