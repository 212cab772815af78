/**
 * End to end on 127.0.0.1: a real relay whose NOTIFIER_ID is the notifier, the notifier, runtime
 * engines for A, B and B's push identity P, and the loopback push service.
 *
 * B's device registers its wake tag with the relay (automatic after each handshake) and, from
 * its push identity P, its Web Push subscription with the notifier, end to end. B goes offline;
 * A sends; the relay queues and sends WAKE{tag}; the notifier pushes; B comes back and reads.
 */
import { readFileSync } from 'node:fs';
import { MessageType, PUSH_PAYLOAD_SIZE } from '@parley/generated';
import { toHex } from '@parley/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { buildWebPushRegistration, parseNotifierInfo, registerWithNotifier } from '../src/client.ts';
import { HEADER_SIZE } from '../src/web-push-size.ts';
import { generateKeys, type NotifierKeys } from '../src/keys.ts';
import type { Limits } from '../src/limits.ts';
import { startNotifier, type RunningNotifier } from '../src/notifier.ts';
import { WakeReason, pushPayload } from '../src/push.ts';
import { LoopbackPushService, type TestSubscription, Scope, befriend, client, logSink, notifierConfig, online, relayFor, until, type Client } from '@parley/test-kit/notifier';

const PUSH_BODY_SIZE = HEADER_SIZE + PUSH_PAYLOAD_SIZE + 1 + 16;
const scope = new Scope();
afterEach(() => scope.cleanup());

interface World {
  keys: NotifierKeys;
  push: LoopbackPushService;
  relay: Awaited<ReturnType<typeof relayFor>>;
  config: ReturnType<typeof notifierConfig>;
  notifier: RunningNotifier;
  logs: ReturnType<typeof logSink>;
  a: Client;
  b: Client;
  aSeesB: string;
}

async function world(o: { relayWakeMinIntervalMs?: number; limits?: Partial<Limits> } = {}): Promise<World> {
  const dir = await scope.dir();
  const keys = await generateKeys({ keyFile: `${dir}/notifier.key`, vapidKeyFile: `${dir}/vapid.key` });
  const push = await LoopbackPushService.start();
  scope.add(() => push.close(), undefined);
  push.expectedVapidKey = keys.vapid.publicKey;
  const relay = await relayFor(scope, keys.identity.x, o.relayWakeMinIntervalMs !== undefined ? { wakeMinIntervalMs: o.relayWakeMinIntervalMs } : {});
  const config = notifierConfig(dir, relay, push.origin, o.limits);
  const logs = logSink();
  const notifier = await startNotifier(config, { fsync: false, logDestination: logs });
  scope.add(() => notifier.close(), undefined);
  await online(notifier.engine);
  const a = await client(scope, relay, 'alice');
  const b = await client(scope, relay, 'bob');
  const { aSeesB } = await befriend(a, b);
  return { keys, push, relay, config, notifier, logs, a, b, aSeesB };
}

/** B's device: a push identity P (not B's messaging identity) registers B's current wake tag. */
async function registerB(w: World, n: RunningNotifier = w.notifier): Promise<{ sub: TestSubscription; p: Client; tag: string }> {
  const info = parseNotifierInfo(JSON.parse(readFileSync(w.config.publishFile, 'utf8')));
  const sub = w.push.subscribe();
  const tag = w.b.engine.wakeTag!.tag;
  const p = await client(scope, w.relay, 'push', { registerWake: false });
  await registerWithNotifier(p.engine, info, buildWebPushRegistration(sub, tag));
  await until(() => n.store.get(toHex(tag)) !== undefined && p.engine.outboxSize === 0, 10_000, 'registration stored and acknowledged');
  await p.engine.stop();
  return { sub, p, tag: toHex(tag) };
}

async function bOffline(w: World): Promise<void> {
  await w.b.engine.stop();
}

describe('notifier end to end', () => {
  it('B registers and goes offline, A sends, the relay wakes the notifier, one constant-size push arrives, B comes back and reads', async () => {
    const w = await world();
    const { sub, p, tag } = await registerB(w);
    // the notifier knows B's device only by its push identity, never by B's messaging identity
    const known = w.notifier.engine.contacts().map((c) => c.key);
    expect(known).toEqual([toHex(p.identity.x)]);
    expect(w.notifier.store.get(tag)!.owner).toBe(toHex(p.identity.x));

    await bOffline(w);
    const secret = 'meet me at the old mill at nine';
    await w.a.engine.sendText(w.aSeesB, secret);
    await w.push.until(() => w.push.delivered(sub).length === 1, 10_000, 'the push');
    await new Promise((r) => setTimeout(r, 500));
    expect(w.push.received.length).toBe(1);

    const [push] = w.push.delivered(sub);
    expect(push!.body.length).toBe(PUSH_BODY_SIZE);
    expect(push!.plaintext).toEqual(Buffer.from(pushPayload(WakeReason.message)));
    expect(push!.headers.urgency).toBe('normal');
    const wire = Buffer.concat([push!.body, push!.plaintext!, Buffer.from(JSON.stringify(push!.headers))]).toString('latin1');
    for (const needle of [toHex(w.a.identity.id), toHex(w.b.identity.id), toHex(w.a.identity.x), toHex(w.b.identity.x), tag, secret]) {
      expect(wire.includes(needle)).toBe(false);
    }
    for (const raw of [w.a.identity.id, w.b.identity.id, Buffer.from(tag, 'hex')]) {
      expect(push!.plaintext!.includes(Buffer.from(raw))).toBe(false);
    }
    expect(w.notifier.stats).toMatchObject({ wakes: 1, sent: 1, limited: 0, unknown: 0 });

    // B comes online again and gets the message
    const texts: string[] = [];
    await client(scope, w.relay, 'bob', { identity: w.b.identity, store: w.b.store, listen: (e) => e.on('message', (m) => m.type === MessageType.text && texts.push(m.body.text)) });
    await until(() => texts.length === 1, 10_000, 'the message');
    expect(texts).toEqual([secret]);

    // logs never hold a tag, an endpoint, a key or an id in full
    const log = w.logs.lines.join('\n');
    expect(log).toContain('pushed');
    for (const needle of [tag, sub.endpoint, new URL(sub.endpoint).pathname, toHex(p.identity.x), toHex(p.identity.id), toHex(w.b.identity.id), sub.keys.auth]) {
      expect(log.includes(needle)).toBe(false);
    }
  });

  it('a restarted notifier still pushes to earlier registrations; a 410 removes one', async () => {
    const w = await world({ relayWakeMinIntervalMs: 0, limits: { wakeMinIntervalMs: 0 } });
    const { sub, tag } = await registerB(w);
    await bOffline(w);
    await w.notifier.close();
    const n2 = await startNotifier(w.config, { fsync: false, logDestination: w.logs });
    scope.add(() => n2.close(), undefined);
    expect(n2.store.get(tag)).toBeDefined();
    await online(n2.engine);

    await w.a.engine.sendText(w.aSeesB, 'after the restart');
    await w.push.until(() => w.push.delivered(sub).length === 1, 10_000, 'a push after the restart');

    w.push.answer(sub, 410);
    await w.a.engine.sendText(w.aSeesB, 'to a gone subscription');
    await until(() => n2.stats.gone === 1 && n2.store.get(tag) === undefined, 10_000, 'the registration removed');

    await w.a.engine.sendText(w.aSeesB, 'nobody to wake');
    await until(() => n2.stats.unknown === 1, 10_000, 'a wake for the removed tag');
    expect(w.push.received.map((r) => r.status)).toEqual([201, 410]);
  });

  it('a push service answering 404 removes the registration too', async () => {
    const w = await world({ relayWakeMinIntervalMs: 0, limits: { wakeMinIntervalMs: 0 } });
    const { sub, tag } = await registerB(w);
    await bOffline(w);
    w.push.answer(sub, 404);
    await w.a.engine.sendText(w.aSeesB, 'to a subscription the push service does not know');
    await until(() => w.notifier.stats.gone === 1 && w.notifier.store.get(tag) === undefined, 10_000, 'the registration removed');
    expect(w.push.received.map((r) => r.status)).toEqual([404]);

    await w.a.engine.sendText(w.aSeesB, 'nobody to wake');
    await until(() => w.notifier.stats.unknown === 1, 10_000, 'a wake for the removed tag');
    expect(w.push.received).toHaveLength(1);
    expect(w.logs.lines.join('\n')).toContain('"status":404');
  });

  it('a flood of wakes is rate-limited per tag: one message push per interval, calls from their own small bucket', async () => {
    const w = await world({ relayWakeMinIntervalMs: 0, limits: { callWakesPerMinute: 3 } });
    const { sub } = await registerB(w);
    await bOffline(w);
    const flood = 20;
    for (let i = 0; i < flood; i++) await w.a.engine.sendText(w.aSeesB, `flood ${i}`);
    await until(() => w.notifier.stats.wakes >= flood, 15_000, 'every wake');
    for (let i = 0; i < 6; i++) w.a.engine.ring(w.aSeesB);
    await until(() => w.notifier.stats.wakes >= flood + 6, 10_000, 'the call wakes');
    await w.notifier.idle();
    await w.push.until(() => w.push.delivered(sub).length === 4, 10_000, 'four pushes');
    const pushes = w.push.delivered(sub);
    expect(pushes.map((p) => p.plaintext![0])).toEqual([WakeReason.message, WakeReason.call, WakeReason.call, WakeReason.call]);
    expect(pushes.slice(1).every((p) => p.headers.urgency === 'high')).toBe(true);
    expect(new Set(pushes.map((p) => p.body.length))).toEqual(new Set([PUSH_BODY_SIZE]));
    expect(w.notifier.stats).toMatchObject({ sent: 4, limited: flood + 6 - 4 });
  });
});
