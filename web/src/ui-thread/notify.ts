/**
 * Notifications for new messages while the tab is hidden (Notification API). Permission is
 * asked only from a user gesture (the Settings button, `requestNotifications` through
 * ui-thread/push.ts, which offers these in-page notifications also where the browser has no Push
 * API). What is shown is minimal by design: "New message" and the contact's local name, never
 * the text or file name, and one notification per contact (`tag`), so a lock screen shows who
 * wrote, not what.
 * Push while the app is closed comes with the notifier (ui-thread/push.ts).
 */

export interface NotifyEnv {
  hidden(): boolean;
  permission(): NotificationPermission | 'unsupported';
  show(title: string, o: NotificationOptions): Promise<void>;
}

export function browserNotifyEnv(): NotifyEnv {
  return {
    hidden: () => document.visibilityState === 'hidden',
    permission: () => (typeof Notification === 'undefined' ? 'unsupported' : Notification.permission),
    async show(title, o) {
      // Through the service worker where there is one (required on Android), else directly.
      const reg = 'serviceWorker' in navigator ? await navigator.serviceWorker.getRegistration() : undefined;
      if (reg) await reg.showNotification(title, o);
      else new Notification(title, o);
    },
  };
}

/** Asks for permission; call from a click handler ('unsupported' without the Notification API). */
export async function requestNotifications(): Promise<NotificationPermission | 'unsupported'> {
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.requestPermission();
}

/** Shows the notification for a new message if the page is hidden and allowed to notify. */
export async function notifyIncoming(env: NotifyEnv, m: { contact: string; name: string; silent: boolean }): Promise<boolean> {
  if (m.silent || !env.hidden() || env.permission() !== 'granted') return false;
  await env.show('New message', {
    body: m.name ? `From ${m.name}` : 'From a contact',
    tag: `parley-${m.contact}`,
    icon: '/icons/icon-192.png',
    badge: '/icons/icon-192.png',
    data: { url: `/c/${m.contact}` },
  });
  return true;
}
