import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameKind, MessageType } from '@parley/generated';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/node/file-store.ts';
import { befriend, fakeRelay, online, peer, settle, until, waitFor, type TestPeer } from './_setup.ts';

const running: TestPeer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.engine.stop();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function store(): Promise<FileStore> {
  const d = await mkdtemp(join(tmpdir(), 'parley-engine-'));
  dirs.push(d);
  return FileStore.open(join(d, 'state'));
}
async function started(p: Promise<TestPeer>): Promise<TestPeer> {
  const x = await p;
  running.push(x);
  await x.engine.start();
  await online(x);
  return x;
}
async function stopped(p: TestPeer): Promise<void> {
  await p.engine.stop();
  running.splice(running.indexOf(p), 1);
}
const texts = (p: TestPeer) => p.of('message').flatMap((m) => (m.type === MessageType.text ? [m.body.text] : []));

describe('persistence with a FileStore', () => {
  it('the replay window survives a restart: a replayed frame is acknowledged, not shown', async () => {
    const relay = await fakeRelay();
    const a = await started(peer(relay, { store: await store() }));
    const bStore = await store();
    const b = await started(peer(relay, { store: bStore }));
    const { aSeesB, bSeesA } = await befriend(a, b);
    const got = waitFor(b.engine, 'message', (m) => m.type === MessageType.text);
    const { id } = await a.engine.sendText(aSeesB.key, 'only once');
    await got;
    await until(() => a.engine.outboxSize === 0, 5000, 'delivered');
    const frame = relay.between(a.engine.id, b.engine.id).filter((s) => (s.kind === FrameKind.peer || s.kind === FrameKind.ratchet)).at(-1)!;
    await stopped(b);

    // a new process on the same state directory
    const b2 = await peer(relay, { identity: b.identity, store: await FileStore.open(bStore.dir) });
    running.push(b2);
    relay.inject(frame); // queued in the mailbox while B is away
    const receipts = relay.between(b.engine.id, a.engine.id).length;
    await b2.engine.start();
    await online(b2);
    await until(() => relay.between(b.engine.id, a.engine.id).length > receipts, 5000, 'the replay acknowledged');
    await settle(100);
    expect(texts(b2)).toEqual([]);
    expect((await b2.engine.history(bSeesA.key)).map((h) => h.id)).toContain(id);
    expect(b2.engine.contacts().map((c) => c.state)).toEqual(['accepted']);
  });

  it('the outbox survives a restart of the sender while everything is offline', async () => {
    const relay = await fakeRelay();
    const aStore = await store();
    const a = await started(peer(relay, { store: aStore }));
    const b = await started(peer(relay, { store: await store() }));
    const { aSeesB } = await befriend(a, b);
    relay.up = false;
    relay.restart();
    await settle(20);
    for (let i = 0; i < 3; i++) await a.engine.sendText(aSeesB.key, `stored ${i}`);
    await stopped(a);
    relay.up = true;
    const a2 = await peer(relay, { identity: a.identity, store: await FileStore.open(aStore.dir) });
    running.push(a2);
    await a2.engine.start();
    expect(a2.engine.outboxSize).toBe(3);
    b.engine.reconnectNow();
    await until(() => texts(b).length === 3, 10_000, 'three messages');
    expect(texts(b)).toEqual(['stored 0', 'stored 1', 'stored 2']);
    await until(() => a2.engine.outboxSize === 0, 5000, 'delivered');
    const hist = await a2.engine.history(aSeesB.key);
    expect(hist.filter((h) => h.kind === 'text').map((h) => h.status)).toEqual(['delivered', 'delivered', 'delivered']);
  });
});
