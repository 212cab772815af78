/**
 * Push notifications, the UI side: permission, the subscription (Web Push in browsers, FCM in the
 * Android app), and when to (re)register with the notifier. The registration itself runs in the
 * worker from the push identity (worker/push-host.ts).
 *
 * - `enable()` only from a user gesture (Settings): asks for permission, subscribes, registers.
 *   A browser with the Notification API but no Push API (no PushManager) still gets in-page
 *   notifications (ui-thread/notify.ts, while the tab is hidden): `enable()` then only asks for
 *   permission, and the state is `local`.
 * - A registration the notifier would refuse (its notifier.json says which push services it
 *   pushes to, and whether it takes FCM) is `refused`, with the reason, before anything is sent:
 *   the protocol has no refusal reply, so push would otherwise look on and never come.
 * - `sync()` at every start and on every `wake-tag` event, if push is on: a rotated wake tag gets
 *   a fresh subscription and a fresh push identity (spec/THREAT-MODEL.md "The notifier"); a
 *   changed endpoint or token, or a registration older than RENEW_MS, is registered again (the
 *   notifier forgets registrations not renewed for NOTIFIER_REGISTRATION_TTL_MS, 7 days).
 * - `disable()` unregisters, unsubscribes and forgets the push identity.
 */
import { createSignal } from 'solid-js';
import { fcmPlatform, isNative } from './native.ts';
import type { Client } from './client.ts';
import type { Api, Remote } from '../messages/protocol.ts';
import { refusalOf } from '@parley/notifier/client';
import { requestNotifications } from './notify.ts';
import { PushError, loadNotifierInfo, sameTarget, type NotifierInfo, type PushState, type PushTarget } from '../shared/push-config.ts';

export type PushPermission = NotificationPermission | 'unsupported';

/** Where subscriptions come from: the browser's PushManager, or FCM in the Android app. */
export interface PushPlatform {
  readonly kind: PushTarget['kind'];
  /** Notification permission; 'unsupported' only if there are no notifications at all. */
  permission(): Promise<PushPermission>;
  /** Only from a user gesture. */
  requestPermission(): Promise<PushPermission>;
  /** False if notifications work but push does not (no Push API): in-page notifications only. Default true. */
  canPush?(): boolean;
  /** The current subscription or token (a new one if there is none, or if `fresh`). */
  subscribe(info: NotifierInfo, o: { fresh: boolean }): Promise<PushTarget>;
  unsubscribe(): Promise<void>;
}

/**
 * - `local`: notifications are allowed, but this browser has no Push API: they show while
 *   Parley runs (in-page), never while it is closed.
 * - `unavailable`: allowed, but this server has no notifier.
 * - `refused`: the notifier does not push to this browser's push service (or takes no FCM).
 */
export type PushStatus =
  | { state: 'off' | 'on' | 'local' | 'blocked' | 'unsupported' | 'unavailable' | 'busy' }
  | { state: 'error' | 'refused'; message: string };

/** Renew a registration after this long (well within the notifier's 7-day TTL). */
export const RENEW_MS = 24 * 3600_000;

export interface PushDeps {
  api: Pick<Remote<Api>, 'pushState' | 'pushRegister' | 'pushUnregister'>;
  platform: PushPlatform;
  loadInfo: () => Promise<NotifierInfo | undefined>;
  now?: () => number;
}

export function createPush(d: PushDeps) {
  const [status, setStatus] = createSignal<PushStatus>({ state: 'off' });
  const now = d.now ?? Date.now;
  let serial: Promise<unknown> = Promise.resolve();
  const one = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = serial.then(fn, fn);
    serial = p.catch(() => undefined);
    return p;
  };
  const canPush = () => d.platform.canPush?.() ?? true;
  /** A refusal (ours, or the worker's NotifierError REFUSED) is a state, anything else an error. */
  const fail = (err: unknown): PushStatus => {
    const message = (err as Error)?.message ?? String(err);
    return (err as { code?: unknown })?.code === 'REFUSED' ? { state: 'refused', message } : { state: 'error', message };
  };

  /** Subscribes and registers when needed; `force` registers even if nothing changed. */
  async function register(st: PushState, force: boolean): Promise<PushStatus> {
    const info = await d.loadInfo();
    if (!info) return { state: 'unavailable' };
    if (!st.tag) throw new PushError('NOT_READY', 'the identity is not open');
    const rotated = st.registered !== undefined && st.registered.tag !== st.tag;
    const target = await d.platform.subscribe(info, { fresh: rotated });
    const why = refusalOf(info, target);
    if (why !== undefined) {
      await d.platform.unsubscribe().catch(() => undefined); // a subscription nobody would push to
      if (st.registered) await d.api.pushUnregister().catch(() => undefined); // dead since the notifier's policy changed
      throw new PushError('REFUSED', why);
    }
    const stale = !st.registered || now() - st.registered.at >= RENEW_MS || !sameTarget(st.registered.target, target);
    if (force || rotated || stale) await d.api.pushRegister({ info, target, fresh: rotated });
    return { state: 'on' };
  }

  const api = {
    status,
    /** Reads the state without changing anything (Settings). */
    refresh: () =>
      one(async () => {
        const perm = await d.platform.permission();
        const st = await d.api.pushState();
        let s: PushStatus =
          perm === 'unsupported' ? { state: 'unsupported' } : perm === 'denied' ? { state: 'blocked' } : !canPush() ? { state: perm === 'granted' ? 'local' : 'off' } : st.registered ? { state: 'on' } : { state: 'off' };
        if (s.state === 'off' && perm === 'granted' && !(await d.loadInfo().catch(() => true))) s = { state: 'unavailable' };
        setStatus(s);
        return s;
      }),
    /** From a click: permission, subscription, registration. */
    enable: () =>
      one(async () => {
        setStatus({ state: 'busy' });
        try {
          const perm = await d.platform.requestPermission();
          const s: PushStatus =
            perm === 'unsupported' ? { state: 'unsupported' } : perm !== 'granted' ? { state: 'blocked' } : !canPush() ? { state: 'local' } : await register(await d.api.pushState(), true);
          setStatus(s);
          return s;
        } catch (err) {
          setStatus(fail(err));
          return status();
        }
      }),
    /** At start and when the wake tag rotates: keeps an enabled registration current. */
    sync: () =>
      one(async () => {
        try {
          const st = await d.api.pushState();
          if (!st.registered) return status();
          const perm = await d.platform.permission();
          const s: PushStatus = perm !== 'granted' ? { state: 'blocked' } : await register(st, false);
          setStatus(s);
          return s;
        } catch (err) {
          setStatus(fail(err));
          return status();
        }
      }),
    disable: () =>
      one(async () => {
        setStatus({ state: 'busy' });
        await d.api.pushUnregister().catch(() => undefined);
        await d.platform.unsubscribe().catch(() => undefined);
        setStatus({ state: 'off' });
        return status();
      }),
  };
  return api;
}

export type Push = ReturnType<typeof createPush>;

/**
 * The browser's Push API through the service worker's registration. Without it (no PushManager
 * or no service worker) but with the Notification API, permission is still asked and reported
 * (`canPush()` false): in-page notifications need nothing more.
 */
export function webPushPlatform(navigatorOf: () => Navigator | undefined = () => globalThis.navigator): PushPlatform {
  const notifications = () => typeof Notification !== 'undefined';
  const supported = () => notifications() && typeof PushManager !== 'undefined' && 'serviceWorker' in (navigatorOf() ?? {});
  const registration = async (): Promise<ServiceWorkerRegistration> => {
    const sw = navigatorOf()?.serviceWorker;
    const reg = await sw?.getRegistration();
    if (!sw || !reg) throw new PushError('UNSUPPORTED', 'no service worker (push needs the production build)');
    return sw.ready;
  };
  return {
    kind: 'webpush',
    permission: async () => (notifications() ? Notification.permission : 'unsupported'),
    requestPermission: () => requestNotifications(),
    canPush: supported,
    async subscribe(info, o) {
      const reg = await registration();
      let sub = await reg.pushManager.getSubscription();
      if (sub && (o.fresh || b64(sub.options.applicationServerKey) !== info.vapidPublicKey.replace(/=+$/, ''))) {
        await sub.unsubscribe();
        sub = null;
      }
      sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: info.vapidPublicKey });
      const keys = sub.toJSON().keys ?? {};
      if (!keys.p256dh || !keys.auth) throw new PushError('UNSUPPORTED', 'the push subscription has no keys');
      return { kind: 'webpush', endpoint: sub.endpoint, p256dh: keys.p256dh, auth: keys.auth };
    },
    async unsubscribe() {
      const reg = await navigatorOf()?.serviceWorker?.getRegistration();
      await (await reg?.pushManager.getSubscription())?.unsubscribe();
    },
  };
}

function b64(key: ArrayBuffer | null | undefined): string {
  if (!key) return '';
  return btoa(String.fromCharCode(...new Uint8Array(key))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** FCM in the Android app, Web Push in browsers. */
export function pushPlatform(): PushPlatform {
  return isNative() ? fcmPlatform() : webPushPlatform();
}

const instances = new WeakMap<Client, Push>();

/** The app's push controller (one per worker client). */
export function pushFor(client: Client): Push {
  let p = instances.get(client);
  if (!p) {
    const env = import.meta.env as Record<string, string | undefined>;
    p = createPush({ api: client.api, platform: pushPlatform(), loadInfo: () => loadNotifierInfo(env, location.origin) });
    instances.set(client, p);
  }
  return p;
}
