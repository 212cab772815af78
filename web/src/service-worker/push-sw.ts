/**
 * What the service worker (sw.ts) does with a push and a notification click, kept apart so
 * it can be tested. A push carries only the constant-size `push_payload` (generated codec:
 * message or call); the notification says "New message" or "Incoming call" and nothing else:
 * no sender, no text, no count (notifier/README.md "Client integration" step 7).
 */
import { NOTIFICATION_TEXT, pushKind } from '@parley/notifier/client';
import { OPEN_PARAM } from '../messages/service-worker.ts';

export type PushKind = keyof typeof NOTIFICATION_TEXT;

/** The notification for a push's payload (an unreadable one still shows: userVisibleOnly). */
export function pushNotification(data: ArrayBuffer | Uint8Array | null | undefined): { title: string; options: NotificationOptions & { renotify?: boolean } } {
  const kind: PushKind = pushKind(data) ?? 'message';
  return {
    title: NOTIFICATION_TEXT[kind],
    options: {
      tag: `parley-push-${kind}`, // repeated wakes replace one notification
      renotify: kind === 'call',
      requireInteraction: kind === 'call',
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      data: { kind },
    },
  };
}

/** Where a click on a notification leads: its conversation (in-app notifications), else the app told to open the newest unread one. */
export function clickTarget(data: { url?: unknown; kind?: unknown } | null | undefined): { url: string; kind?: PushKind } {
  if (typeof data?.url === 'string' && data.url.startsWith('/')) return { url: data.url };
  const kind: PushKind = data?.kind === 'call' ? 'call' : 'message';
  return { url: `/?${OPEN_PARAM}=${kind}`, kind };
}
