/**
 * The notifier on a relay of several nodes (spec documents.well_known endpoints): it is a relay
 * peer like any client, so when its node dies it moves to another node at once and goes on
 * taking registrations and turning the relay's wakes into pushes.
 *
 * Two real relays with one identity (one seed), each behind a front (test-kit/cluster) that can
 * refuse connections or drop them all as a dying node does. Without Redis a node's mailboxes and
 * wake registrations are its own, so the second node takes connections only once the first dies:
 * everyone meets on the first, then on the second.
 */
import { readFileSync } from 'node:fs';
import { SEED_SIZE } from '@parley/generated';
import { randomBytes, toHex } from '@parley/runtime';
import { startRelay } from '@parley/relay';
import { startNodeFront } from '@parley/test-kit/cluster';
import { LoopbackPushService, Scope, befriend, client, logSink, notifierConfig, online, until } from '@parley/test-kit/notifier';
import { afterEach, describe, expect, it } from 'vitest';
import { buildWebPushRegistration, parseNotifierInfo, registerWithNotifier } from '../src/client.ts';
import { generateKeys } from '../src/keys.ts';
import { startNotifier } from '../src/notifier.ts';

const scope = new Scope();
afterEach(() => scope.cleanup());

describe('the notifier on a relay of several nodes', () => {
  it('its node killed: it moves to the other node at once and keeps pushing', { timeout: 120_000 }, async () => {
    const dir = await scope.dir();
    const keys = await generateKeys({ keyFile: `${dir}/notifier.key`, vapidKeyFile: `${dir}/vapid.key` });
    const push = await LoopbackPushService.start();
    scope.add(() => push.close(), undefined);
    push.expectedVapidKey = keys.vapid.publicKey;
    const seed = randomBytes(SEED_SIZE);
    const relays = [];
    const fronts = [];
    for (let i = 0; i < 2; i++) {
      const r = await startRelay({ seed, host: '127.0.0.1', port: 0, logLevel: 'silent', notifier: { kind: 'key', x: keys.identity.x }, limits: { shutdownRetryAfterMs: 0, wakeMinIntervalMs: 0 } });
      relays.push(scope.add(() => r.close(), r));
      const f = await startNodeFront(r.url, { refusing: i > 0 });
      fronts.push(scope.add(() => f.close(), f));
    }
    const [first, second] = fronts as [(typeof fronts)[0], (typeof fronts)[0]];
    const endpoints = fronts.map((f) => f.url);
    const relay = relays[0]!;
    const config = notifierConfig(dir, relay, push.origin, { wakeMinIntervalMs: 0 });
    config.relay = { url: endpoints[0]!, endpoints, x: relay.publicKeys.x, ed: relay.publicKeys.ed };
    const notifier = await startNotifier(config, { fsync: false, logDestination: logSink() });
    scope.add(() => notifier.close(), undefined);
    await online(notifier.engine);
    expect(notifier.engine.state).toMatchObject({ state: 'online', endpoint: first.url });

    const a = await client(scope, relay, 'alice', { endpoints });
    const b = await client(scope, relay, 'bob', { endpoints });
    const { aSeesB } = await befriend(a, b);
    const info = parseNotifierInfo(JSON.parse(readFileSync(config.publishFile, 'utf8')));

    // the first node dies under everyone; only the second takes connections from now on
    second.accept();
    await first.kill();
    await until(() => [notifier.engine, a.engine, b.engine].every((e) => e.state.state === 'online' && e.state.endpoint === second.url), 20_000, 'everyone on the second node');
    const moved = notifier.engine.state;
    expect(moved).toMatchObject({ state: 'online', endpoint: second.url });

    // B's device registers through the second node; B goes offline; A's message wakes it there
    await until(() => b.engine.wakeTag !== undefined, 10_000, "bob's wake tag");
    const sub = push.subscribe();
    const tag = b.engine.wakeTag!.tag;
    const p = await client(scope, relay, 'push', { registerWake: false, endpoints });
    await registerWithNotifier(p.engine, info, buildWebPushRegistration(sub, tag));
    await until(() => notifier.store.get(toHex(tag)) !== undefined && p.engine.outboxSize === 0, 20_000, 'registration stored and acknowledged');
    await b.engine.stop();
    await a.engine.sendText(aSeesB, 'wake bob through the second node');
    await push.until(() => push.delivered(sub).length === 1, 20_000, 'the push');
    await until(() => notifier.stats.sent === 1, 10_000, 'the push counted');
    expect(notifier.stats).toMatchObject({ wakes: 1, sent: 1 });
  });
});
