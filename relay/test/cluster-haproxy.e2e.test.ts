/**
 * The README's HAProxy configuration (relay/deploy/haproxy.cfg, with TLS off and the nodes'
 * real ports) in front of three relay node processes on a real redis-server: two runtime
 * engines that know one URL chat through it while the nodes holding them are SIGKILLed one
 * after the other. Their engines reconnect through HAProxy to the remaining nodes (no sticky
 * sessions), and every message arrives once, in order. Behind the trusted proxy, the relay
 * counts each client under its own address (X-Forwarded-For), not HAProxy's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageType } from '@parley/generated';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { pickBackend } from '@parley/runtime/crypto';
import { Engine, MemoryStore, type EngineEvents } from '@parley/runtime/engine';
import { NodeWsTransport } from '@parley/runtime/node';
import { generateIdentity } from '@parley/runtime/protocol';
import { RealClient } from './helpers/real-client.ts';
import { clusterKeyFile, freePort, scrape, startNode, startRedis, until, type NodeChild, type RedisChild } from './helpers/cluster.ts';

const CONFIG = fileURLToPath(new URL('../deploy/haproxy.cfg', import.meta.url));

const engines: Engine[] = [];
const nodes: NodeChild[] = [];
let redis: RedisChild | undefined;
let haproxy: ChildProcess | undefined;
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
  if (haproxy !== undefined && haproxy.exitCode === null) {
    const gone = new Promise((ok) => haproxy!.once('exit', ok));
    haproxy.kill('SIGKILL');
    await gone;
  }
  for (const n of nodes.splice(0)) await n.stop();
  await redis?.kill();
});

/** Starts HAProxy with the README's configuration, bound to a free loopback port without TLS, in front of `backends`. */
async function startHaproxy(backends: number[]): Promise<number> {
  const port = await freePort();
  let cfg = readFileSync(CONFIG, 'utf8').replace(/^ {4}bind :443 .*$/m, `    bind 127.0.0.1:${port}`);
  cfg = cfg.replace(/^ {4}server node\d .*\n/gm, '');
  cfg += backends.map((p, i) => `    server node${i + 1} 127.0.0.1:${p} check\n`).join('');
  cfg = cfg.replace(/^ {4}maxconn \d+$/m, '    maxconn 2000');
  const file = join(mkdtempSync(join(tmpdir(), 'parley-haproxy-')), 'haproxy.cfg');
  writeFileSync(file, cfg);
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy = child;
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`haproxy exited:\n${out}`);
    return fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
  }, 'haproxy up');
  return port;
}

interface Chatter {
  engine: Engine;
  texts: string[];
}

/** Two engines that know one URL (HAProxy's), befriended. */
async function pair(url: string, keys: { x: Uint8Array; ed: Uint8Array }): Promise<{ a: Chatter; b: Chatter; aSeesB: { key: string }; bSeesA: { key: string } }> {
  const backend = await pickBackend();
  const make = async (name: string): Promise<Chatter> => {
    const engine = new Engine({
      identity: await generateIdentity(backend),
      store: new MemoryStore(),
      backend,
      relay: { url, x: keys.x, ed: keys.ed },
      transport: new NodeWsTransport(),
      displayName: name,
      random: () => 0.01,
    });
    const texts: string[] = [];
    engine.on('message', (m: EngineEvents['message']) => {
      if (m.type === MessageType.text) texts.push(m.body.text);
    });
    engines.push(engine);
    await engine.start();
    await until(() => engine.state.state === 'online', `${name} online`);
    return { engine, texts };
  };
  const a = await make('alice');
  const b = await make('bob');
  const invite = await a.engine.createInvite({ name: 'alice' });
  const request = new Promise<EngineEvents['contact-request']>((ok) => a.engine.on('contact-request', ok));
  const bSeesA = await b.engine.addContact(invite.link, { note: 'hi' });
  const aSeesB = await a.engine.acceptContact((await request).contact.key);
  await until(() => a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 'befriended');
  return { a, b, aSeesB, bSeesA };
}

describe('three relay nodes behind HAProxy (the README configuration)', () => {
  it('chat goes on through node SIGKILLs: every message once, in order', { timeout: 120_000 }, async () => {
    redis = await startRedis();
    const keyFile = await clusterKeyFile();
    const started = await Promise.all([0, 1, 2].map(() => startNode(redis!.url, keyFile, { RELAY_TRUSTED_PROXIES: '127.0.0.1' })));
    nodes.push(...started);
    const port = await startHaproxy(started.map((n) => n.port));
    const url = `ws://127.0.0.1:${port}/`;
    const { a, b, aSeesB, bSeesA } = await pair(url, started[0]!.keys);
    const sessionsOn = (n: NodeChild) => scrape(n.metricsUrl, 'parley_relay_connections{state="session"}');
    const fromA = Array.from({ length: 30 }, (_, i) => `a${i}`);
    const fromB = Array.from({ length: 30 }, (_, i) => `b${i}`);
    let killed = 0;
    for (let i = 0; i < 30; i++) {
      await a.engine.sendText(aSeesB.key, fromA[i]!);
      await b.engine.sendText(bSeesA.key, fromB[i]!);
      if (i === 10 || i === 20) {
        // SIGKILL a node that holds a session, under traffic.
        for (const n of nodes) {
          if (n.child.exitCode === null && n.child.signalCode === null && (await sessionsOn(n)) > 0) {
            await n.stop();
            killed++;
            break;
          }
        }
      }
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(killed).toBe(2);
    await until(() => b.texts.length >= 30 && a.texts.length >= 30 && a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 'every message delivered', 60_000);
    expect(b.texts).toEqual(fromA);
    expect(a.texts).toEqual(fromB);

  });

  it('Redis restarted under traffic (no persistence): nodes go not ready, recover, and every message arrives once, in order', { timeout: 120_000 }, async () => {
    redis = await startRedis();
    const keyFile = await clusterKeyFile();
    const started = await Promise.all([0, 1, 2].map(() => startNode(redis!.url, keyFile, { RELAY_TRUSTED_PROXIES: '127.0.0.1' })));
    nodes.push(...started);
    const port = await startHaproxy(started.map((n) => n.port));
    const { a, b, aSeesB, bSeesA } = await pair(`ws://127.0.0.1:${port}/`, started[0]!.keys);
    const fromA = Array.from({ length: 30 }, (_, i) => `a${i}`);
    const fromB = Array.from({ length: 30 }, (_, i) => `b${i}`);
    let notReady = 0;
    for (let i = 0; i < 30; i++) {
      await a.engine.sendText(aSeesB.key, fromA[i]!);
      await b.engine.sendText(bSeesA.key, fromB[i]!);
      if (i === 10) {
        await redis.kill();
        for (const n of started) {
          await until(() => fetch(`${n.httpUrl}/healthz`).then((r) => r.status === 503, () => false), 'node not ready');
          notReady++;
        }
      }
      if (i === 15) await redis.start();
      await new Promise((r) => setTimeout(r, 30));
    }
    // Every node was not ready at once and stayed up (a refused upgrade reset by HAProxy once killed the process).
    expect(notReady).toBe(3);
    await until(() => b.texts.length >= 30 && a.texts.length >= 30 && a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 'every message delivered', 90_000);
    expect(b.texts).toEqual(fromA);
    expect(a.texts).toEqual(fromB);
    for (const n of started) expect(n.child.exitCode).toBeNull();
  });

  it('behind the trusted proxy, a client is counted under its own address (X-Forwarded-For), not HAProxy\'s', { timeout: 60_000 }, async () => {
    redis = await startRedis();
    const keyFile = await clusterKeyFile();
    const node = await startNode(redis.url, keyFile, { RELAY_TRUSTED_PROXIES: '127.0.0.1' });
    nodes.push(node);
    const port = await startHaproxy([node.port]);
    const c = await (await RealClient.create(node.keys)).connect(`ws://127.0.0.1:${port}/`, { localAddress: '127.0.8.7' });
    const offline = await generateIdentity(await pickBackend());
    await c.sendText({ x: offline.x, ed: offline.ed }, 'to an offline id');
    const r = new Redis(redis.url);
    try {
      await until(async () => Number(await r.zscore('parley:srcb', '127.0.8.7')) > 0, 'frame charged to the client address');
      expect(await r.zscore('parley:srcb', '127.0.0.1')).toBeNull();
    } finally {
      r.disconnect();
      c.close();
    }
  });
});
