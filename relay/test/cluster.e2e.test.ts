/**
 * A relay cluster on real parts: a real redis-server on loopback and three relay nodes as
 * separate processes sharing one key file, with the runtime's client engine at both ends.
 * Clients on different nodes chat both ways; a mailbox filled on one node is delivered on
 * another; a SIGKILLed node loses nothing queued; without Redis the nodes say they are not
 * ready and refuse sessions, and they recover when it is back; a node with other keys is refused.
 */
import { spawn } from 'node:child_process';
import { MessageType } from '@parley/generated';
import { afterEach, describe, expect, it } from 'vitest';
import { pickBackend } from '@parley/runtime/crypto';
import { Engine, MemoryStore, type EngineEvents } from '@parley/runtime/engine';
import { NodeWsTransport } from '@parley/runtime/node';
import { generateIdentity, isOpenError, type Identity } from '@parley/runtime/protocol';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { clusterKeyFile, scrape, startNode, startRedis, until, type NodeChild, type RedisChild } from './helpers/cluster.ts';
import { RealClient } from './helpers/real-client.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

const engines: Engine[] = [];
const nodes: NodeChild[] = [];
const redises: RedisChild[] = [];
const realClients: RealClient[] = [];
afterEach(async () => {
  for (const c of realClients.splice(0)) c.close();
  for (const e of engines.splice(0)) await e.stop();
  for (const n of nodes.splice(0)) await n.stop();
  for (const r of redises.splice(0)) await r.kill();
});

async function cluster(n: number): Promise<{ redis: RedisChild; nodes: NodeChild[]; keyFile: string }> {
  const redis = await startRedis();
  redises.push(redis);
  const keyFile = await clusterKeyFile();
  const started = await Promise.all(Array.from({ length: n }, () => startNode(redis.url, keyFile)));
  nodes.push(...started);
  return { redis, nodes: started, keyFile };
}

interface Peer {
  engine: Engine;
  identity: Identity;
  store: MemoryStore;
  texts: string[];
}

async function peer(node: NodeChild, name: string, from?: Peer): Promise<Peer> {
  const backend = await pickBackend();
  const identity = from?.identity ?? (await generateIdentity(backend));
  const store = from?.store ?? new MemoryStore();
  const engine = new Engine({
    identity,
    store,
    backend,
    relay: { url: node.url, x: node.keys.x, ed: node.keys.ed },
    transport: new NodeWsTransport(),
    displayName: name,
    random: () => 0.01,
  });
  const p: Peer = { engine, identity, store, texts: [] };
  engine.on('message', (m: EngineEvents['message']) => {
    if (m.type === MessageType.text) p.texts.push(m.body.text);
  });
  engines.push(engine);
  await engine.start();
  await until(() => engine.state.state === 'online', `${name} online`);
  return p;
}

async function leave(p: Peer): Promise<void> {
  await p.engine.stop();
  engines.splice(engines.indexOf(p.engine), 1);
}

function once<K extends keyof EngineEvents>(e: Engine, name: K): Promise<EngineEvents[K]> {
  return new Promise((ok) => {
    const off = e.on(name, (v) => {
      off();
      ok(v);
    });
  });
}

async function befriend(a: Peer, b: Peer): Promise<{ aSeesB: string; bSeesA: string }> {
  const invite = await a.engine.createInvite({ name: 'alice' });
  const request = once(a.engine, 'contact-request');
  const bSeesA = await b.engine.addContact(invite.link, { note: 'hi' });
  const accepted = once(b.engine, 'contact-accepted');
  const aSeesB = await a.engine.acceptContact((await request).contact.key);
  await accepted;
  await until(() => a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 'outboxes drained after befriending');
  return { aSeesB: aSeesB.key, bSeesA: bSeesA.key };
}

/**
 * Frames queued by any node: a frame routed to a holder's node just as the holder left is queued
 * by that node, not by the sender's.
 */
async function queued(ns: NodeChild[]): Promise<number> {
  const live = ns.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
  return (await Promise.all(live.map((n) => scrape(n.metricsUrl, 'parley_relay_frames_queued_total')))).reduce((a, b) => a + b, 0);
}

const healthz = async (n: NodeChild): Promise<number> => (await fetch(`${n.httpUrl}/healthz`)).status;

/** The HTTP status of a WebSocket upgrade to `url` (101 when accepted). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((ok) => {
    const ws = new WebSocket(url);
    ws.on('upgrade', (res) => {
      ok(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('unexpected-response', (_req, res) => {
      ok(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => ok(0));
  });
}

describe('relay cluster (three nodes on Redis, separate processes)', () => {
  it('clients on different nodes chat both ways; a mailbox filled on one node is delivered on another', async () => {
    const { nodes: ns } = await cluster(3);
    const a = await peer(ns[0]!, 'alice');
    let b = await peer(ns[1]!, 'bob');
    const { aSeesB, bSeesA } = await befriend(a, b);
    await a.engine.sendText(aSeesB, 'one');
    await b.engine.sendText(bSeesA, 'uno');
    await until(() => b.texts.includes('one') && a.texts.includes('uno'), 'both ways across nodes');
    await until(() => a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 'outboxes drained');
    expect(await scrape(ns[0]!.metricsUrl, 'parley_relay_cross_node_frames_sent_total')).toBeGreaterThan(0);
    expect(await scrape(ns[1]!.metricsUrl, 'parley_relay_cross_node_frames_received_total')).toBeGreaterThan(0);

    await leave(b);
    for (const t of ['two', 'three', 'four']) await a.engine.sendText(aSeesB, t);
    await until(async () => (await queued(ns)) >= 3, 'frames queued in Redis');
    b = await peer(ns[2]!, 'bob', b); // back on the third node
    await until(() => b.texts.length >= 3, 'mailbox delivered on another node');
    expect(b.texts).toEqual(['two', 'three', 'four']);
    await until(() => a.engine.outboxSize === 0, 'receipts back across nodes');
    // The cluster-wide gauges add every node's counters up.
    await until(async () => (await scrape(ns[1]!.metricsUrl, 'parley_relay_cluster_nodes')) === 3, 'three nodes seen');
    expect(await scrape(ns[1]!.metricsUrl, 'parley_relay_cluster_cross_node_frames')).toBeGreaterThan(0);
  });

  it('a SIGKILLed node loses nothing queued: the mailbox is in Redis', async () => {
    const { nodes: ns } = await cluster(3);
    const a = await peer(ns[0]!, 'alice');
    let b = await peer(ns[1]!, 'bob');
    const { aSeesB } = await befriend(a, b);
    await leave(b);
    const sent = Array.from({ length: 10 }, (_, i) => `queued ${i}`);
    for (const t of sent) await a.engine.sendText(aSeesB, t);
    await until(async () => (await queued(ns)) >= sent.length, 'frames queued');
    // Alice stops too (her outbox resends nothing), and the node that queued the frames dies.
    await leave(a);
    await ns[0]!.stop();
    b = await peer(ns[2]!, 'bob', b);
    await until(() => b.texts.length >= sent.length, 'every queued frame from Redis');
    expect(b.texts).toEqual(sent);
  });

  it('a node that stops closes its sockets with reconnect_elsewhere; the client goes on through another node', async () => {
    const { nodes: ns } = await cluster(2);
    const a = await peer(ns[0]!, 'alice');
    const b = await peer(ns[1]!, 'bob');
    const { aSeesB } = await befriend(a, b);
    const ws = new WebSocket(ns[1]!.url);
    const code = new Promise<number>((ok) => ws.on('close', (c) => ok(c)));
    await new Promise((ok) => ws.on('open', ok));
    expect(await ns[1]!.terminate()).toBe(0);
    expect(await code).toBe(4010);
    await leave(b);
    const b2 = await peer(ns[0]!, 'bob', b);
    await a.engine.sendText(aSeesB, 'after the node left');
    await until(() => b2.texts.includes('after the node left'), 'message through the remaining node');
  });

  it('without Redis the nodes are not ready and refuse sessions; when it is back they recover', async () => {
    const { redis, nodes: ns } = await cluster(2);
    expect(await healthz(ns[0]!)).toBe(200);
    await redis.kill();
    await until(async () => (await healthz(ns[0]!)) === 503 && (await healthz(ns[1]!)) === 503, 'not ready');
    expect(await upgradeStatus(ns[0]!.url)).toBe(503);
    await redis.start();
    await until(async () => (await healthz(ns[0]!)) === 200 && (await healthz(ns[1]!)) === 200, 'ready again', 30_000);
    expect(await upgradeStatus(ns[0]!.url)).toBe(101);
    const a = await peer(ns[0]!, 'alice');
    const b = await peer(ns[1]!, 'bob');
    const { aSeesB } = await befriend(a, b);
    await a.engine.sendText(aSeesB, 'after Redis came back');
    await until(() => b.texts.includes('after Redis came back'), 'chat after recovery');
  });

  it('a node started with other relay keys is refused by the cluster (exit code 2)', async () => {
    const { redis } = await cluster(1);
    const other = await clusterKeyFile();
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'start', '--port', '0', '--metrics-port', '0'], {
      env: { PATH: process.env.PATH ?? '', RELAY_REDIS_URL: redis.url, RELAY_KEY_FILE: other, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((ok) => child.on('exit', ok));
    expect(code).toBe(2);
    expect(err).toMatch(/differ from the cluster's/);
  });
  it('re-addressed and reflected frames across nodes are forwarded as on one node, and their receivers reject them', async () => {
    const { nodes: [n1, n2, n3] } = await cluster(3);
    const connect = async (n: NodeChild) => {
      const c = await (await RealClient.create({ x: n.keys.x, ed: n.keys.ed })).connect(n.url);
      realClients.push(c);
      return c;
    };
    const a = await connect(n1!);
    const b = await connect(n2!);
    const c = await connect(n3!);
    const keysOf = (x: RealClient) => ({ x: x.identity.x, ed: x.identity.ed });
    const sealed = await a.sendText(keysOf(b), 'for b only');
    await b.waitFor(() => b.peerFrames().length === 1);
    // reflected: A's frame to B comes back to A through another node
    b.sendRouted(sealed.slice(), a.identity.id);
    await a.waitFor(() => a.peerFrames().length === 1);
    await expect(a.open(a.peerFrames()[0]!, [keysOf(b)])).rejects.toSatisfy((e) => isOpenError(e, 'BAD_SIGNATURE'));
    // re-addressed: B sends A's frame on to C, on a third node
    b.sendRouted(sealed.slice(), c.identity.id);
    await c.waitFor(() => c.peerFrames().length === 1);
    await expect(c.open(c.peerFrames()[0]!, [keysOf(b)])).rejects.toSatisfy((e) => isOpenError(e, 'BAD_SIGNATURE'));
    await expect(c.open(c.peerFrames()[0]!, [keysOf(a)])).rejects.toSatisfy((e) => isOpenError(e, 'BAD_SIGNATURE'));
  });
});
