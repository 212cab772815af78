/**
 * Push, unit level: the service worker's notification for a push payload (generated codec),
 * where a click leads, where notifier.json is found, and when the UI controller
 * (ui-thread/push.ts) subscribes and registers: only after a click, again when the wake tag
 * rotated (fresh subscription and push identity), the endpoint changed or the registration is
 * old; never when push is off.
 */
import { PUSH_PAYLOAD_SIZE, WakeReason, encodePushPayload } from '@parley/generated';
import { describe, expect, it, vi } from 'vitest';
import { PushError, loadNotifierInfo, notifierUrl, sameTarget, type NotifierInfo, type PushState, type PushTarget } from '../src/shared/push-config.ts';
import { clickTarget, pushNotification } from '../src/service-worker/push-sw.ts';
import { RENEW_MS, createPush, type PushPermission, type PushPlatform } from '../src/ui-thread/push.ts';

const payload = (reason: number) => encodePushPayload({ reason: reason as WakeReason, padding: PUSH_PAYLOAD_SIZE - 1 });

describe('the service worker push handler', () => {
  it('says only "New message" or "Incoming call", from the constant-size payload', () => {
    const m = pushNotification(payload(WakeReason.message).buffer as ArrayBuffer);
    expect(m.title).toBe('New message');
    expect(m.options).toMatchObject({ tag: 'parley-push-message', renotify: false, requireInteraction: false, data: { kind: 'message' } });
    expect(m.options.body).toBeUndefined();
    const c = pushNotification(payload(WakeReason.call));
    expect(c.title).toBe('Incoming call');
    expect(c.options).toMatchObject({ tag: 'parley-push-call', renotify: true, requireInteraction: true, data: { kind: 'call' } });
  });

  it('still shows "New message" for a payload that does not decode (userVisibleOnly)', () => {
    const bad = payload(WakeReason.message);
    bad[5] = 1; // padding must be zero
    for (const data of [bad, new Uint8Array(3), null, undefined]) expect(pushNotification(data).title).toBe('New message');
  });

  it('leads a click to the conversation it names, else to the app told to open the newest unread one', () => {
    expect(clickTarget({ url: '/c/' + 'ab'.repeat(32) })).toEqual({ url: '/c/' + 'ab'.repeat(32) });
    expect(clickTarget({ kind: 'call' })).toEqual({ url: '/?open=call', kind: 'call' });
    expect(clickTarget({ url: 'https://elsewhere.example/' })).toEqual({ url: '/?open=message', kind: 'message' });
    expect(clickTarget(undefined)).toEqual({ url: '/?open=message', kind: 'message' });
  });
});

describe('notifier.json', () => {
  it('comes from the build setting, else the app origin (VITE_PARLEY_APP_ORIGIN for the Android app)', () => {
    expect(notifierUrl({}, 'https://chat.example')).toBe('https://chat.example/notifier.json');
    expect(notifierUrl({ VITE_PARLEY_NOTIFIER_URL: 'https://push.example/n.json' }, 'https://chat.example')).toBe('https://push.example/n.json');
    expect(notifierUrl({ VITE_PARLEY_NOTIFIER_URL: '/push/notifier.json' }, 'https://chat.example')).toBe('https://chat.example/push/notifier.json');
    expect(notifierUrl({ VITE_PARLEY_APP_ORIGIN: 'https://chat.example' }, 'https://localhost')).toBe('https://chat.example/notifier.json');
  });

  it('is optional: 404 means no push; a broken one is an error', async () => {
    const answer = (status: number, body: unknown) => (async () => new Response(JSON.stringify(body), { status })) as unknown as typeof fetch;
    expect(await loadNotifierInfo({}, 'https://chat.example', answer(404, {}))).toBeUndefined();
    await expect(loadNotifierInfo({}, 'https://chat.example', answer(200, { format: 'other' }))).rejects.toBeInstanceOf(PushError);
  });

  it('compares delivery targets by endpoint and keys, or token', () => {
    const w: PushTarget = { kind: 'webpush', endpoint: 'https://push.example/1', p256dh: 'p', auth: 'a' };
    expect(sameTarget(w, { ...w })).toBe(true);
    expect(sameTarget(w, { ...w, endpoint: 'https://push.example/2' })).toBe(false);
    expect(sameTarget({ kind: 'fcm', token: 't' }, { kind: 'fcm', token: 't' })).toBe(true);
    expect(sameTarget({ kind: 'fcm', token: 't' }, w)).toBe(false);
    expect(sameTarget(undefined, w)).toBe(false);
  });
});

const INFO = { x: 'aa'.repeat(32), webPushOrigins: ['https://push.example'], fcm: false } as NotifierInfo;

function world(o: { permission?: PushPermission; registered?: PushState['registered']; tag?: string; info?: NotifierInfo | undefined; canPush?: boolean; host?: string } = {}) {
  let now = 1_000_000_000;
  let state: PushState = { tag: o.tag ?? 't1', ...(o.registered ? { registered: o.registered } : {}) };
  let endpoint = 1;
  const platform = {
    kind: 'webpush' as const,
    permission: vi.fn(async () => o.permission ?? 'granted'),
    requestPermission: vi.fn(async () => o.permission ?? 'granted'),
    subscribe: vi.fn(async (_i: NotifierInfo, s: { fresh: boolean }): Promise<PushTarget> => {
      if (s.fresh) endpoint++;
      return { kind: 'webpush', endpoint: `https://${o.host ?? 'push.example'}/${endpoint}`, p256dh: 'p', auth: 'a' };
    }),
    unsubscribe: vi.fn(async () => undefined),
    ...(o.canPush !== undefined ? { canPush: () => o.canPush! } : {}),
  } satisfies PushPlatform;
  const api = {
    pushState: vi.fn(async () => state),
    pushRegister: vi.fn(async (r: { info: NotifierInfo; target: PushTarget; fresh?: boolean }) => (state = { ...state, registered: { tag: state.tag!, target: r.target, at: now } })),
    pushUnregister: vi.fn(async () => (state = { tag: state.tag! })),
  };
  const push = createPush({ api, platform, loadInfo: async () => ('info' in o ? o.info : INFO), now: () => now });
  return { push, api, platform, rotate: (tag: string) => (state = { ...state, tag }), later: (ms: number) => (now += ms) };
}

describe('the push controller', () => {
  it('does nothing at start while push is off: no permission prompt, no subscription', async () => {
    const w = world();
    expect(await w.push.sync()).toEqual({ state: 'off' });
    expect(w.platform.requestPermission).not.toHaveBeenCalled();
    expect(w.platform.subscribe).not.toHaveBeenCalled();
  });

  it('turns on from a click: permission, subscription, registration of the current tag', async () => {
    const w = world();
    expect(await w.push.enable()).toEqual({ state: 'on' });
    expect(w.platform.requestPermission).toHaveBeenCalledOnce();
    expect(w.api.pushRegister).toHaveBeenCalledWith({ info: INFO, target: { kind: 'webpush', endpoint: 'https://push.example/1', p256dh: 'p', auth: 'a' }, fresh: false });
    expect(w.push.status()).toEqual({ state: 'on' });
    // the next start finds everything current: nothing is sent
    expect(await w.push.sync()).toEqual({ state: 'on' });
    expect(w.api.pushRegister).toHaveBeenCalledOnce();
  });

  it('after a rotation, resubscribes and registers from a fresh push identity', async () => {
    const w = world();
    await w.push.enable();
    w.rotate('t2');
    await w.push.sync();
    expect(w.platform.subscribe).toHaveBeenLastCalledWith(INFO, { fresh: true });
    expect(w.api.pushRegister).toHaveBeenLastCalledWith(expect.objectContaining({ fresh: true, target: expect.objectContaining({ endpoint: 'https://push.example/2' }) }));
  });

  it('renews an old registration and follows a changed endpoint, without a fresh identity', async () => {
    const w = world();
    await w.push.enable();
    w.later(RENEW_MS);
    await w.push.sync();
    expect(w.api.pushRegister).toHaveBeenCalledTimes(2);
    expect(w.api.pushRegister).toHaveBeenLastCalledWith(expect.objectContaining({ fresh: false }));
    w.platform.subscribe.mockResolvedValueOnce({ kind: 'webpush', endpoint: 'https://push.example/9', p256dh: 'p', auth: 'a' });
    await w.push.sync();
    expect(w.api.pushRegister).toHaveBeenCalledTimes(3);
  });

  it('reports blocked, unavailable (no notifier) and errors; turns off by unregistering and unsubscribing', async () => {
    expect(await world({ permission: 'denied' }).push.enable()).toEqual({ state: 'blocked' });
    expect(await world({ info: undefined }).push.enable()).toEqual({ state: 'unavailable' });
    expect(await world({ info: undefined }).push.refresh()).toEqual({ state: 'unavailable' });
    const failing = world();
    failing.api.pushRegister.mockRejectedValueOnce(new PushError('TIMEOUT', 'the notifier did not answer'));
    expect(await failing.push.enable()).toEqual({ state: 'error', message: 'the notifier did not answer' });
    const w = world();
    await w.push.enable();
    expect(await w.push.refresh()).toEqual({ state: 'on' });
    expect(await w.push.disable()).toEqual({ state: 'off' });
    expect(w.api.pushUnregister).toHaveBeenCalledOnce();
    expect(w.platform.unsubscribe).toHaveBeenCalledOnce();
  });

  it("is refused, before anything is sent, when the notifier does not push to this browser's push service", async () => {
    const w = world({ host: 'web.push.apple.com' });
    expect(await w.push.enable()).toEqual({ state: 'refused', message: 'the notifier does not push to web.push.apple.com' });
    expect(w.api.pushRegister).not.toHaveBeenCalled();
    expect(w.platform.unsubscribe).toHaveBeenCalledOnce();
    expect(w.push.status().state).toBe('refused');
  });

  it('a refusal from the worker (NotifierError REFUSED) is a state too; after a policy change sync drops the dead registration', async () => {
    const w = world();
    w.api.pushRegister.mockRejectedValueOnce(Object.assign(new Error('the notifier does not take FCM registrations'), { code: 'REFUSED' }));
    expect(await w.push.enable()).toEqual({ state: 'refused', message: 'the notifier does not take FCM registrations' });
    expect(await w.push.enable()).toEqual({ state: 'on' });
    const moved = { ...INFO, webPushOrigins: ['https://elsewhere.example'] };
    const later = createPush({ api: w.api, platform: w.platform, loadInfo: async () => moved });
    expect(await later.sync()).toEqual({ state: 'refused', message: 'the notifier does not push to push.example' });
    expect(w.api.pushUnregister).toHaveBeenCalledOnce();
    expect(await later.refresh()).toEqual({ state: 'off' });
  });

  it('without the Push API, turning on asks for permission only and gives in-page notifications', async () => {
    const w = world({ canPush: false, permission: 'granted' });
    expect(await w.push.enable()).toEqual({ state: 'local' });
    expect(w.platform.requestPermission).toHaveBeenCalledOnce();
    expect(w.platform.subscribe).not.toHaveBeenCalled();
    expect(w.api.pushRegister).not.toHaveBeenCalled();
    expect(await w.push.refresh()).toEqual({ state: 'local' });
    expect(await world({ canPush: false, permission: 'default' }).push.refresh()).toEqual({ state: 'off' });
    expect(await world({ canPush: false, permission: 'denied' }).push.enable()).toEqual({ state: 'blocked' });
  });
});
