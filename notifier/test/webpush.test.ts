/**
 * Web Push (src/webpush.ts, requests made by web-push's generateRequestDetails) against the
 * loopback push service: VAPID checked, payload decrypted by http_ece, headers per reason, one
 * body size for every push, 404/410 as gone, endpoints outside the allowed origins never contacted.
 */
import { PUSH_PAYLOAD_SIZE } from '@parley/generated';
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADER_SIZE } from '../src/web-push-size.ts';
import { WakeReason, pushPayload } from '../src/push.ts';
import { WEB_PUSH_BODY_SIZE, WebPushSender, endpointAllowed } from '../src/webpush.ts';
import { LoopbackPushService, type TestSubscription } from '@parley/test-kit/notifier';

let svc: LoopbackPushService;
let sender: WebPushSender;
const vapid = webpush.generateVAPIDKeys();
beforeAll(async () => {
  svc = await LoopbackPushService.start();
  svc.expectedVapidKey = vapid.publicKey;
  sender = new WebPushSender({ vapid, subject: 'mailto:ops@parley.test', origins: [svc.origin], timeoutMs: 5000, messageTtlS: 604800, callTtlS: 45 });
});
afterAll(() => svc.close());

const asSub = (s: TestSubscription) => ({ kind: 'webpush' as const, endpoint: s.endpoint, p256dh: s.keys.p256dh, auth: s.keys.auth });

describe('WebPushSender', () => {
  it('delivers the constant payload with a VAPID JWT the push service accepts', async () => {
    const s = svc.subscribe();
    expect(await sender.send(asSub(s), WakeReason.message)).toEqual({ outcome: 'sent', status: 201 });
    const [p] = svc.delivered(s);
    expect(p!.claims!.aud).toBe(svc.origin);
    expect(p!.claims!.sub).toBe('mailto:ops@parley.test');
    expect(p!.plaintext).toEqual(Buffer.from(pushPayload(WakeReason.message)));
    expect(p!.body.length).toBe(HEADER_SIZE + PUSH_PAYLOAD_SIZE + 1 + 16);
    expect(p!.headers).toMatchObject({ ttl: '604800', urgency: 'normal', topic: 'message', 'content-encoding': 'aes128gcm' });
  });

  it('pushes a call with Urgency high and the short TTL, at the same size', async () => {
    const s = svc.subscribe();
    expect((await sender.send(asSub(s), WakeReason.call)).outcome).toBe('sent');
    const [p] = svc.delivered(s);
    expect(p!.headers).toMatchObject({ ttl: '45', urgency: 'high', topic: 'call' });
    expect(p!.plaintext![0]).toBe(WakeReason.call);
    expect(p!.body.length).toBe(HEADER_SIZE + PUSH_PAYLOAD_SIZE + 1 + 16);
  });

  it('builds the request with web-push: VAPID, aes128gcm, TTL, Urgency, Topic, and no Content-Length of its own', () => {
    const s = svc.subscribe();
    for (const [reason, ttl, urgency, topic] of [[WakeReason.message, '604800', 'normal', 'message'], [WakeReason.call, '45', 'high', 'call']] as const) {
      const r = sender.request(asSub(s), reason);
      expect(r.endpoint).toBe(s.endpoint);
      expect(r.headers).toMatchObject({ TTL: ttl, Urgency: urgency, Topic: topic, 'Content-Encoding': 'aes128gcm', 'Content-Type': 'application/octet-stream' });
      expect(r.headers.Authorization).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${vapid.publicKey}$`));
      expect(Object.keys(r.headers).map((k) => k.toLowerCase())).not.toContain('content-length');
      expect(r.body.length).toBe(WEB_PUSH_BODY_SIZE);
    }
  });

  it('every push has the same size on the wire, whatever the reason', async () => {
    const s = svc.subscribe();
    for (let i = 0; i < 6; i++) expect((await sender.send(asSub(s), i % 3 === 0 ? WakeReason.call : WakeReason.message)).outcome).toBe('sent');
    const pushes = svc.delivered(s);
    expect(pushes).toHaveLength(6);
    expect(new Set(pushes.map((p) => p.body.length))).toEqual(new Set([WEB_PUSH_BODY_SIZE]));
    expect(new Set(pushes.map((p) => p.headers['content-length']))).toEqual(new Set([String(WEB_PUSH_BODY_SIZE)]));
  });

  it('a subscription web-push cannot encrypt to is a failure, and nothing is sent', async () => {
    const before = svc.received.length;
    const s = svc.subscribe();
    const r = await sender.send({ ...asSub(s), p256dh: s.keys.p256dh.slice(0, 20) }, WakeReason.message);
    expect(r).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/cannot build the push/) });
    expect(svc.received.length).toBe(before);
  });

  it('never sends a push of another size or without VAPID', async () => {
    const before = svc.received.length;
    class Padded extends WebPushSender {
      override request(...a: Parameters<WebPushSender['request']>) {
        const r = super.request(...a);
        return { ...r, body: new Uint8Array(r.body.length + 1) };
      }
    }
    class Unsigned extends WebPushSender {
      override request(...a: Parameters<WebPushSender['request']>) {
        const { Authorization: _a, ...headers } = super.request(...a).headers;
        return { ...super.request(...a), headers };
      }
    }
    const o = { vapid, subject: 'mailto:ops@parley.test', origins: [svc.origin], timeoutMs: 5000, messageTtlS: 60, callTtlS: 45 };
    expect(await new Padded(o).send(asSub(svc.subscribe()), WakeReason.message)).toMatchObject({ outcome: 'failed', reason: `push body is ${WEB_PUSH_BODY_SIZE + 1} bytes, not ${WEB_PUSH_BODY_SIZE}` });
    expect(await new Unsigned(o).send(asSub(svc.subscribe()), WakeReason.message)).toMatchObject({ outcome: 'failed', reason: 'no VAPID authorization for this endpoint' });
    expect(svc.received.length).toBe(before);
  });

  it('reports 404 and 410 as gone, other errors as failed', async () => {
    for (const [status, outcome] of [[410, 'gone'], [404, 'gone'], [429, 'failed'], [500, 'failed']] as const) {
      const s = svc.subscribe();
      svc.answer(s, status);
      const r = await sender.send(asSub(s), WakeReason.message);
      expect(r.outcome).toBe(outcome);
      expect(r.status).toBe(status);
    }
  });

  it('a push service that rejects the VAPID key makes the push fail (and is not mistaken for gone)', async () => {
    const other = new WebPushSender({ vapid: webpush.generateVAPIDKeys(), subject: 'mailto:ops@parley.test', origins: [svc.origin], timeoutMs: 5000, messageTtlS: 60, callTtlS: 45 });
    const r = await other.send(asSub(svc.subscribe()), WakeReason.message);
    expect(r).toMatchObject({ outcome: 'failed', status: 401 });
  });

  it('never contacts an endpoint outside the allowed origins', async () => {
    const before = svc.received.length;
    const s = svc.subscribe();
    const strict = new WebPushSender({ vapid, subject: 'mailto:ops@parley.test', origins: ['https://fcm.googleapis.com'], timeoutMs: 5000, messageTtlS: 60, callTtlS: 45 });
    expect((await strict.send(asSub(s), WakeReason.message)).outcome).toBe('gone');
    expect(svc.received.length).toBe(before);
  });

  it('an unreachable push service is a failure, not gone', async () => {
    const hang = new WebPushSender({ vapid, subject: 'mailto:ops@parley.test', origins: ['http://127.0.0.1:9'], timeoutMs: 200, messageTtlS: 60, callTtlS: 45 });
    const s = svc.subscribe();
    const r = await hang.send({ ...asSub(s), endpoint: 'http://127.0.0.1:9/push/x' }, WakeReason.message);
    expect(r.outcome).toBe('failed');
  });
});

describe('endpointAllowed', () => {
  const origins = ['https://fcm.googleapis.com', 'https://*.push.services.mozilla.com', 'http://127.0.0.1:8999'];
  it.each([
    ['https://fcm.googleapis.com/fcm/send/abc', true],
    ['https://updates.push.services.mozilla.com/wpush/v2/x', true],
    ['https://push.services.mozilla.com/x', false],
    ['https://evil.com/?https://fcm.googleapis.com', false],
    ['https://fcm.googleapis.com.evil.com/x', false],
    ['http://fcm.googleapis.com/x', false],
    ['https://user:pw@fcm.googleapis.com/x', false],
    ['http://127.0.0.1:8999/push/1', true],
    ['http://127.0.0.1:9000/push/1', false],
    ['file:///etc/passwd', false],
    ['not a url', false],
  ])('%s → %s', (endpoint, ok) => {
    expect(endpointAllowed(endpoint, origins)).toBe(ok);
  });
});
