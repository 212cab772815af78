/**
 * The service worker as it ships: src/service-worker/sw.ts bundled by build/precache.ts (esbuild, IIFE) and run
 * as a classic script in a fresh V8 context with a fake ServiceWorkerGlobalScope. A push with
 * the notifier's payload shows "New message" or "Incoming call" and nothing more; a click opens
 * the app at `/?open=<kind>`, or focuses an open window and tells it to show the newest unread
 * conversation; a click on an in-app notification navigates to its conversation.
 */
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { PUSH_PAYLOAD_SIZE, WakeReason, encodePushPayload } from '@parley/generated';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { serviceWorkerSource } from '../build/precache.ts';

const WEB = fileURLToPath(new URL('..', import.meta.url));
let source: string;
beforeAll(async () => {
  source = await serviceWorkerSource(WEB);
});

type Handler = (e: unknown) => void;

function load(windows: { focus: () => Promise<void>; navigate: (u: string) => Promise<void>; postMessage: (m: unknown) => void }[] = []) {
  const handlers = new Map<string, Handler>();
  const shown: [string, NotificationOptions][] = [];
  const opened: string[] = [];
  const self = {
    location: { origin: 'https://chat.example' },
    addEventListener: (type: string, fn: Handler) => handlers.set(type, fn),
    registration: { showNotification: async (title: string, o: NotificationOptions) => void shown.push([title, o]) },
    clients: { claim: async () => undefined, matchAll: async () => windows, openWindow: async (u: string) => void opened.push(u) },
  };
  runInNewContext(`const PRECACHE=["/"];const VERSION="test";\n${source}`, { self, caches: {}, URL, Response, fetch, console, TextDecoder, TextEncoder, atob, btoa });
  const fire = async (type: string, event: object) => {
    let waited: Promise<unknown> = Promise.resolve();
    handlers.get(type)!({ ...event, waitUntil: (p: Promise<unknown>) => (waited = p) });
    await waited;
  };
  return { handlers, shown, opened, fire };
}

const payload = (reason: number) => encodePushPayload({ reason: reason as WakeReason, padding: PUSH_PAYLOAD_SIZE - 1 });
const pushEvent = (bytes: Uint8Array | null) => ({ data: bytes ? { arrayBuffer: () => bytes.slice().buffer } : null });

describe('the bundled service worker', () => {
  it('is one classic script that installs its handlers', () => {
    expect(source).not.toMatch(/^\s*(import|export)\s/m);
    expect([...load().handlers.keys()].sort()).toEqual(['activate', 'fetch', 'install', 'notificationclick', 'push', 'pushsubscriptionchange']);
  });

  it('turns each push into "New message" or "Incoming call" without content', async () => {
    const sw = load();
    await sw.fire('push', pushEvent(payload(WakeReason.message)));
    await sw.fire('push', pushEvent(payload(WakeReason.call)));
    await sw.fire('push', pushEvent(null));
    expect(sw.shown.map(([t]) => t)).toEqual(['New message', 'Incoming call', 'New message']);
    expect(sw.shown[1]![1]).toMatchObject({ tag: 'parley-push-call', requireInteraction: true, data: { kind: 'call' } });
    for (const [, o] of sw.shown) expect(o.body).toBeUndefined();
  });

  it('opens the app for a click, or focuses an open one and asks it for the newest unread conversation', async () => {
    const closed = load();
    const close = vi.fn();
    await closed.fire('notificationclick', { notification: { close, data: { kind: 'call' } } });
    expect(close).toHaveBeenCalled();
    expect(closed.opened).toEqual(['/?open=call']);

    const win = { focus: vi.fn(async () => undefined), navigate: vi.fn(async () => undefined), postMessage: vi.fn() };
    const open = load([win]);
    await open.fire('notificationclick', { notification: { close, data: { kind: 'message' } } });
    expect(win.focus).toHaveBeenCalled();
    expect(win.postMessage).toHaveBeenCalledWith({ type: 'parley:open', kind: 'message' });
    await open.fire('notificationclick', { notification: { close, data: { url: `/c/${'ab'.repeat(32)}` } } });
    expect(win.navigate).toHaveBeenCalledWith(`/c/${'ab'.repeat(32)}`);
    await open.fire('pushsubscriptionchange', {});
    expect(win.postMessage).toHaveBeenLastCalledWith({ type: 'parley:resubscribe' });
  });
});
