/**
 * A browser with the Notification API but no Push API (no PushManager, or no service worker):
 * the Web Push platform (ui-thread/push.ts) still reports and asks notification permission
 * (through notify.ts `requestNotifications`, only on enable, from a click), says it cannot push,
 * and the controller ends in `local`: in-page notifications (notify.ts) while the tab is hidden.
 * Without the Notification API at all it is `unsupported`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NotifierInfo, PushState } from '../src/shared/push-config.ts';
import { notifyIncoming, requestNotifications, type NotifyEnv } from '../src/ui-thread/notify.ts';
import { createPush, webPushPlatform } from '../src/ui-thread/push.ts';

afterEach(() => vi.unstubAllGlobals());

/** window.Notification as a browser has it: a permission that a click may change. */
function stubNotification(initial: NotificationPermission, answer: NotificationPermission) {
  const N = { permission: initial, requestPermission: vi.fn(async () => (N.permission = answer)) };
  vi.stubGlobal('Notification', N);
  return N;
}

function controller(navigatorOf: () => Navigator | undefined) {
  const state: PushState = { tag: 't1' };
  const api = { pushState: vi.fn(async () => state), pushRegister: vi.fn(), pushUnregister: vi.fn() };
  const loadInfo = vi.fn(async () => ({ x: 'aa'.repeat(32), webPushOrigins: ['https://push.example'], fcm: false }) as unknown as NotifierInfo);
  const platform = webPushPlatform(navigatorOf);
  return { platform, api, loadInfo, push: createPush({ api, platform, loadInfo }) };
}

describe('notifications without the Push API', () => {
  it('with Notification but no PushManager: permission is asked on enable and notifications are in-page', async () => {
    vi.stubGlobal('PushManager', undefined);
    const N = stubNotification('default', 'granted');
    const c = controller(() => ({ serviceWorker: {} }) as unknown as Navigator);
    expect(c.platform.canPush!()).toBe(false);
    expect(await c.platform.permission()).toBe('default');

    expect(await c.push.refresh()).toEqual({ state: 'off' }); // offers the button, asks nothing yet
    expect(N.requestPermission).not.toHaveBeenCalled();
    expect(await c.push.enable()).toEqual({ state: 'local' });
    expect(N.requestPermission).toHaveBeenCalledOnce();
    expect(c.api.pushRegister).not.toHaveBeenCalled();
    expect(await c.push.refresh()).toEqual({ state: 'local' });
    expect(await c.push.sync()).toEqual({ state: 'local' }); // nothing registered: nothing to renew

    // and the in-page notification now shows while the tab is hidden
    const shown: string[] = [];
    const env: NotifyEnv = { hidden: () => true, permission: () => N.permission, show: async (title) => void shown.push(title) };
    expect(await notifyIncoming(env, { contact: 'ab', name: 'Alice', silent: false })).toBe(true);
    expect(shown).toEqual(['New message']);
  });

  it('with PushManager but no service worker: in-page too; a refusal in the prompt is blocked', async () => {
    vi.stubGlobal('PushManager', function PushManager() {});
    stubNotification('default', 'denied');
    const c = controller(() => ({}) as Navigator);
    expect(c.platform.canPush!()).toBe(false);
    expect(await c.push.enable()).toEqual({ state: 'blocked' });
    expect(await c.push.refresh()).toEqual({ state: 'blocked' });
  });

  it('with both, it can push (and an already granted permission is reported as is)', async () => {
    vi.stubGlobal('PushManager', function PushManager() {});
    stubNotification('granted', 'granted');
    const c = controller(() => ({ serviceWorker: {} }) as unknown as Navigator);
    expect(c.platform.canPush!()).toBe(true);
    expect(await c.platform.permission()).toBe('granted');
  });

  it('without the Notification API: unsupported, and nothing is asked', async () => {
    vi.stubGlobal('Notification', undefined);
    const c = controller(() => ({ serviceWorker: {} }) as unknown as Navigator);
    expect(await requestNotifications()).toBe('unsupported');
    expect(await c.push.refresh()).toEqual({ state: 'unsupported' });
    expect(await c.push.enable()).toEqual({ state: 'unsupported' });
  });
});
