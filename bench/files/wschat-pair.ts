/**
 * wschat-to-wschat transfer for the files bench: two homes initialised against the relay,
 * befriended with `whoami` / `contact add` / `requests accept`; then `listen --json --count 1`
 * receives while `file send --json` sends a file written to a temporary folder. Times are taken
 * here as each JSON line arrives; RSS comes from /proc/<pid>/status of each wschat process
 * (PeakRss of @parley/test-kit/memory: VmRSS samples and VmHWM, the kernel's peak, reset at the
 * receiver's baseline), as cli/test/a-large-file-transfer-keeps-both-sides-memory-bounded.test.ts
 * measures it. fsync stays on (the CLI default).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PeakRss, RSS_SAMPLE_MS } from '@parley/test-kit/memory';
import type { TransferResult } from './files.bench.ts';
import { percentile, type Server } from './servers.ts';

const BIN = fileURLToPath(new URL('../../cli/bin/wschat.js', import.meta.url));
/** Longest a setup command (init, whoami, contact add, accept) may take. */
const SETUP_TIMEOUT_MS = 60_000;

interface Proc {
  child: ChildProcess;
  lines: { at: number; event: Record<string, unknown> }[];
  /** The process's resident set: peak of VmRSS samples and VmHWM (test-kit/src/memory). */
  rss: PeakRss;
  exited: Promise<number | null>;
  waitFor(pred: (e: Record<string, unknown>) => boolean, timeoutMs: number): Promise<number>;
}

function run(args: string[], env: NodeJS.ProcessEnv): Proc {
  // the bin itself, as users start it: its shebang gives node the engine's heap flags
  const child = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Proc['lines'] = [];
  const waiters: (() => void)[] = [];
  let partial = '';
  let stderr = '';
  const rss = new PeakRss(child.pid!, RSS_SAMPLE_MS);
  child.stdout!.on('data', (d: Buffer) => {
    const at = performance.timeOrigin + performance.now();
    const parts = (partial + d.toString('utf8')).split('\n');
    partial = parts.pop()!;
    for (const p of parts) {
      try {
        lines.push({ at, event: JSON.parse(p) as Record<string, unknown> });
      } catch {
        // not an event line
      }
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on('data', (d: Buffer) => void (stderr = (stderr + d.toString('utf8')).slice(-4000)));
  const exited = new Promise<number | null>((ok) =>
    child.on('exit', (c) => {
      rss.stop();
      ok(c);
      for (const w of waiters.splice(0)) w();
    }),
  );
  return {
    child,
    lines,
    rss,
    exited,
    waitFor(pred, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      return new Promise((ok, fail) => {
        const check = () => {
          const hit = lines.find((l) => pred(l.event));
          if (hit) return ok(hit.at);
          if (child.exitCode !== null || Date.now() > deadline) return fail(new Error(`wschat ${args[0]}: no matching event (exit ${child.exitCode}); stderr: ${stderr}`));
          waiters.push(check);
          setTimeout(check, Math.max(0, deadline - Date.now()) + 1).unref();
        };
        check();
      });
    },
  };
}

async function ok(args: string[], env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const p = run([...args, '--json'], env);
  const t = setTimeout(() => p.child.kill('SIGKILL'), SETUP_TIMEOUT_MS);
  const code = await p.exited;
  clearTimeout(t);
  if (code !== 0) throw new Error(`wschat ${args.join(' ')} exited ${code}`);
  return p.lines.at(-1)?.event ?? {};
}

export async function wschatTransfer(relay: Server, size: number, timeoutMs: number): Promise<TransferResult> {
  const root = mkdtempSync(join(tmpdir(), 'parley-bench-wschat-'));
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: join(root, 'xdg'), NO_COLOR: '1' };
  for (const k of ['WSCHAT_HOME', 'WSCHAT_RELAY', 'WSCHAT_SERVER_X_PUB', 'WSCHAT_SERVER_ED_PUB', 'WSCHAT_FSYNC']) delete env[k];
  const a = join(root, 'alice');
  const b = join(root, 'bob');
  const http = `http://127.0.0.1:${relay.port}`;
  let listen: Proc | undefined;
  try {
    await Promise.all([ok(['init', '--home', a, '--name', 'alice', '--relay', http], env), ok(['init', '--home', b, '--name', 'bob', '--relay', http], env)]);
    const link = (await ok(['whoami', '--home', b], env)).link as string;
    await ok(['contact', 'add', link, '--home', a], env);
    await ok(['requests', 'accept', 'alice', '--home', b], env);
    // The sender's baseline: the same command sending a 1-byte file (code loaded, connected).
    const tiny = join(root, 'tiny.bin');
    writeFileSync(tiny, randomBytes(1));
    const base = run(['file', 'send', 'bob', tiny, '--home', a, '--json'], env);
    listen = run(['listen', '--json', '--count', '2', '--home', b], env);
    await listen.waitFor((e) => e.type === 'file', SETUP_TIMEOUT_MS);
    if ((await base.exited) !== 0) throw new Error('wschat file send (1 byte) failed');
    const senderBase = base.rss.peak;
    const file = join(root, 'bench.bin');
    writeFileSync(file, randomBytes(size));
    listen.rss.mark();
    const startedAt = performance.timeOrigin + performance.now();
    const send = run(['file', 'send', 'bob', file, '--home', a, '--json', '--timeout', String(Math.ceil(timeoutMs / 1000))], env);
    const killer = setTimeout(() => send.child.kill('SIGKILL'), timeoutMs);
    const doneAt = await listen.waitFor((e) => e.type === 'file' && e.size === size, timeoutMs).finally(() => clearTimeout(killer));
    if ((await send.exited) !== 0) throw new Error('wschat file send failed');
    const inAt = listen.lines.filter((l) => l.event.type === 'file-progress' && l.event.direction === 'in' && (l.event.size as number) === size);
    const outAt = send.lines.filter((l) => l.event.type === 'file-progress' && l.event.direction === 'out');
    // per chunk: the time the k-th chunk went on the wire (sender) to the k-th stored (receiver)
    const sentTimes: number[] = [];
    for (const l of outAt) while (sentTimes.length < ((l.event.sent as number | undefined) ?? 0)) sentTimes.push(l.at);
    const inTimes: number[] = [];
    for (const l of inAt) while (inTimes.length < (l.event.chunks as number)) inTimes.push(l.at);
    const lat = inTimes.slice(0, sentTimes.length).map((t, i) => t - sentTimes[i]!);
    return {
      size,
      totalMs: doneAt - startedAt,
      ttfbMs: (inTimes[0] ?? doneAt) - startedAt,
      p99ChunkMs: percentile(lat, 99),
      senderRss: send.rss.peak - senderBase,
      receiverRss: listen.rss.growth,
    };
  } finally {
    if (listen && listen.child.exitCode === null) listen.child.kill('SIGTERM');
    await listen?.exited;
    rmSync(root, { recursive: true, force: true });
  }
}
