/**
 * Every bound of one relay holds across the nodes of a cluster (a real redis-server; three
 * relay nodes in this process with the toy protocol layer, so clients can pick their key pairs
 * and source addresses): strangers on other nodes cannot push a vouched contact out of a
 * mailbox, one address flooding through every node is held to its share, an id's key pairs
 * are bounded cluster-wide and a reconnect elsewhere replaces the old connection, TURN limits
 * follow a key pair to another node, and a sender's frames keep their order when the
 * recipient comes back on another node. Wakes reach the notifier on whichever node it is, rate-limited
 * cluster-wide.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, ControlType, MAILBOX_SECRET_SIZE } from '@parley/generated';
import type { StartRelayOptions } from '../src/index.ts';
import { mailboxToken, mailboxTokenKey, randomBytes } from '../src/runtime.ts';
import { ToyClient, toyRelayCrypto } from './helpers/toy-crypto.ts';
import { metric, sleep, testRelay, type TestRelay } from './helpers/relay.ts';
import { startRedis, until, type RedisChild } from './helpers/cluster.ts';

let redis: RedisChild | undefined;
const nodes: TestRelay[] = [];
const clients: ToyClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const n of nodes.splice(0)) await n.close();
  await redis?.kill();
  redis = undefined;
});

async function cluster(n: number, opts: StartRelayOptions = {}): Promise<TestRelay[]> {
  redis = await startRedis();
  const crypto = toyRelayCrypto(); // one key set for every node, as the cluster requires
  for (let i = 0; i < n; i++) nodes.push(await testRelay({ ...opts, crypto, redisUrl: redis.url, logLevel: 'warn' }));
  return nodes;
}
async function client(node: TestRelay, localAddress = '127.0.0.1', x?: Uint8Array, ed?: Uint8Array): Promise<ToyClient> {
  const c = await new ToyClient(x, ed).connect(node.url, { localAddress });
  clients.push(c);
  return c;
}
const registerSecret = (c: ToyClient, secret: Uint8Array) => c.sendControl(ControlType.registerMailboxSecret, secret);
const presentTokens = (c: ToyClient, entries: { recipient: Uint8Array; token: Uint8Array }[]) =>
  c.sendControl(ControlType.presentMailboxTokens, Uint8Array.from([entries.length, ...entries.flatMap((e) => [...e.recipient, ...e.token])]));
const tokenFor = (secret: Uint8Array, contact: ToyClient) => mailboxToken(mailboxTokenKey(secret), { x: contact.x, ed: contact.ed });
const bodyOf = (f: { frame: Buffer }) => f.frame.subarray(33, f.frame.length - 64).toString();
const sum = async (name: string, labels = '') => (await Promise.all(nodes.map((n) => metric(n, name, labels)))).reduce((a, b) => a + b, 0);
async function offline(c: ToyClient): Promise<void> {
  c.close();
  await sleep(150);
}

describe('mailbox bounds across nodes', () => {
  it('strangers on other nodes never drop a vouched contact\'s frame while the contacts\' share has room', { timeout: 90_000 }, async () => {
    const MAX = 64; // strangers share 64/8 = 8, each sender 64/4 = 16
    const [n0, n1, n2] = await cluster(3, { limits: { mailboxMaxFrames: MAX } });
    const secret = randomBytes(MAILBOX_SECRET_SIZE);
    const bob = await client(n2!);
    registerSecret(bob, secret);
    await sleep(100);
    await offline(bob);
    const alice = await client(n0!, '127.0.6.1');
    presentTokens(alice, [{ recipient: bob.id, token: tokenFor(secret, alice) }]);
    await sleep(100);
    const strangers: ToyClient[] = [];
    for (let i = 0; i < 30; i++) strangers.push(await client(i % 2 === 0 ? n1! : n2!, `127.0.7.${(i % 6) + 1}`));
    // A stranger who copies Alice's token does not get in: it names Alice's keys.
    presentTokens(strangers[0]!, [{ recipient: bob.id, token: tokenFor(secret, alice) }]);
    await sleep(100);
    for (let round = 0; round < 8; round++) {
      for (const s of strangers) s.sendPeer(bob.id, `stranger ${round}`);
      for (let k = 0; k < 2; k++) alice.sendPeer(bob.id, `alice ${round * 2 + k}`);
      await sleep(30);
    }
    await until(async () => (await sum('parley_relay_drops_total', '{reason="mailbox_strangers"}')) === 240 - MAX / 8, 'strangers held to their share', 15_000);
    const back = await client(n1!, '127.0.0.1', bob.x, bob.ed);
    await back.waitFor((c) => c.peerFrames().length === back.mailboxPending && back.mailboxPending > 0, 10_000);
    const fromAlice = back.peerFrames().filter((f) => f.from.equals(alice.id)).map(bodyOf);
    expect(fromAlice).toEqual(Array.from({ length: 16 }, (_, i) => `alice ${i}`));
    expect(back.peerFrames().length).toBe(16 + MAX / 8);
  });

  it('one address flooding through every node is held to MAILBOX_SOURCE_MAX_BYTES in all', { timeout: 60_000 }, async () => {
    const KiB = 1024;
    await cluster(3, { limits: { mailboxSourceMaxBytes: 256 * KiB } });
    const chunk = new Uint8Array(16 * KiB);
    const sessions: ToyClient[] = [];
    for (let i = 0; i < 9; i++) sessions.push(await client(nodes[i % 3]!, '127.0.8.1'));
    for (let round = 0; round < 4; round++) {
      for (const s of sessions) s.sendPeer(randomBytes(8), chunk);
      await sleep(30);
    }
    await until(async () => (await sum('parley_relay_frames_queued_total')) + (await sum('parley_relay_drops_total', '{reason="mailbox_source"}')) === 36, 'every frame decided');
    const r = new Redis(redis!.url);
    const held = Number(await r.zscore('parley:srcb', '127.0.8.1'));
    r.disconnect();
    expect(held).toBeLessThanOrEqual(256 * KiB);
    expect(held).toBeGreaterThan(256 * KiB - 20 * KiB);
    expect(await sum('parley_relay_drops_total', '{reason="mailbox_source"}')).toBeGreaterThan(0);
  });

  it('at the global cap the heaviest source loses its oldest frames, whichever node queued them; one key pair is held across nodes', { timeout: 60_000 }, async () => {
    const KiB = 1024;
    await cluster(3, { limits: { mailboxGlobalMaxBytes: 512 * KiB, mailboxSourceMaxBytes: 384 * KiB, mailboxIdentityMaxBytes: 96 * KiB } });
    const victim = await client(nodes[2]!);
    await offline(victim);
    const chunk = new Uint8Array(16 * KiB);
    // One key pair through two nodes: held to 96 KiB charged in all (5 frames of 16 KiB + 1 KiB charge).
    const one = await client(nodes[0]!, '127.0.8.9');
    const again = await client(nodes[1]!, '127.0.8.9', one.x, one.ed); // replaces `one`
    for (let i = 0; i < 10; i++) again.sendPeer(randomBytes(8), chunk);
    await until(async () => (await sum('parley_relay_drops_total', '{reason="mailbox_identity"}')) === 5, 'identity bound');
    // Flooders from two addresses through every node fill the global cap...
    for (const address of ['127.0.8.1', '127.0.8.2']) {
      const sessions: ToyClient[] = [];
      for (let i = 0; i < 6; i++) sessions.push(await client(nodes[i % 3]!, address));
      for (let round = 0; round < 4; round++) for (const s of sessions) s.sendPeer(randomBytes(8), chunk);
    }
    const r = new Redis(redis!.url);
    try {
      await until(async () => Number(await r.hget('parley:g', 'bytes')) > 512 * KiB - 20 * KiB, 'global cap reached');
      const evicted = await sum('parley_relay_drops_total', '{reason="mailbox_evicted"}');
      // ...and a lighter source's letter still gets in: the heaviest source's oldest frame goes.
      const alice = await client(nodes[1]!, '127.0.8.3');
      alice.sendPeer(victim.id, Buffer.concat([Buffer.from('hello'), Buffer.alloc(16 * KiB)]));
      await until(async () => (await sum('parley_relay_drops_total', '{reason="mailbox_evicted"}')) > evicted, 'room made');
      expect(Number(await r.hget('parley:g', 'bytes'))).toBeLessThanOrEqual(512 * KiB);
      const back = await client(nodes[0]!, '127.0.0.1', victim.x, victim.ed);
      await back.waitFor((c) => c.peerFrames().length === 1);
      expect(bodyOf(back.peerFrames()[0]!).startsWith('hello')).toBe(true);
    } finally {
      r.disconnect();
    }
  });

  it('queued frames expire after MAILBOX_TTL_MS wherever they were queued', { timeout: 60_000 }, async () => {
    const [n0, n1] = await cluster(2, { limits: { mailboxTtlMs: 300 } });
    const bob = await client(n0!);
    await offline(bob);
    const a = await client(n1!);
    a.sendPeer(bob.id, 'too old');
    await until(async () => (await sum('parley_relay_frames_queued_total')) === 1, 'queued');
    await sleep(500);
    const back = await client(n0!, '127.0.0.1', bob.x, bob.ed);
    expect(back.mailboxPending).toBe(0);
    expect(await sum('parley_relay_drops_total', '{reason="mailbox_expired"}')).toBe(1);
  });

  it('frames queued through two nodes come out in each sender\'s order on a third', { timeout: 60_000 }, async () => {
    const [n0, n1, n2] = await cluster(3);
    const bob = await client(n0!);
    await offline(bob);
    const a = await client(n0!, '127.0.9.1');
    const c = await client(n1!, '127.0.9.2');
    for (let i = 0; i < 50; i++) {
      a.sendPeer(bob.id, `a ${i}`);
      c.sendPeer(bob.id, `c ${i}`);
    }
    await until(async () => (await sum('parley_relay_frames_queued_total')) === 100, 'queued');
    const back = await client(n2!, '127.0.0.1', bob.x, bob.ed);
    await back.waitFor((x) => x.peerFrames().length === 100, 10_000);
    const bodies = back.peerFrames().map(bodyOf);
    expect(bodies.filter((b) => b.startsWith('a '))).toEqual(Array.from({ length: 50 }, (_, i) => `a ${i}`));
    expect(bodies.filter((b) => b.startsWith('c '))).toEqual(Array.from({ length: 50 }, (_, i) => `c ${i}`));
  });
});

describe('routing across nodes', () => {
  it('an id\'s key pairs are bounded cluster-wide; the same key pair on another node replaces the old connection', { timeout: 60_000 }, async () => {
    const [n0, n1, n2] = await cluster(3, { limits: { maxKeypairsPerId: 2 } });
    const id = randomBytes(8);
    const keyWith = () => Uint8Array.from([...id, ...randomBytes(24)]);
    const h0 = await client(n0!, '127.0.0.1', keyWith());
    const h1 = await client(n1!, '127.0.0.1', keyWith());
    const squatter = await client(n2!, '127.0.0.1', keyWith()); // a third key pair for the same id: not bound
    await sleep(100);
    const sender = await client(n2!);
    sender.sendPeer(id, 'for the id');
    await h0.waitFor((c) => c.peerFrames().length === 1);
    await h1.waitFor((c) => c.peerFrames().length === 1);
    await sleep(200);
    expect(squatter.peerFrames()).toHaveLength(0);
    // h1's key pair connects again through another node: the old connection closes with `replaced`.
    const again = await client(n0!, '127.0.0.1', h1.x, h1.ed);
    expect((await h1.closed).code).toBe(CloseCode.replaced);
    sender.sendPeer(id, 'again');
    await again.waitFor((c) => c.peerFrames().length === 1);
    await h0.waitFor((c) => c.peerFrames().length === 2);
    expect(squatter.peerFrames()).toHaveLength(0);
  });

  it('a frame queued through one node wakes the notifier on another, once per interval cluster-wide; RING too', { timeout: 60_000 }, async () => {
    const nx = new Uint8Array(32).fill(0x55);
    const [n0, n1, n2] = await cluster(3, { notifier: { kind: 'key', x: nx } });
    const wakes = (c: ToyClient) => c.controls().filter((r) => r.control!.type === ControlType.wake).map((r) => r.control!.msg);
    const notifier = await client(n0!, '127.0.0.1', nx);
    const bob = await client(n1!);
    bob.sendControl(ControlType.registerWake, new Uint8Array(16).fill(0xab));
    await sleep(100);
    await offline(bob);
    const a = await client(n1!);
    const c = await client(n2!);
    a.sendPeer(bob.id, 'one');
    await notifier.waitFor((x) => wakes(x).length === 1);
    c.sendPeer(bob.id, 'two'); // another node, within WAKE_MIN_INTERVAL_MS: no second wake
    await until(async () => (await sum('parley_relay_drops_total', '{reason="wake_rate_limited"}')) === 1, 'wake rate-limited cluster-wide');
    expect(wakes(notifier)).toEqual([{ type: 'wake', tag: 'ab'.repeat(16), reason: 'message' }]);
    c.sendControl(ControlType.ring, bob.id);
    await notifier.waitFor((x) => wakes(x).length === 2);
    expect(wakes(notifier)[1]).toMatchObject({ reason: 'call' });
    // RING for an id connected on another node: nothing.
    c.sendControl(ControlType.ring, a.id);
    await sleep(200);
    expect(wakes(notifier)).toHaveLength(2);
  });

  it('TURN limits follow a key pair to another node', { timeout: 60_000 }, async () => {
    const turn = { secret: 'turn-shared-secret-0123456789', turnUrls: ['turn:127.0.0.1:3478'], stunUrls: [] };
    const [n0, n1] = await cluster(2, { turn, limits: { turnRequestsPerMinute: 2, turnRequestsPerAddressPerMinute: 100 } });
    const answers = (c: ToyClient, type: number) => c.controls().filter((r) => r.control!.type === type).length;
    const first = await client(n0!);
    for (let i = 0; i < 2; i++) first.sendControl(ControlType.turnRequest);
    await first.waitFor((c) => answers(c, ControlType.turnCredentials) === 2);
    first.close();
    const second = await client(n1!, '127.0.0.1', first.x, first.ed);
    second.sendControl(ControlType.turnRequest);
    await second.waitFor((c) => answers(c, ControlType.error) === 1);
    expect(answers(second, ControlType.turnCredentials)).toBe(0);
  });
});
