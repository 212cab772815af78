/**
 * Several relay nodes of one relay, as real processes (`relay start` of @parley/relay's main) on
 * 127.0.0.1: they share one key file (the relay's identity) and each publishes all of them as
 * the well-known document's endpoints (RELAY_ENDPOINTS). Without Redis a node's mailboxes are its
 * own, so a test that delivers across a failover has its clients meet on the same node.
 *
 * The ports are taken up front (bound to port 0, then released) so that every node's
 * RELAY_ENDPOINTS can list the others, and a node not started yet refuses connections like a
 * dead one. `kill(i)` is SIGKILL: the node's clients see their connection drop without a close
 * frame and new connections refused, as when a machine dies.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = createRequire(import.meta.url).resolve('@parley/relay/main');
/** Longest a node may take to start on a loaded machine. */
const START_TIMEOUT_MS = 60_000;

export interface RelayNodes {
  /** ws://127.0.0.1:PORT/ of each node, in index order. */
  readonly endpoints: string[];
  /** http://127.0.0.1:PORT of each node (its /.well-known/parley.json lists every endpoint). */
  readonly httpUrls: string[];
  /** The relay's public keys, from node `i`'s well-known document once one was started. */
  keys(): Promise<{ x: Uint8Array; ed: Uint8Array }>;
  /** Starts node i (again, after a kill): same port, same keys. */
  start(i: number): Promise<void>;
  /** SIGKILL node i and waits until it is gone. */
  kill(i: number): Promise<void>;
  running(i: number): boolean;
  /** Everything node i logged (JSON lines), for failure messages. */
  output(i: number): string;
  /** Kills every node and removes the folders. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * `count` nodes with one identity; `up` (default: all) are started now, the others only have
 * their port reserved in every node's endpoint list. `env` adds relay settings to every node.
 */
export async function startRelayNodes(o: { count: number; up?: readonly number[]; env?: Record<string, string> }): Promise<RelayNodes> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-nodes-'));
  const keyDir = join(dir, 'keys');
  const gen = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'keygen', '--data', keyDir], { encoding: 'utf8', timeout: START_TIMEOUT_MS });
  if (gen.status !== 0) throw new Error(`relay keygen failed (${gen.status}): ${gen.stderr}`);
  const ports: number[] = [];
  for (let i = 0; i < o.count; i++) ports.push(await freePort());
  const endpoints = ports.map((p) => `ws://127.0.0.1:${p}/`);
  const httpUrls = ports.map((p) => `http://127.0.0.1:${p}`);
  const children: (ChildProcess | undefined)[] = ports.map(() => undefined);
  const outputs: string[] = ports.map(() => '');

  const start = async (i: number): Promise<void> => {
    if (children[i] && children[i]!.exitCode === null && children[i]!.signalCode === null) return;
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'start', '--port', String(ports[i])], {
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PARLEY_DATA: join(dir, `node-${i}`),
        RELAY_KEY_FILE: join(keyDir, 'relay.key'),
        RELAY_ENDPOINTS: endpoints.join(','),
        METRICS_PORT: '0',
        LOG_LEVEL: 'info',
        RELAY_SHUTDOWN_RETRY_AFTER_MS: '0',
        ...o.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children[i] = child;
    child.stdout!.on('data', (d: Buffer) => (outputs[i] += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (outputs[i] += d.toString()));
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`relay node ${i} did not start:\n${outputs[i]}`)), START_TIMEOUT_MS);
      const check = (): void => {
        if (outputs[i]!.includes('"relay listening"')) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          ok();
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`relay node ${i} exited (${code}):\n${outputs[i]}`));
      });
    });
  };

  const kill = async (i: number): Promise<void> => {
    const child = children[i];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  };

  const nodes: RelayNodes = {
    endpoints,
    httpUrls,
    async keys() {
      const i = children.findIndex((c) => c !== undefined && c.exitCode === null && c.signalCode === null);
      if (i < 0) throw new Error('no relay node is running');
      const doc = (await (await fetch(`${httpUrls[i]}/.well-known/parley.json`)).json()) as { relay_x: string; relay_ed: string };
      return { x: Uint8Array.from(Buffer.from(doc.relay_x, 'hex')), ed: Uint8Array.from(Buffer.from(doc.relay_ed, 'hex')) };
    },
    start,
    kill,
    running: (i) => children[i] !== undefined && children[i]!.exitCode === null && children[i]!.signalCode === null,
    output: (i) => outputs[i] ?? '',
    async stop() {
      for (let i = 0; i < children.length; i++) await kill(i);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all((o.up ?? ports.map((_, i) => i)).map((i) => start(i)));
  } catch (err) {
    await nodes.stop();
    throw err;
  }
  return nodes;
}
