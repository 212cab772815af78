/**
 * Push registration end to end in Node: the worker's logic (worker/host.ts, api.ts,
 * push-host.ts) on fake-indexeddb, the UI's push controller (ui-thread/push.ts), a real relay that
 * serves the notifier's notifier.json (NOTIFIER_JSON), the notifier, and the loopback Web Push
 * service of notifier/test (checks VAPID, decrypts RFC 8291 with http_ece).
 *
 * B turns push on: the registration comes from a push identity, never B's messaging identity.
 * B's wake tag rotates: B resubscribes and registers from a fresh push identity. B goes
 * offline, A writes: exactly one push reaches the new subscription and the service worker's
 * handler makes "New message" of it. B comes back and turns push off: the notifier forgets it.
 * A subscription at a push service the notifier does not push to is refused visibly.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { toHex } from '@parley/runtime';
import { NodeWsTransport } from '@parley/runtime/node';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeys, startNotifier } from '@parley/notifier';
import { LoopbackPushService, type TestSubscription, Scope, client, logSink, notifierConfig, online as engineOnline, until } from '@parley/test-kit/notifier';
import { startRelay } from '@parley/relay';
import { createApi } from '../src/worker/api.ts';
import { Host } from '../src/worker/host.ts';
import { openDatabase } from '../src/worker/idb.ts';
import type { WorkerEvent } from '../src/messages/protocol.ts';
import { loadNotifierInfo, type PushTarget } from '../src/shared/push-config.ts';
import { pushNotification } from '../src/service-worker/push-sw.ts';
import { createPush, type PushPlatform } from '../src/ui-thread/push.ts';

const scope = new Scope();
afterAll(() => scope.cleanup());

/** The browser's PushManager, played by the loopback push service. */
function loopbackPlatform(svc: LoopbackPushService) {
  const subs: TestSubscription[] = [];
  const target = (s: TestSubscription): PushTarget => ({ kind: 'webpush', endpoint: s.endpoint, p256dh: s.keys.p256dh, auth: s.keys.auth });
  const platform: PushPlatform = {
    kind: 'webpush',
    permission: async () => 'granted',
    requestPermission: async () => 'granted',
    async subscribe(info, o) {
      expect(info.vapidPublicKey).toBe(svc.expectedVapidKey);
      if (!subs.length || o.fresh) subs.push(svc.subscribe());
      return target(subs[subs.length - 1]!);
    },
    unsubscribe: async () => void svc.answer(subs[subs.length - 1]!, 410),
  };
  return { platform, subs };
}

async function side(dbName: string, origin: string) {
  const events: WorkerEvent[] = [];
  const host = new Host({ db: await openDatabase(dbName), env: {}, origin, emit: (e) => events.push(e), transport: new NodeWsTransport(), scrypt: { N: 2 ** 10, r: 8, p: 1 } });
  scope.add(async () => host.engine?.stop(), undefined);
  return { host, api: createApi(host), events };
}

describe('push registration from the web app', () => {
  it('registers from a push identity, re-registers fresh after a rotation, pushes "New message", and unregisters', async () => {
    const dir = await scope.dir();
    const keys = await generateKeys({ keyFile: `${dir}/notifier.key`, vapidKeyFile: `${dir}/vapid.key` });
    const svc = await LoopbackPushService.start();
    scope.add(() => svc.close(), undefined);
    svc.expectedVapidKey = keys.vapid.publicKey;
    const relayDir = await scope.dir();
    const publishFile = `${relayDir}/notifier.json`;
    const relay = await startRelay({ host: '127.0.0.1', port: 0, logLevel: 'silent', notifier: { kind: 'key', x: keys.identity.x }, notifierJson: publishFile, limits: { shutdownRetryAfterMs: 0 } });
    scope.add(() => relay.close(), undefined);
    const notifier = await startNotifier({ ...notifierConfig(dir, relay, svc.origin), publishFile }, { fsync: false, logDestination: logSink() });
    scope.add(() => notifier.close(), undefined);
    await engineOnline(notifier.engine);

    // B: the web app's worker logic; A: a plain engine.
    const b = await side('push-b', relay.httpUrl);
    await b.api.create({ name: 'bob' });
    await until(() => b.host.engine?.state.state === 'online', 10_000, 'B online');
    const a = await client(scope, relay, 'alice');
    const invite = await b.api.createInvite({ maxUses: 1 });
    const bobForA = await a.engine.addContact(invite.text);
    await until(() => b.host.engine!.contacts().some((c) => c.state === 'pending'), 10_000, 'the request');
    await b.api.acceptContact({ contact: b.host.engine!.contacts()[0]!.key });
    await until(() => a.engine.contact(bobForA.key)?.state === 'accepted', 10_000, 'the accept');

    const { platform, subs } = loopbackPlatform(svc);
    const push = createPush({ api: b.api, platform, loadInfo: () => loadNotifierInfo({}, relay.httpUrl) });
    expect(await push.refresh()).toEqual({ state: 'off' });

    // Turn on: the notifier stores B's tag, registered by a key that is not B's.
    expect(await push.enable()).toEqual({ state: 'on' });
    const tag1 = toHex(b.host.engine!.wakeTag!.tag);
    const reg1 = notifier.store.get(tag1);
    expect(reg1?.sub).toMatchObject({ kind: 'webpush', endpoint: subs[0]!.endpoint });
    const bX = toHex(b.host.identity!.x);
    expect(reg1!.owner).not.toBe(bX);
    expect(notifier.engine.contacts().map((c) => c.key)).toEqual([reg1!.owner]);
    expect((await b.api.pushState()).registered).toMatchObject({ tag: tag1, target: { endpoint: subs[0]!.endpoint } });

    // The wake tag rotates: a fresh subscription from a fresh push identity.
    await b.host.engine!.rotateWakeTag();
    await until(() => b.events.some((e) => e.event === 'wake-tag'), 5_000, 'the wake-tag event');
    expect(await push.sync()).toEqual({ state: 'on' });
    const tag2 = toHex(b.host.engine!.wakeTag!.tag);
    expect(tag2).not.toBe(tag1);
    const reg2 = notifier.store.get(tag2);
    expect(subs).toHaveLength(2);
    expect(reg2?.sub).toMatchObject({ endpoint: subs[1]!.endpoint });
    expect(reg2!.owner).not.toBe(reg1!.owner);
    expect(reg2!.owner).not.toBe(bX);
    expect(JSON.stringify(notifier.engine.contacts())).not.toContain(bX);

    // B goes offline, A writes: one push to the new subscription, "New message" and nothing else.
    await b.host.engine!.stop();
    await a.engine.sendText(bobForA.key, 'the key is under the mat');
    await svc.until(() => svc.delivered(subs[1]!).length === 1, 10_000, 'the push');
    await new Promise((r) => setTimeout(r, 300));
    expect(svc.delivered(subs[0]!)).toHaveLength(0);
    const got = svc.delivered(subs[1]!)[0]!;
    const shown = pushNotification(new Uint8Array(got.plaintext!));
    expect(shown.title).toBe('New message');
    expect(JSON.stringify(shown)).not.toMatch(/alice|mat/);

    // B comes back (the same database) and turns push off: the notifier forgets the registration.
    const b2 = await side('push-b', relay.httpUrl);
    expect(await b2.api.status()).toMatchObject({ state: 'ready', name: 'bob' });
    await until(() => b2.host.engine?.state.state === 'online', 10_000, 'B online again');
    const push2 = createPush({ api: b2.api, platform, loadInfo: () => loadNotifierInfo({}, relay.httpUrl) });
    expect(await push2.sync()).toEqual({ state: 'on' });
    expect(await push2.disable()).toEqual({ state: 'off' });
    expect(notifier.store.get(tag2)).toBeUndefined();
    expect((await b2.api.pushState()).registered).toBeUndefined();
    expect(JSON.parse(readFileSync(publishFile, 'utf8')).x).toBe(notifier.publicKeys.x);

    // A push service the notifier does not push to (notifier.json webPushOrigins): refused, with
    // the reason, and nothing reaches the notifier (it would acknowledge and drop it).
    const stored = notifier.store.size;
    const contacts = notifier.engine.contacts().length;
    const elsewhere: PushPlatform = {
      ...platform,
      subscribe: async () => ({ kind: 'webpush', endpoint: 'https://push.elsewhere.example/sub/1', p256dh: subs[0]!.keys.p256dh, auth: subs[0]!.keys.auth }),
      unsubscribe: async () => undefined,
    };
    const push3 = createPush({ api: b2.api, platform: elsewhere, loadInfo: () => loadNotifierInfo({}, relay.httpUrl) });
    expect(await push3.enable()).toEqual({ state: 'refused', message: 'the notifier does not push to push.elsewhere.example' });
    await new Promise((r) => setTimeout(r, 300));
    expect(notifier.store.size).toBe(stored);
    expect(notifier.engine.contacts()).toHaveLength(contacts);
    expect((await b2.api.pushState()).registered).toBeUndefined();
    // the worker checks too, before it makes a push identity
    const info = (await loadNotifierInfo({}, relay.httpUrl))!;
    const elsewhereTarget: PushTarget = { kind: 'webpush', endpoint: 'https://push.elsewhere.example/sub/2', p256dh: subs[0]!.keys.p256dh, auth: subs[0]!.keys.auth };
    await expect(b2.api.pushRegister({ info, target: elsewhereTarget, fresh: true })).rejects.toMatchObject({ code: 'REFUSED' });
    await expect(b2.api.pushRegister({ info, target: { kind: 'fcm', token: 'token' } })).rejects.toMatchObject({ code: 'REFUSED', message: 'the notifier does not take FCM registrations' });
    expect(notifier.engine.contacts()).toHaveLength(contacts);
  });
});
