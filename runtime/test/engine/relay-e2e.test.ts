/**
 * End to end through the real relay (relay/, `startRelay`) on 127.0.0.1, port 0, over real
 * WebSockets (NodeWsTransport) with FileStores.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageType, SEED_SIZE } from '@parley/generated';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@parley/relay';
import { randomBytes } from '../../src/crypto/index.ts';
import { FileStore } from '../../src/node/file-store.ts';
import { NodeWsTransport } from '../../src/node/ws-transport.ts';
import { befriend, online, peer, until, waitFor, type TestPeer } from './_setup.ts';

const running: TestPeer[] = [];
const relays: RunningRelay[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.engine.stop();
  for (const r of relays.splice(0)) await r.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function relayOn(seed: Uint8Array, port = 0): Promise<RunningRelay> {
  const r = await startRelay({ seed, port, host: '127.0.0.1', logLevel: 'silent', limits: { shutdownRetryAfterMs: 0 } });
  relays.push(r);
  return r;
}
function keysOf(r: RunningRelay) {
  return { url: r.url, x: r.publicKeys.x, ed: r.publicKeys.ed };
}
async function store(): Promise<FileStore> {
  const d = await mkdtemp(join(tmpdir(), 'parley-e2e-'));
  dirs.push(d);
  return FileStore.open(join(d, 'state'), { fsync: false });
}
async function client(r: RunningRelay, o: Parameters<typeof peer>[1] = {}): Promise<TestPeer> {
  const p = await peer({ keys: keysOf(r), transport: () => new NodeWsTransport() }, { store: await store(), ...o });
  running.push(p);
  await p.engine.start();
  await online(p);
  return p;
}
const texts = (p: TestPeer) => p.of('message').flatMap((m) => (m.type === MessageType.text ? [m.body.text] : []));

describe('through the real relay', () => {
  it('invite, chat both ways with receipts, offline delivery in order, and a relay restart', async () => {
    const seed = randomBytes(SEED_SIZE);
    const relay = await relayOn(seed);
    const a = await client(relay, { name: 'alice' });
    const b = await client(relay, { name: 'bob' });
    const { aSeesB, bSeesA } = await befriend(a, b);
    expect(aSeesB.name).toBe('bob');
    expect(bSeesA.name).toBe('alice');

    // both ways, with delivery receipts
    const toB = waitFor(b.engine, 'message', (m) => m.type === MessageType.text);
    const dA = waitFor(a.engine, 'delivered');
    const m1 = await a.engine.sendText(aSeesB.key, 'hi bob');
    expect((await toB).id).toBe(m1.id);
    expect((await dA).ids).toContain(m1.id);
    const toA = waitFor(a.engine, 'message', (m) => m.type === MessageType.text);
    const dB = waitFor(b.engine, 'delivered');
    const m2 = await b.engine.sendText(bSeesA.key, 'hi alice');
    expect((await toA).id).toBe(m2.id);
    expect((await dB).ids).toContain(m2.id);

    // B offline: A's messages wait (relay mailbox, and A's outbox) and arrive in order
    await b.engine.stop();
    running.splice(running.indexOf(b), 1);
    const offline: string[] = [];
    for (let i = 0; i < 10; i++) offline.push(`while away ${i}`);
    for (const t of offline) await a.engine.sendText(aSeesB.key, t);
    const b2 = await peer({ keys: keysOf(relay), transport: () => new NodeWsTransport() }, { identity: b.identity, store: b.store });
    running.push(b2);
    const caught = until(() => texts(b2).length === offline.length, 15_000, 'offline messages');
    await b2.engine.start();
    await caught;
    expect(texts(b2)).toEqual(offline);
    await until(() => a.engine.outboxSize === 0, 10_000, 'A outbox drained');

    // the relay restarts mid-conversation: its mailbox is gone, nothing is lost or shown twice
    const port = relay.port;
    const first = [`r0`, `r1`];
    for (const t of first) await a.engine.sendText(aSeesB.key, t);
    await relay.close();
    relays.splice(relays.indexOf(relay), 1);
    const during = [`r2`, `r3`, `r4`];
    for (const t of during) await a.engine.sendText(aSeesB.key, t);
    const back = await b2.engine.sendText(bSeesA.key, 'reply while down');
    await relayOn(seed, port);
    a.engine.reconnectNow();
    b2.engine.reconnectNow();
    await until(() => texts(b2).length === offline.length + 5, 20_000, 'messages after the restart');
    await until(() => texts(a).includes('reply while down'), 20_000, 'reply after the restart');
    await until(() => a.engine.outboxSize === 0 && b2.engine.outboxSize === 0, 20_000, 'outboxes drained');
    expect(texts(b2)).toEqual([...offline, ...first, ...during]);
    expect(texts(a)).toEqual(['hi alice', 'reply while down']);
    const hist = await a.engine.history(aSeesB.key);
    expect(hist.filter((h) => h.dir === 'out').every((h) => h.status === 'delivered')).toBe(true);
    expect((await b2.engine.history(bSeesA.key)).find((h) => h.id === back.id)!.status).toBe('delivered');
  });
});
