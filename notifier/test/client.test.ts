/** The browser-side helpers (src/client.ts). */
import { MessageType, WAKE_TAG_SIZE, type EnvelopeBody } from '@parley/generated';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  MAX_PUBLISHED_INVITES,
  MAX_WEBPUSH_ORIGINS,
  buildFcmRegistration,
  buildUnregister,
  buildWebPushRegistration,
  checkRegistration,
  refusalOf,
  fetchNotifierInfo,
  parseNotifierInfo,
  pickInvite,
  registerWithNotifier,
  type EngineLike,
  type NotifierInfo,
} from '../src/client.ts';
import { NotifierInfoError, isNotifierError } from '../src/errors.ts';

const tag = new Uint8Array(WAKE_TAG_SIZE).fill(7);
const p256dh = new Uint8Array(65).fill(4);
const auth = new Uint8Array(16).fill(9);
const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64url');
const FAR = 4_000_000_000; // seconds: long after these tests
const info: NotifierInfo = {
  format: 'parley-notifier',
  version: 2,
  id: '00'.repeat(8),
  x: '11'.repeat(32),
  ed: '22'.repeat(32),
  vapidPublicKey: b64(p256dh),
  invites: [{ invite: 'INVITE0', expiresAt: FAR }, { invite: 'INVITE1', expiresAt: FAR }, { invite: 'INVITE2', expiresAt: FAR }],
  webPushOrigins: ['https://fcm.googleapis.com', 'https://*.push.services.mozilla.com'],
  fcm: true,
};
const refusedInfo = (json: unknown) => {
  try {
    parseNotifierInfo(json);
  } catch (e) {
    expect(e).toBeInstanceOf(NotifierInfoError);
    expect(isNotifierError(e, 'NOTIFIER_INFO')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('client helpers', () => {
  it('builds push_register_webpush from a PushSubscription (getKey) or its JSON form', () => {
    const live = { endpoint: 'https://fcm.googleapis.com/fcm/send/x', getKey: (n: 'p256dh' | 'auth') => (n === 'p256dh' ? p256dh : auth).slice().buffer };
    const json = { endpoint: live.endpoint, keys: { p256dh: b64(p256dh), auth: b64(auth) + '==' } };
    for (const s of [live, json]) {
      expect(buildWebPushRegistration(s, tag)).toEqual({ type: MessageType.pushRegisterWebpush, body: { tag, endpoint: live.endpoint, p256dh, auth } });
    }
  });

  it('refuses what the notifier could not use', () => {
    expect(() => buildWebPushRegistration({ endpoint: 'https://x/', keys: { p256dh: b64(p256dh), auth: b64(auth) } }, tag.subarray(1))).toThrow(RangeError);
    expect(() => buildWebPushRegistration({ endpoint: 'ftp://x/', keys: { p256dh: b64(p256dh), auth: b64(auth) } }, tag)).toThrow(RangeError);
    expect(() => buildWebPushRegistration({ endpoint: 'https://x/', keys: { p256dh: b64(auth), auth: b64(auth) } }, tag)).toThrow(/p256dh/);
    expect(() => buildWebPushRegistration({ endpoint: 'https://x/', keys: { p256dh: b64(p256dh) } }, tag)).toThrow(/auth/);
    expect(() => buildFcmRegistration('', tag)).toThrow(RangeError);
    expect(buildFcmRegistration('tok', tag)).toEqual({ type: MessageType.pushRegisterFcm, body: { tag, token: 'tok' } });
    expect(buildUnregister(tag)).toEqual({ type: MessageType.pushUnregister, body: { tag } });
  });

  it('parses notifier.json and refuses a malformed one with NOTIFIER_INFO naming the field', () => {
    expect(parseNotifierInfo(JSON.parse(JSON.stringify(info)))).toEqual(info);
    expect(refusedInfo({ ...info, x: 'zz' })).toMatch(/x must be/);
    expect(refusedInfo({ ...info, id: '00' })).toMatch(/id must be/);
    expect(refusedInfo({ ...info, format: 'other' })).toMatch(/not a parley-notifier/);
    expect(refusedInfo(null)).toMatch(/not a parley-notifier/);
    expect(refusedInfo({ ...info, vapidPublicKey: 'AAAA' })).toMatch(/vapidPublicKey/);
    expect(refusedInfo({ ...info, vapidPublicKey: 'A' })).toMatch(/vapidPublicKey/);
    // the first format (one invite) is refused by its version
    const { invites: _i, ...rest } = info;
    expect(refusedInfo({ ...rest, version: 1, invite: 'INVITE', inviteExpiresAt: FAR })).toMatch(/version 1 is not 2/);
    expect(refusedInfo({ ...info, invites: [] })).toMatch(/invites must list 1 to/);
    expect(refusedInfo({ ...info, invites: 'INVITE' })).toMatch(/invites must list/);
    expect(refusedInfo({ ...info, invites: [{ invite: '', expiresAt: 1 }] })).toMatch(/invites\[0\]\.invite/);
    expect(refusedInfo({ ...info, invites: [info.invites[0], { invite: 'x y', expiresAt: 1 }] })).toMatch(/invites\[1\]\.invite/);
    expect(refusedInfo({ ...info, invites: [{ invite: 'I', expiresAt: '1' }] })).toMatch(/invites\[0\]\.expiresAt/);
    expect(refusedInfo({ ...info, webPushOrigins: 'https://x' })).toMatch(/webPushOrigins/);
    expect(refusedInfo({ ...info, webPushOrigins: [1] })).toMatch(/webPushOrigins/);
    expect(refusedInfo({ ...info, fcm: 'yes' })).toMatch(/fcm must be/);
  });

  it('takes at most MAX_PUBLISHED_INVITES invites and MAX_WEBPUSH_ORIGINS origins', () => {
    const invites = (n: number) => Array.from({ length: n }, (_, i) => ({ invite: `I${i}`, expiresAt: FAR }));
    const origins = (n: number) => Array.from({ length: n }, (_, i) => `https://p${i}.example`);
    expect(parseNotifierInfo({ ...info, invites: invites(MAX_PUBLISHED_INVITES) }).invites).toHaveLength(MAX_PUBLISHED_INVITES);
    expect(refusedInfo({ ...info, invites: invites(MAX_PUBLISHED_INVITES + 1) })).toMatch(/invites must list 1 to 64/);
    expect(parseNotifierInfo({ ...info, webPushOrigins: origins(MAX_WEBPUSH_ORIGINS) }).webPushOrigins).toHaveLength(MAX_WEBPUSH_ORIGINS);
    expect(refusedInfo({ ...info, webPushOrigins: origins(MAX_WEBPUSH_ORIGINS + 1) })).toMatch(/at most 64/);
  });

  it('fetches notifier.json over HTTP: the document, or NOTIFIER_INFO with the status', async () => {
    const answers: Record<string, [number, string]> = { '/ok': [200, JSON.stringify(info)], '/none': [404, 'not found'], '/html': [200, '<html>'], '/old': [200, JSON.stringify({ ...info, version: 1 })] };
    const server = createServer((req, res) => {
      const [status, body] = answers[req.url ?? ''] ?? [500, ''];
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await fetchNotifierInfo(`${base}/ok`)).toEqual(info);
      await expect(fetchNotifierInfo(`${base}/none`)).rejects.toMatchObject({ code: 'NOTIFIER_INFO', status: 404 });
      await expect(fetchNotifierInfo(`${base}/html`)).rejects.toMatchObject({ code: 'NOTIFIER_INFO', message: 'notifier.json: not JSON' });
      await expect(fetchNotifierInfo(`${base}/old`)).rejects.toMatchObject({ code: 'NOTIFIER_INFO' });
    } finally {
      await new Promise((r) => server.close(r));
    }
    await expect(fetchNotifierInfo(`${base}/ok`)).rejects.toMatchObject({ code: 'NOTIFIER_INFO', status: undefined });
  });

  it('picks one of the invites at random, skipping expired ones while any is live', () => {
    expect(pickInvite(info, { random: () => 0 })).toBe('INVITE0');
    expect(pickInvite(info, { random: () => 0.5 })).toBe('INVITE1');
    expect(pickInvite(info, { random: () => 0.999999 })).toBe('INVITE2');
    const seen = new Set(Array.from({ length: 200 }, () => pickInvite(info)));
    expect(seen).toEqual(new Set(['INVITE0', 'INVITE1', 'INVITE2']));
    const now = () => 1000_000;
    const some = { invites: [{ invite: 'OLD', expiresAt: 999 }, { invite: 'NEW', expiresAt: 1000 }] };
    for (const r of [0, 0.5, 0.99]) expect(pickInvite(some, { random: () => r, now })).toBe('NEW');
    const all = { invites: [{ invite: 'OLD0', expiresAt: 1 }, { invite: 'OLD1', expiresAt: 2 }] };
    expect(pickInvite(all, { random: () => 0.9, now })).toBe('OLD1');
  });

  it("refuses, before sending anything, a registration the notifier's published policy would refuse", async () => {
    const sub = (endpoint: string) => ({ endpoint, keys: { p256dh: b64(p256dh), auth: b64(auth) } });
    expect(() => checkRegistration(info, buildWebPushRegistration(sub('https://fcm.googleapis.com/fcm/send/x'), tag))).not.toThrow();
    expect(() => checkRegistration(info, buildWebPushRegistration(sub('https://updates.push.services.mozilla.com/wpush/v2/x'), tag))).not.toThrow();
    expect(() => checkRegistration(info, buildWebPushRegistration(sub('https://web.push.apple.com/x'), tag))).toThrow(/does not push to web\.push\.apple\.com/);
    expect(() => checkRegistration(info, buildWebPushRegistration(sub('https://fcm.googleapis.com/x'), new Uint8Array(WAKE_TAG_SIZE)))).toThrow(/all zero/);
    expect(() => checkRegistration({ ...info, fcm: false }, buildFcmRegistration('t', tag))).toThrow(/FCM/);
    expect(() => checkRegistration({ ...info, fcm: false }, buildUnregister(tag))).not.toThrow();
    expect(refusalOf(info, { kind: 'webpush', endpoint: 'https://fcm.googleapis.com/fcm/send/x' })).toBeUndefined();
    expect(refusalOf(info, { kind: 'webpush', endpoint: 'https://web.push.apple.com/x' })).toBe('the notifier does not push to web.push.apple.com');
    expect(refusalOf(info, { kind: 'fcm' })).toBeUndefined();
    expect(refusalOf({ ...info, fcm: false }, { kind: 'fcm' })).toMatch(/FCM/);
    const calls: string[] = [];
    const engine: EngineLike = {
      contact: () => undefined,
      addContact: async (invite) => (calls.push(invite), { key: info.x }),
      sendRaw: async () => (calls.push('send'), 'id'),
    };
    const refused = registerWithNotifier(engine, { ...info, fcm: false }, buildFcmRegistration('t', tag));
    await expect(refused).rejects.toMatchObject({ name: 'NotifierError', code: 'REFUSED' });
    expect(calls).toEqual([]);
  });

  it('adds the notifier through one of its invites once, then sends; unregisters a replaced tag after', async () => {
    const calls: string[] = [];
    let known = false;
    const engine: EngineLike = {
      contact: () => (known ? { state: 'accepted' } : undefined),
      addContact: async (invite) => {
        calls.push(`add ${invite}`);
        known = true;
        return { key: info.x };
      },
      sendRaw: async (key, m: EnvelopeBody) => {
        calls.push(`send ${key === info.x} ${m.type}`);
        return 'id';
      },
    };
    await registerWithNotifier(engine, info, buildFcmRegistration('t', tag), { random: () => 0.7 });
    await registerWithNotifier(engine, info, buildFcmRegistration('t', tag), { replaces: new Uint8Array(16) });
    expect(calls).toEqual(['add INVITE2', `send true ${MessageType.pushRegisterFcm}`, `send true ${MessageType.pushRegisterFcm}`, `send true ${MessageType.pushUnregister}`]);
  });
});

describe('service-worker helper', () => {
  it('reads the push payload and nothing else', async () => {
    const { pushKind, NOTIFICATION_TEXT } = await import('../src/client.ts');
    const { pushPayload, WakeReason } = await import('../src/push.ts');
    expect(pushKind(pushPayload(WakeReason.message))).toBe('message');
    expect(pushKind(pushPayload(WakeReason.call).slice().buffer)).toBe('call');
    expect(pushKind(new Uint8Array(32))).toBeUndefined();
    expect(pushKind(new TextEncoder().encode('hello'))).toBeUndefined();
    expect(pushKind(null)).toBeUndefined();
    expect(NOTIFICATION_TEXT).toEqual({ message: 'New message', call: 'Incoming call' });
  });
});
