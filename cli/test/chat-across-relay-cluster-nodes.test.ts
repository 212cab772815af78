/**
 * wschat on a relay cluster: alice's home pins one node, bob's another (both nodes share their
 * state in a real redis-server and serve the same relay keys). They befriend, chat both ways,
 * and what alice sends while bob is offline waits in Redis and reaches him through his node.
 */
import { startCluster, type TestCluster } from '@parley/test-kit/cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World, befriend, json } from './_harness.ts';

const w = new World();
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(2, { limits: { shutdownRetryAfterMs: 0 } });
});
afterAll(async () => {
  await w.cleanup();
  await cluster.close();
});

describe('wschat across two relay cluster nodes', () => {
  it('chat both ways across nodes, and a message sent while the other is offline arrives from Redis', { timeout: 120_000 }, async () => {
    const [n0, n1] = cluster.nodes;
    const a = await w.home('alice');
    const b = await w.home('bob');
    await w.ok(['init', '--home', a, '--name', 'alice', '--relay', n0!.httpUrl]);
    await w.ok(['init', '--home', b, '--name', 'bob', '--relay', n1!.httpUrl]);
    await befriend(w, a, b);

    const listenB = w.start(['listen', '--home', b, '--json']);
    const sent = await w.ok(['send', 'bob', 'hello', 'bob', '--home', a, '--wait', 'delivered', '--json']);
    expect(json(sent)).toMatchObject({ status: 'delivered' });
    await listenB.event('message', (e) => e.text === 'hello bob');
    expect(await listenB.stop()).toBe(0);
    const listenA = w.start(['listen', '--home', a, '--json']);
    await w.ok(['send', 'alice', 'hi alice', '--home', b]);
    await listenA.event('message', (e) => e.text === 'hi alice');
    expect(await listenA.stop()).toBe(0);

    const texts = ['while away 1', 'while away 2'];
    for (const t of texts) await w.ok(['send', 'bob', t, '--home', a]);
    // Queued in Redis (bob is offline), by whichever node routed them.
    for (let i = 0; i < 500 && n0!.stats.framesQueued + n1!.stats.framesQueued < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(n0!.stats.framesQueued + n1!.stats.framesQueued).toBeGreaterThanOrEqual(2);
    const r = await w.ok(['listen', '--home', b, '--json', '--count', '2']);
    const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; text: string }).filter((e) => e.type === 'message').map((e) => e.text);
    expect(got).toEqual(texts);
  });
});
