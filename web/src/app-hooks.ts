/**
 * App-wide hooks for push and the Android app, installed once by App.tsx:
 * - push: `sync()` once the identity is ready (renews or refreshes the registration) and on every
 *   `wake-tag` rotation; the service worker's `parley:resubscribe` message does the same;
 * - a push notification's click (service worker `parley:open` message, `/?open=message` for a
 *   window it opened, or a tap in the Android app) shows the newest unread conversation once
 *   the relay delivered what it held (`synced`);
 * - in the Android app, invite links that open it (`appUrlOpen`) go to add-contact; any other
 *   link that opens it just opens the app.
 */
import type { AppCtx } from './context.ts';
import { isInviteUrl } from './ui-thread/invite-links.ts';
import { onAppUrl, onPushTap } from './ui-thread/native.ts';
import { pushFor } from './ui-thread/push.ts';
import { OPEN_MESSAGE, OPEN_PARAM, RESUBSCRIBE_MESSAGE } from './messages/service-worker.ts';

/** Open the conversation list's best guess anyway if `synced` does not come (offline). */
const OPEN_WAIT_MS = 10_000;

export interface AppHooks {
  /** The identity is open and the contacts are loaded. */
  ready(): void;
  /** Show the newest unread conversation once synced. */
  openNewestUnread(): void;
  dispose(): void;
}

export function installAppHooks(ctx: AppCtx, isReady: () => boolean, win: Window = window): AppHooks {
  const push = pushFor(ctx.client);
  const offs: (() => void)[] = [];
  let loaded = false;
  let synced = false;
  let wanted: ReturnType<typeof setTimeout> | undefined;

  const go = () => {
    clearTimeout(wanted);
    wanted = undefined;
    const list = ctx.contacts.conversations();
    const pick = list.find((c) => ctx.contacts.unread(c.key) > 0) ?? list[0];
    ctx.router.navigate(pick ? `/c/${pick.key}` : '/');
  };
  const flush = () => {
    if (wanted !== undefined && loaded && synced) go();
  };
  const openNewestUnread = () => {
    clearTimeout(wanted);
    wanted = setTimeout(go, OPEN_WAIT_MS);
    flush();
  };

  offs.push(ctx.client.on('synced', () => ((synced = true), flush())));
  offs.push(ctx.client.on('wake-tag', () => void push.sync()));

  const sw = (win.navigator as Navigator).serviceWorker;
  const onSw = (ev: MessageEvent) => {
    const type = (ev.data as { type?: unknown } | null)?.type;
    if (type === OPEN_MESSAGE) openNewestUnread();
    if (type === RESUBSCRIBE_MESSAGE) void push.sync();
  };
  sw?.addEventListener('message', onSw);
  offs.push(() => sw?.removeEventListener('message', onSw));

  const params = new URLSearchParams(win.location.search);
  if (params.has(OPEN_PARAM)) {
    params.delete(OPEN_PARAM);
    const q = params.toString();
    win.history.replaceState(null, '', win.location.pathname + (q ? `?${q}` : '') + win.location.hash);
    openNewestUnread();
  }

  const later = (p: Promise<() => void>) => void p.then((off) => offs.push(off)).catch((err) => console.warn('parley native:', err));
  later(
    onAppUrl((url) => {
      if (!isInviteUrl(url)) return;
      ctx.setPendingInvite(url);
      if (isReady()) ctx.router.navigate('/add');
    }),
  );
  later(onPushTap(openNewestUnread));

  return {
    ready() {
      loaded = true;
      flush();
      void push.sync();
    },
    openNewestUnread,
    dispose() {
      clearTimeout(wanted);
      for (const off of offs.splice(0)) off();
    },
  };
}
