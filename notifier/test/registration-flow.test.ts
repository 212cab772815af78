/**
 * What the notifier accepts end to end, through real engines and the real relay: FCM
 * registrations pushed through the loopback FCM, unregistering, endpoints outside the allowed
 * origins, and senders that send what a notifier does not take.
 */
import { readFileSync } from 'node:fs';
import { FCM_PAYLOAD_KEY } from '@parley/generated';
import { toHex } from '@parley/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFcmRegistration, buildUnregister, buildWebPushRegistration, parseNotifierInfo, registerWithNotifier } from '../src/client.ts';
import { generateKeys } from '../src/keys.ts';
import { startNotifier } from '../src/notifier.ts';
import { WakeReason } from '../src/push.ts';
import { LoopbackFcm, LoopbackPushService, Scope, befriend, client, notifierConfig, online, relayFor, until } from '@parley/test-kit/notifier';

const scope = new Scope();
afterEach(() => scope.cleanup());

async function setup() {
  const dir = await scope.dir();
  const keys = await generateKeys({ keyFile: `${dir}/notifier.key`, vapidKeyFile: `${dir}/vapid.key` });
  const push = await LoopbackPushService.start();
  scope.add(() => push.close(), undefined);
  const fcm = await LoopbackFcm.start();
  scope.add(() => fcm.close(), undefined);
  const relay = await relayFor(scope, keys.identity.x, { wakeMinIntervalMs: 0 });
  const config = { ...notifierConfig(dir, relay, push.origin), logLevel: 'silent' as const };
  config.fcm = { serviceAccountFile: await fcm.serviceAccount(dir), endpoint: fcm.endpoint, tokenUri: undefined };
  const notifier = await startNotifier(config, { fsync: false });
  scope.add(() => notifier.close(), undefined);
  await online(notifier.engine);
  const info = parseNotifierInfo(JSON.parse(readFileSync(config.publishFile, 'utf8')));
  return { push, fcm, relay, notifier, info };
}

describe('registrations end to end', () => {
  it('an FCM registration gets a data-only push with the constant payload when its tag is woken', async () => {
    const { fcm, relay, notifier, info } = await setup();
    const a = await client(scope, relay, 'alice');
    const b = await client(scope, relay, 'bob');
    const { aSeesB } = await befriend(a, b);
    const tag = b.engine.wakeTag!.tag;
    // here B registers from its messaging identity (allowed; the README says why a push identity is better)
    await registerWithNotifier(b.engine, info, buildFcmRegistration('fcm-device-token', tag));
    await until(() => notifier.store.get(toHex(tag)) !== undefined, 10_000, 'the registration');
    await b.engine.stop();
    await a.engine.sendText(aSeesB, 'hello');
    await until(() => fcm.messages.length === 1, 10_000, 'the FCM message');
    expect(fcm.messages[0]!.token).toBe('fcm-device-token');
    expect(Buffer.from(fcm.messages[0]!.data[FCM_PAYLOAD_KEY]!, 'base64url')[0]).toBe(WakeReason.message);
    expect(fcm.refusals).toEqual([]);
  });

  it('unregister forgets a tag; an endpoint outside the allowed origins is refused; a text removes its sender', async () => {
    const { push, relay, notifier, info } = await setup();
    const p = await client(scope, relay, 'push', { registerWake: false });
    const t1 = new Uint8Array(16).fill(1);
    const t2 = new Uint8Array(16).fill(2);
    const sub = push.subscribe();
    await registerWithNotifier(p.engine, info, buildWebPushRegistration(sub, t1));
    await until(() => notifier.store.get(toHex(t1)) !== undefined, 10_000, 'the registration');

    // a rotation: register the new tag, unregister the old one
    await registerWithNotifier(p.engine, info, buildWebPushRegistration(sub, t2), { replaces: t1 });
    await until(() => notifier.store.get(toHex(t2)) !== undefined && notifier.store.get(toHex(t1)) === undefined, 10_000, 'the rotation');

    await p.engine.sendRaw(info.x, buildUnregister(t2));
    await until(() => notifier.store.size === 0, 10_000, 'the unregistration');

    const evil = buildWebPushRegistration({ ...sub, endpoint: 'http://169.254.169.254/latest/meta-data' }, t1);
    await p.engine.sendRaw(info.x, evil);
    await until(() => p.engine.outboxSize === 0, 10_000, 'the refused registration acknowledged');
    expect(notifier.store.size).toBe(0);

    expect(notifier.engine.contacts().map((c) => c.key)).toEqual([toHex(p.identity.x)]);
    await p.engine.sendText(info.x, 'hello notifier');
    await until(() => notifier.engine.contacts().length === 0, 10_000, 'the sender removed');
    expect(notifier.store.senders()).toEqual([]);
    expect(push.received).toEqual([]);
  });
});
