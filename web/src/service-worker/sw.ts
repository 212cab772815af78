/**
 * The service worker (built into dist/sw.js by build/precache.ts, which prepends PRECACHE, the
 * URL of every built file, and VERSION, a hash of them). It serves the app shell offline:
 * - install: caches every shell file under `parley-shell-<VERSION>`;
 * - activate: deletes older shell caches and takes control of open pages. A new version waits
 *   (no skipWaiting) until no tab runs the old one, so an open tab never loses the lazy chunks
 *   of the build it runs;
 * - navigations: the network first (so a new build is seen), the cached shell when offline;
 * - /assets/* (content-hashed, immutable): the cache first;
 * - /.well-known/parley.json and anything cross-origin: never cached (the worker falls back
 *   to the relay pinned with the identity).
 * A notification click focuses Parley on the conversation it names.
 * - push: a wake from the notifier (push-sw.ts): "New message" or "Incoming call", no
 *   content; a click opens the app, which shows the newest unread conversation once synced.
 * build/precache.ts bundles this file (esbuild, IIFE) with what it imports.
 */
import { OPEN_MESSAGE, RESUBSCRIBE_MESSAGE } from '../messages/service-worker.ts';
import { clickTarget, pushNotification } from './push-sw.ts';

declare const PRECACHE: string[];
declare const VERSION: string;

interface SwEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEv extends SwEvent {
  request: Request;
  respondWith(r: Promise<Response> | Response): void;
}
interface NotificationEv extends SwEvent {
  notification: Notification & { data?: { url?: string; kind?: string } };
}
interface PushEv extends SwEvent {
  data: { arrayBuffer(): ArrayBuffer } | null;
}
interface SwScope {
  location: Location;
  clients: {
    claim(): Promise<void>;
    matchAll(o: { type: 'window'; includeUncontrolled: boolean }): Promise<(WindowClient & { url: string })[]>;
    openWindow(url: string): Promise<unknown>;
  };
  registration: { showNotification(title: string, o: NotificationOptions): Promise<void> };
  addEventListener(type: 'install' | 'activate', fn: (e: SwEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEv) => void): void;
  addEventListener(type: 'notificationclick', fn: (e: NotificationEv) => void): void;
  addEventListener(type: 'push', fn: (e: PushEv) => void): void;
  addEventListener(type: 'pushsubscriptionchange', fn: (e: SwEvent) => void): void;
}
interface WindowClient {
  focus(): Promise<unknown>;
  navigate(url: string): Promise<unknown>;
  postMessage(m: unknown): void;
}

const sw = self as unknown as SwScope;
const CACHE = `parley-shell-${VERSION}`;
const SHELL = '/';

sw.addEventListener('install', (e) => {
  e.waitUntil(
    caches.open(CACHE).then((c) => c.addAll(PRECACHE)),
  );
});

sw.addEventListener('activate', (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('parley-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => sw.clients.claim()),
  );
});

async function fromCache(req: Request | string): Promise<Response | undefined> {
  return (await caches.open(CACHE)).match(req);
}

sw.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== sw.location.origin || url.pathname.startsWith('/.well-known/')) return;
  if (req.mode === 'navigate') {
    e.respondWith(fetch(req).catch(async () => (await fromCache(SHELL)) ?? Response.error()));
    return;
  }
  e.respondWith(
    fromCache(url.pathname).then((hit) => {
      if (hit) return hit;
      return fetch(req);
    }),
  );
});

sw.addEventListener('push', (e) => {
  const n = pushNotification(e.data ? e.data.arrayBuffer() : null);
  e.waitUntil(sw.registration.showNotification(n.title, n.options));
});

// The push service replaced or dropped the subscription: an open app registers again.
sw.addEventListener('pushsubscriptionchange', (e) => {
  e.waitUntil(sw.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((list) => list.forEach((c) => c.postMessage({ type: RESUBSCRIBE_MESSAGE }))));
});

sw.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const target = clickTarget(e.notification.data);
  e.waitUntil(
    sw.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(async (list) => {
      const open = list[0];
      if (open) {
        await open.focus();
        if (target.kind) open.postMessage({ type: OPEN_MESSAGE, kind: target.kind });
        else await open.navigate(target.url).catch(() => undefined);
      } else await sw.clients.openWindow(target.url);
    }),
  );
});
