/**
 * Sign-up capacity end to end (real relay, notifier, engines): one invite takes at most
 * INVITE_FIRST_CONTACTS_PER_MINUTE first contacts a minute, so the notifier publishes
 * NOTIFIER_INVITES of them and clients pick one at random. At the bound: the first
 * INVITE_FIRST_CONTACTS_PER_MINUTE push identities through one invite get in, the next one
 * through it is dropped (its outbox resends later), and one through another invite gets in at
 * once.
 */
import { readFileSync } from 'node:fs';
import { INVITE_FIRST_CONTACTS_PER_MINUTE } from '@parley/generated';
import { toHex } from '@parley/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { parseNotifierInfo } from '../src/client.ts';
import { generateKeys } from '../src/keys.ts';
import { startNotifier } from '../src/notifier.ts';
import { LoopbackPushService, Scope, client, logSink, notifierConfig, online, relayFor, until, type Client } from '@parley/test-kit/notifier';

const scope = new Scope();
afterEach(() => scope.cleanup());

describe('several published invites', () => {
  it('each takes INVITE_FIRST_CONTACTS_PER_MINUTE first contacts a minute; another invite takes more', async () => {
    const dir = await scope.dir();
    const keys = await generateKeys({ keyFile: `${dir}/notifier.key`, vapidKeyFile: `${dir}/vapid.key` });
    const push = await LoopbackPushService.start();
    scope.add(() => push.close(), undefined);
    const relay = await relayFor(scope, keys.identity.x);
    const config = notifierConfig(dir, relay, push.origin, { invites: 3 });
    const notifier = await startNotifier(config, { fsync: false, logDestination: logSink() });
    scope.add(() => notifier.close(), undefined);
    await online(notifier.engine);
    const drops: string[] = [];
    notifier.engine.on('dropped', (d) => d.kind === 'first_contact' && drops.push(d.code));

    const info = parseNotifierInfo(JSON.parse(readFileSync(config.publishFile, 'utf8')));
    expect(info.invites).toHaveLength(3);
    expect(new Set(info.invites.map((i) => i.invite)).size).toBe(3);
    expect(info.webPushOrigins).toEqual([push.origin]);
    expect(info.fcm).toBe(false);
    expect(notifier.invites().map((i) => i.text)).toEqual(info.invites.map((i) => i.invite));

    const ids: Client[] = [];
    for (let i = 0; i <= INVITE_FIRST_CONTACTS_PER_MINUTE; i++) ids.push(await client(scope, relay, `p${i}`, { registerWake: false }));
    const known = () => ids.filter((p) => notifier.engine.contact(toHex(p.identity.x)) !== undefined).length;

    // INVITE_FIRST_CONTACTS_PER_MINUTE + 1 through the first invite, within the minute
    for (const p of ids) await p.engine.addContact(info.invites[0]!.invite);
    await until(() => known() === INVITE_FIRST_CONTACTS_PER_MINUTE && drops.length === 1, 15_000, 'the rate of one invite');
    expect(drops).toEqual(['BAD_INVITE']);

    // the same minute, through another invite: in at once
    const other = await client(scope, relay, 'other', { registerWake: false });
    await other.engine.addContact(info.invites[1]!.invite);
    await until(() => notifier.engine.contact(toHex(other.identity.x)) !== undefined, 10_000, 'a first contact through the second invite');
    expect(known()).toBe(INVITE_FIRST_CONTACTS_PER_MINUTE);
    expect(drops).toHaveLength(1);
  });
});
