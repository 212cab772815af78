/**
 * The web app inside the Android app (Capacitor) and in a browser, with Capacitor mocked:
 * natively it registers an FCM token (push_register_fcm) instead of a Web Push subscription,
 * listens for invite links that open the app (`appUrlOpen` → add contact) and push taps (→ the
 * newest unread conversation once synced), and drives the ParleyCall plugin; in a browser it
 * picks Web Push, loads no plugin and the call hooks do nothing.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { installAppHooks } from '../src/app-hooks.ts';
import type { AppCtx } from '../src/context.ts';
import { callEnded, callStarted, onAppUrl } from '../src/ui-thread/native.ts';
import type { NotifierInfo, PushState, PushTarget } from '../src/shared/push-config.ts';
import { createPush, pushPlatform } from '../src/ui-thread/push.ts';
import { fakeClient } from './_fake-client.ts';

const m = vi.hoisted(() => {
  type Fn = (d: unknown) => void;
  const listeners = new Map<string, Fn>();
  const handle = (name: string, fn: Fn) => (listeners.set(name, fn), { remove: async () => void listeners.delete(name) });
  let token = 0;
  let receive = 'prompt';
  return {
    native: false,
    listeners,
    call: { callStarted: async (_o: unknown) => undefined, callEnded: async () => undefined },
    App: { addListener: async (ev: string, fn: Fn) => handle(`app:${ev}`, fn) },
    Push: {
      checkPermissions: async () => ({ receive }),
      requestPermissions: async () => ({ receive: (receive = 'granted') }),
      addListener: async (ev: string, fn: Fn) => handle(`push:${ev}`, fn),
      register: async () => listeners.get('push:registration')?.({ value: `fcm-token-${++token}` }),
      unregister: async () => undefined,
    },
  };
});
vi.mock('@capacitor/core', () => ({ Capacitor: { isNativePlatform: () => m.native }, registerPlugin: (name: string) => (name === 'ParleyCall' ? m.call : undefined) }));
vi.mock('@capacitor/app', () => ({ App: m.App }));
vi.mock('@capacitor/push-notifications', () => ({ PushNotifications: m.Push }));

// A notifier that takes FCM registrations (notifier.json's policy: fcm true).
const INFO = { x: 'aa'.repeat(32), fcm: true, webPushOrigins: [] } as unknown as NotifierInfo;

function fakeApi() {
  let state: PushState = { tag: 't1' };
  return {
    pushState: vi.fn(async () => state),
    pushRegister: vi.fn(async (r: { target: PushTarget; fresh?: boolean }) => (state = { ...state, registered: { tag: state.tag!, target: r.target, at: Date.now() } })),
    pushUnregister: vi.fn(async () => (state = { tag: state.tag! })),
    rotate: (tag: string) => (state = { ...state, tag }),
  };
}

function fakeCtx() {
  const { client, emit } = fakeClient({ pushState: async () => ({}) });
  const ctx = {
    client,
    contacts: {
      conversations: () => [{ key: 'a'.repeat(64) }, { key: 'b'.repeat(64) }],
      unread: (k: string) => (k.startsWith('b') ? 2 : 0),
    },
    router: { navigate: vi.fn() },
    setPendingInvite: vi.fn(),
  } as unknown as AppCtx;
  const win = { navigator: {}, location: { search: '', pathname: '/', hash: '' }, history: { replaceState: vi.fn() } } as unknown as Window;
  return { ctx, emit, win };
}

const settle = () => new Promise((r) => setTimeout(r, 0));
beforeEach(() => m.listeners.clear());
afterEach(() => vi.restoreAllMocks());

describe('in the Android app (Capacitor.isNativePlatform())', () => {
  beforeEach(() => void (m.native = true));

  it('registers an FCM token with the notifier, and a new token after a wake tag rotation', async () => {
    const platform = pushPlatform();
    expect(platform.kind).toBe('fcm');
    const requested = vi.spyOn(m.Push, 'requestPermissions');
    const unregister = vi.spyOn(m.Push, 'unregister');
    const api = fakeApi();
    const push = createPush({ api, platform, loadInfo: async () => INFO });
    expect(await push.enable()).toEqual({ state: 'on' });
    expect(requested).toHaveBeenCalledOnce();
    const first = api.pushRegister.mock.calls[0]![0];
    expect(first).toMatchObject({ target: { kind: 'fcm', token: expect.stringMatching(/^fcm-token-/) }, fresh: false });
    api.rotate('t2');
    await push.sync();
    expect(unregister).toHaveBeenCalledOnce(); // the old token is deleted: FCM hands out a new one
    const second = api.pushRegister.mock.calls[1]![0];
    expect(second.fresh).toBe(true);
    expect(second.target).not.toEqual(first.target);
    expect(m.listeners.has('push:registration')).toBe(false); // listeners removed after use
  });

  it('sends invite links that open the app to add-contact, and no other link', async () => {
    const seen: string[] = [];
    const off = await onAppUrl((u) => seen.push(u));
    m.listeners.get('app:appUrlOpen')!({ url: 'parley:invite/AAAA' });
    expect(seen).toEqual(['parley:invite/AAAA']);
    off();

    const { ctx, win } = fakeCtx();
    let ready = false;
    const hooks = installAppHooks(ctx, () => ready, win);
    await settle();
    m.listeners.get('app:appUrlOpen')!({ url: 'https://chat.example/#invite=BBBB' });
    expect(ctx.setPendingInvite).toHaveBeenCalledWith('https://chat.example/#invite=BBBB');
    expect(ctx.router.navigate).not.toHaveBeenCalled(); // not open yet: App goes to /add once ready
    ready = true;
    // Other links that open the app (its own origin, an anchor) just open it: no invite, no /add.
    for (const url of ['https://chat.example/', 'https://chat.example/#main', 'parley:open']) m.listeners.get('app:appUrlOpen')!({ url });
    expect(ctx.setPendingInvite).toHaveBeenCalledOnce();
    expect(ctx.router.navigate).not.toHaveBeenCalled();
    m.listeners.get('app:appUrlOpen')!({ url: 'parley:invite/CCCC' });
    expect(ctx.setPendingInvite).toHaveBeenLastCalledWith('parley:invite/CCCC');
    expect(ctx.router.navigate).toHaveBeenCalledWith('/add');
    hooks.dispose();
  });

  it('opens the newest unread conversation after a notification tap, once synced', async () => {
    const { ctx, emit, win } = fakeCtx();
    const hooks = installAppHooks(ctx, () => true, win);
    await settle();
    m.listeners.get('push:pushNotificationActionPerformed')!({ actionId: 'tap' });
    hooks.ready();
    expect(ctx.router.navigate).not.toHaveBeenCalled();
    emit('synced', { delivered: 3 });
    expect(ctx.router.navigate).toHaveBeenCalledWith(`/c/${'b'.repeat(64)}`);
    hooks.dispose();
  });

  it('keeps the screen on and routes audio through ParleyCall during calls', async () => {
    const started = vi.spyOn(m.call, 'callStarted');
    const ended = vi.spyOn(m.call, 'callEnded');
    await callStarted({ video: true });
    await callEnded();
    expect(started).toHaveBeenCalledWith({ video: true });
    expect(ended).toHaveBeenCalledOnce();
  });
});

describe('in a browser', () => {
  beforeEach(() => void (m.native = false));

  it('picks Web Push, installs no native listener, and the call hooks do nothing', async () => {
    expect(pushPlatform().kind).toBe('webpush');
    const add = vi.spyOn(m.App, 'addListener');
    const started = vi.spyOn(m.call, 'callStarted');
    const { ctx, win } = fakeCtx();
    const hooks = installAppHooks(ctx, () => true, win);
    await settle();
    await onAppUrl(() => undefined);
    await callStarted({ video: false });
    await callEnded();
    expect(add).not.toHaveBeenCalled();
    expect(started).not.toHaveBeenCalled();
    expect(m.listeners.size).toBe(0);
    hooks.dispose();
  });

  it('opens the newest unread conversation for a window the service worker opened (/?open=message)', () => {
    const { ctx, emit, win } = fakeCtx();
    (win.location as { search: string }).search = '?open=message';
    const hooks = installAppHooks(ctx, () => true, win);
    expect(win.history.replaceState).toHaveBeenCalledWith(null, '', '/');
    emit('synced', { delivered: 0 });
    hooks.ready();
    expect(ctx.router.navigate).toHaveBeenCalledWith(`/c/${'b'.repeat(64)}`);
    hooks.dispose();
  });
});
