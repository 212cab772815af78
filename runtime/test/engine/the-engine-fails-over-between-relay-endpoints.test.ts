/**
 * A relay of several nodes sharing one identity (spec documents.well_known endpoints): the
 * engine dials them in random order and fails over. A node that dies (SIGKILL of a real relay
 * process) or leaves (close code reconnect_elsewhere) is left for another node at once, without
 * backoff; what the dead node held is re-sent by the outbox, and new messages keep flowing.
 *
 * Without Redis each node keeps its own mailboxes, so both peers take the same random order
 * (one injected random source) and meet on the same node, before and after the failover.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode, MessageType, RECONNECT_BASE_MS, SEED_SIZE, WELL_KNOWN_PATH } from '@parley/generated';
import { startRelay, type RunningRelay } from '@parley/relay';
import { startNodeFront, startRelayNodes, type NodeFront, type RelayNodes } from '@parley/test-kit/cluster';
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/index.ts';
import type { EngineOptions } from '../../src/engine/engine.ts';
import type { ConnectionState } from '../../src/engine/types.ts';
import { FileStore } from '../../src/node/file-store.ts';
import { parseWellKnown } from '../../src/protocol/index.ts';
import { NodeWsTransport } from '../../src/node/ws-transport.ts';
import { befriend, online, peer, until, waitFor, type TestPeer } from './_setup.ts';

const running: TestPeer[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.engine.stop();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function store(): Promise<FileStore> {
  const d = await mkdtemp(join(tmpdir(), 'parley-failover-'));
  // a store write the stopped engine had in flight may still land while the folder goes
  cleanups.push(() => rm(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }));
  return FileStore.open(join(d, 'state'), { fsync: false });
}

/** A started engine on the relay's endpoints; every peer draws the same "random" order. */
async function client(relay: { url: string; endpoints: string[]; x: Uint8Array; ed: Uint8Array }, o: Partial<EngineOptions> & { name?: string } = {}): Promise<TestPeer> {
  const p = await peer({ keys: relay, transport: () => new NodeWsTransport() }, { store: await store(), random: () => 0.3, ...o });
  running.push(p);
  await p.engine.start();
  await online(p);
  return p;
}

const texts = (p: TestPeer) => p.of('message').flatMap((m) => (m.type === MessageType.text ? [m.body.text] : []));
const endpointOf = (p: TestPeer) => {
  const s = p.engine.state;
  return s.state === 'online' ? s.endpoint : undefined;
};
/** The states from the `from`-th on, as the engine reported them. */
const statesAfter = (p: TestPeer, from: number) => p.of('state').slice(from) as ConnectionState[];

describe('a relay of several nodes', () => {
  it('a node killed under the clients: they move to a live node at once, the outbox re-sends what it held, chat goes on', { timeout: 180_000 }, async () => {
    const nodes: RelayNodes = await startRelayNodes({ count: 3 });
    cleanups.push(() => nodes.stop());
    // every node publishes the same keys and lists all three: a client may start from any of them
    const docs = await Promise.all(nodes.httpUrls.map(async (h) => parseWellKnown(await (await fetch(h + WELL_KNOWN_PATH)).text())));
    for (const d of docs) expect({ endpoints: d.endpoints, fingerprint: d.fingerprint }).toEqual({ endpoints: nodes.endpoints, fingerprint: docs[0]!.fingerprint });
    const relay = { url: docs[0]!.url, endpoints: docs[0]!.endpoints, x: docs[0]!.x, ed: docs[0]!.ed };
    const a = await client(relay, { name: 'alice' });
    const b = await client(relay, { name: 'bob' });
    const first = endpointOf(a)!;
    expect(nodes.endpoints).toContain(first);
    expect(endpointOf(b)).toBe(first);
    const { aSeesB, bSeesA } = await befriend(a, b);

    // bob goes away; alice's message waits in the node's mailbox, unacknowledged in her outbox
    await b.engine.stop();
    running.splice(running.indexOf(b), 1);
    const held = await a.engine.sendText(aSeesB.key, 'held by the node that dies');
    expect(a.engine.outboxSize).toBe(1);

    const before = a.of('state').length;
    await nodes.kill(nodes.endpoints.indexOf(first));
    await until(() => a.engine.state.state === 'online' && endpointOf(a) !== first, 20_000, 'alice online on another node');
    // no backoff: the drop was followed at once by the next node, never by a timer
    const offline = statesAfter(a, before).filter((s) => s.state === 'offline');
    expect(offline.length).toBeGreaterThan(0);
    for (const s of offline) expect(s).toMatchObject({ retryInMs: 0, endpoint: first, failover: expect.any(String) });
    expect(statesAfter(a, before).every((s) => s.state !== 'offline' || s.retryInMs < RECONNECT_BASE_MS)).toBe(true);

    // bob comes back: the dead node refuses him and he goes on to the node alice is on
    const b2 = await client(relay, { name: 'bob', identity: b.identity, store: b.store });
    expect(endpointOf(b2)).toBe(endpointOf(a));
    await until(() => texts(b2).includes('held by the node that dies'), 30_000, 'the re-sent message');
    await until(() => a.engine.outboxSize === 0, 30_000, "alice's outbox acknowledged");
    expect((await a.engine.history(aSeesB.key)).find((h) => h.id === held.id)?.status).toBe('delivered');

    // new messages both ways on the node they moved to, each shown once
    await a.engine.sendText(aSeesB.key, 'after the failover');
    await b2.engine.sendText(bSeesA.key, 'and back');
    await until(() => texts(b2).includes('after the failover') && texts(a).includes('and back'), 30_000, 'chat after the failover');
    expect(texts(b2)).toEqual(['held by the node that dies', 'after the failover']);
    expect(texts(a)).toEqual(['and back']);
  });

  it('a node that closes with reconnect_elsewhere: its clients reconnect to another node at once and keep delivering', { timeout: 120_000 }, async () => {
    const seed = randomBytes(SEED_SIZE);
    const relays: RunningRelay[] = [];
    const fronts: NodeFront[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await startRelay({ seed, port: 0, host: '127.0.0.1', logLevel: 'silent', limits: { shutdownRetryAfterMs: 0 } });
      relays.push(r);
      cleanups.push(() => r.close());
      const f = await startNodeFront(r.url);
      fronts.push(f);
      cleanups.push(() => f.close());
    }
    const endpoints = fronts.map((f) => f.url);
    const relay = { url: endpoints[0]!, endpoints, x: relays[0]!.publicKeys.x, ed: relays[0]!.publicKeys.ed };
    const a = await client(relay, { name: 'alice' });
    const b = await client(relay, { name: 'bob' });
    const { aSeesB, bSeesA } = await befriend(a, b);
    const leaving = fronts.find((f) => f.url === endpointOf(a))!;
    const staying = fronts.find((f) => f !== leaving)!;
    expect(leaving.connections).toBe(2);

    const aBack = waitFor(a.engine, 'state', (s) => s.state === 'online', 20_000);
    const bBack = waitFor(b.engine, 'state', (s) => s.state === 'online', 20_000);
    const before = a.of('state').length;
    await leaving.drain();
    await Promise.all([aBack, bBack]);
    expect(endpointOf(a)).toBe(staying.url);
    expect(endpointOf(b)).toBe(staying.url);
    const told = statesAfter(a, before).find((s) => s.state === 'offline');
    expect(told).toMatchObject({ closeCode: CloseCode.reconnectElsewhere, reason: 'reconnect_elsewhere', retryInMs: 0, endpoint: leaving.url, failover: staying.url });

    await a.engine.sendText(aSeesB.key, 'on the other node');
    await b.engine.sendText(bSeesA.key, 'received there');
    await until(() => texts(b).includes('on the other node') && texts(a).includes('received there'), 30_000, 'chat on the other node');
    await until(() => a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 30_000, 'outboxes acknowledged');
  });

  it('every node down: the engine backs off, and comes back when one returns', { timeout: 180_000 }, async () => {
    const nodes = await startRelayNodes({ count: 2 });
    cleanups.push(() => nodes.stop());
    const relay = { url: nodes.endpoints[0]!, endpoints: nodes.endpoints, ...(await nodes.keys()) };
    const a = await client(relay, { name: 'alice' });
    const before = a.of('state').length;
    await nodes.kill(0);
    await nodes.kill(1);
    // each node failed once in a row, then a real backoff (random 0.3 of the base delay and up)
    await until(() => statesAfter(a, before).some((s) => s.state === 'offline' && s.retryInMs > 0), 20_000, 'a backoff');
    // from the last session on (had the first kill found alice on node 0, she was on node 1 for a moment)
    const states = statesAfter(a, before);
    const lastOnline = states.map((s) => s.state).lastIndexOf('online');
    const offline = states.slice(lastOnline + 1).filter((s): s is Extract<ConnectionState, { state: 'offline' }> => s.state === 'offline');
    const firstBackoff = offline.findIndex((s) => s.retryInMs > 0);
    expect(firstBackoff).toBe(nodes.endpoints.length - 1);
    expect(new Set(offline.slice(0, firstBackoff + 1).map((s) => s.endpoint))).toEqual(new Set(nodes.endpoints));
    await nodes.start(1);
    await until(() => endpointOf(a) === nodes.endpoints[1], 60_000, 'alice back on the node that returned');
  });
});
