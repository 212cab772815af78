/** The browser-side helpers (src/client.ts). */
import { MessageType, WAKE_TAG_SIZE, type EnvelopeBody } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { buildFcmRegistration, buildUnregister, buildWebPushRegistration, parseNotifierInfo, registerWithNotifier, type EngineLike, type NotifierInfo } from '../src/client.ts';

const tag = new Uint8Array(WAKE_TAG_SIZE).fill(7);
const p256dh = new Uint8Array(65).fill(4);
const auth = new Uint8Array(16).fill(9);
const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64url');
const info: NotifierInfo = { format: 'parley-notifier', version: 1, id: '00'.repeat(8), x: '11'.repeat(32), ed: '22'.repeat(32), vapidPublicKey: b64(p256dh), invite: 'INVITE', inviteExpiresAt: 1 };

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

  it('parses notifier.json and refuses a malformed one', () => {
    expect(parseNotifierInfo(JSON.parse(JSON.stringify(info)))).toEqual(info);
    expect(() => parseNotifierInfo({ ...info, x: 'zz' })).toThrow(/x must be/);
    expect(() => parseNotifierInfo({ ...info, format: 'other' })).toThrow(TypeError);
    expect(() => parseNotifierInfo({ ...info, vapidPublicKey: 'AAAA' })).toThrow(/vapidPublicKey/);
  });

  it('adds the notifier through its invite once, then sends; unregisters a replaced tag after', async () => {
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
    await registerWithNotifier(engine, info, buildFcmRegistration('t', tag));
    await registerWithNotifier(engine, info, buildFcmRegistration('t', tag), { replaces: new Uint8Array(16) });
    expect(calls).toEqual(['add INVITE', `send true ${MessageType.pushRegisterFcm}`, `send true ${MessageType.pushRegisterFcm}`, `send true ${MessageType.pushUnregister}`]);
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
