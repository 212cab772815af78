/**
 * A real relay as a child process (`relay start`, the real protocol layer), optionally under a
 * lowered descriptor limit (`prlimit --nofile=N:N`), for attacks that need the process's own
 * limits: descriptor exhaustion, memory per queued frame.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PublicKeys } from '@parley/runtime/protocol';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface RelayChild {
  child: ChildProcess;
  port: number;
  url: string;
  httpUrl: string;
  keys: PublicKeys;
  output(): string;
  stop(): Promise<void>;
}

export async function spawnRelay(opts: { nofile?: number; args?: string[]; env?: Record<string, string> } = {}): Promise<RelayChild> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-relay-child-'));
  const node = [process.execPath, '--import', 'tsx', MAIN, 'start', '--port', '0', ...(opts.args ?? [])];
  const argv = opts.nofile !== undefined ? ['prlimit', `--nofile=${opts.nofile}:${opts.nofile}`, ...node] : node;
  const child = spawn(argv[0]!, argv.slice(1), {
    env: { PATH: process.env.PATH ?? '', PARLEY_DATA: dir, WEB_ROOT: join(dir, 'no-web'), METRICS_PORT: '0', LOG_LEVEL: 'info', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`relay did not start:\n${out}`)), 30_000);
    const check = () => {
      const line = out.split('\n').find((l) => l.includes('"relay listening"'));
      if (line !== undefined) {
        clearTimeout(timer);
        ok((JSON.parse(line) as { port: number }).port);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`relay exited (${code}):\n${out}`));
    });
  });
  const httpUrl = `http://127.0.0.1:${port}`;
  const doc = (await (await fetch(`${httpUrl}/.well-known/parley.json`)).json()) as { relay_x: string; relay_ed: string };
  return {
    child,
    port,
    url: `ws://127.0.0.1:${port}/`,
    httpUrl,
    keys: { x: Uint8Array.from(Buffer.from(doc.relay_x, 'hex')), ed: Uint8Array.from(Buffer.from(doc.relay_ed, 'hex')) },
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
  };
}
