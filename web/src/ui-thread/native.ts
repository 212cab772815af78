/**
 * The Android app's native side (android/, Capacitor 7), seen from the web app. On the web every
 * function here is a no-op or a fallback, and no Capacitor plugin code is loaded: plugins come in
 * by dynamic import, only when `Capacitor.isNativePlatform()`.
 *
 * - Calls: `callStarted({ video })` keeps the screen on and routes audio for a call (earpiece,
 *   speaker for video unless a headset is connected); `callEnded()` restores both
 *   (android/android/app/src/main/java/app/parley/messenger/CallPlugin.java, plugin `ParleyCall`).
 * - Push: `fcmPlatform()`, the FCM token from @capacitor/push-notifications, registered with the
 *   notifier as push_register_fcm (ui-thread/push.ts picks it instead of Web Push).
 * - Links: `onAppUrl(fn)`: invite links (`parley:invite/...`, `https://<host>/#invite=...`) that
 *   opened the app, at launch or while it runs (@capacitor/app `appUrlOpen`).
 * - `onPushTap(fn)`: a tap on a push notification (shown by ParleyMessagingService.java).
 */
import { Capacitor, registerPlugin } from '@capacitor/core';
import { PushError, type PushTarget } from '../shared/push-config.ts';
import type { PushPermission, PushPlatform } from './push.ts';

export const isNative = (): boolean => Capacitor.isNativePlatform();

interface CallPlugin {
  callStarted(o: { video: boolean }): Promise<void>;
  callEnded(): Promise<void>;
}
let callPlugin: CallPlugin | undefined;
const calls = (): CallPlugin => (callPlugin ??= registerPlugin<CallPlugin>('ParleyCall'));

/** A call began (or switched video on/off): screen on, audio in communication mode. */
export async function callStarted(o: { video: boolean }): Promise<void> {
  if (isNative()) await calls().callStarted({ video: o.video });
}

/** The call is over: the screen may sleep again, audio as before. */
export async function callEnded(): Promise<void> {
  if (isNative()) await calls().callEnded();
}

/** How long `register()` may take to produce a token. */
const TOKEN_TIMEOUT_MS = 30_000;

function permissionOf(s: string): PushPermission {
  return s === 'granted' ? 'granted' : s === 'denied' ? 'denied' : 'default';
}

/** FCM through @capacitor/push-notifications. */
export function fcmPlatform(): PushPlatform {
  const plugin = async () => (await import('@capacitor/push-notifications')).PushNotifications;
  return {
    kind: 'fcm',
    permission: async () => permissionOf((await (await plugin()).checkPermissions()).receive),
    requestPermission: async () => permissionOf((await (await plugin()).requestPermissions()).receive),
    async subscribe(_info, o) {
      const p = await plugin();
      if (o.fresh) await p.unregister(); // deletes the token: the next one is new
      const handles: { remove(): Promise<void> }[] = [];
      try {
        return await new Promise<PushTarget>((resolve, reject) => {
          const timer = setTimeout(() => reject(new PushError('TIMEOUT', 'no FCM token (is google-services.json in the build?)')), TOKEN_TIMEOUT_MS);
          void (async () => {
            handles.push(await p.addListener('registration', (t) => (clearTimeout(timer), resolve({ kind: 'fcm', token: t.value }))));
            handles.push(await p.addListener('registrationError', (e) => (clearTimeout(timer), reject(new PushError('UNSUPPORTED', `FCM: ${e.error}`)))));
            await p.register();
          })().catch(reject);
        });
      } finally {
        for (const h of handles) await h.remove();
      }
    },
    async unsubscribe() {
      await (await plugin()).unregister();
    },
  };
}

/** Calls `fn` with every URL that opens the app (invite links); no-op on the web. */
export async function onAppUrl(fn: (url: string) => void): Promise<() => void> {
  if (!isNative()) return () => {};
  const { App } = await import('@capacitor/app');
  const h = await App.addListener('appUrlOpen', (e) => fn(e.url));
  return () => void h.remove();
}

/** Calls `fn` when the user taps a push notification; no-op on the web (the service worker does it). */
export async function onPushTap(fn: () => void): Promise<() => void> {
  if (!isNative()) return () => {};
  const { PushNotifications } = await import('@capacitor/push-notifications');
  const h = await PushNotifications.addListener('pushNotificationActionPerformed', () => fn());
  return () => void h.remove();
}
