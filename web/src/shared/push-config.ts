/**
 * Push notifications: where the notifier is, and the types the UI and the worker share.
 *
 * The notifier (notifier/README.md "Client integration") publishes `notifier.json`: its keys, its
 * VAPID key, its invites and which push services it pushes to. The app finds it at, in this order:
 *   1. VITE_PARLEY_NOTIFIER_URL (build setting; absolute, or relative to the app's origin);
 *   2. NOTIFIER_JSON_PATH (`/notifier.json`) on VITE_PARLEY_APP_ORIGIN (the Android build, whose
 *      own origin is the WebView's), else on the app's origin: the relay serves it with NOTIFIER_JSON.
 * No document (404) means push is not offered; the app works without it.
 */
import { NOTIFIER_JSON_PATH } from '@parley/generated';
import { NotifierInfoError, fetchNotifierInfo, type NotifierInfo } from '@parley/notifier/client';

export type { NotifierInfo };

export interface PushEnv {
  VITE_PARLEY_NOTIFIER_URL?: string;
  VITE_PARLEY_APP_ORIGIN?: string;
}

/** Where the push service delivers: a Web Push subscription (keys base64url) or an FCM token. */
export type PushTarget = { kind: 'webpush'; endpoint: string; p256dh: string; auth: string } | { kind: 'fcm'; token: string };

/** What the worker reports (`Api.pushState`). Tags are hex. */
export interface PushState {
  /** The messaging engine's current wake tag (undefined while no identity is open). */
  tag?: string;
  /** The registration the notifier acknowledged last, from the push identity. */
  registered?: { tag: string; target: PushTarget; at: number };
}

export class PushError extends Error {
  override readonly name = 'PushError';
  constructor(
    readonly code: 'NO_NOTIFIER' | 'UNSUPPORTED' | 'DENIED' | 'TIMEOUT' | 'NOT_READY' | 'REFUSED',
    message: string,
  ) {
    super(message);
  }
}

/** The URL of notifier.json for this build and origin. */
export function notifierUrl(env: PushEnv, origin: string): string {
  const base = env.VITE_PARLEY_APP_ORIGIN || origin;
  return new URL(env.VITE_PARLEY_NOTIFIER_URL || NOTIFIER_JSON_PATH, base).href;
}

/** notifier.json, or undefined when there is none (404): push is then not offered. */
export async function loadNotifierInfo(env: PushEnv, origin: string, f: typeof fetch = fetch): Promise<NotifierInfo | undefined> {
  const url = notifierUrl(env, origin);
  try {
    return await fetchNotifierInfo(url, f);
  } catch (err) {
    if (err instanceof NotifierInfoError && err.status === 404) return undefined;
    throw new PushError('NO_NOTIFIER', `cannot load ${url}: ${(err as Error).message}`);
  }
}

/** Same place to deliver (a changed endpoint or token needs a new registration). */
export function sameTarget(a: PushTarget | undefined, b: PushTarget | undefined): boolean {
  if (!a || !b || a.kind !== b.kind) return false;
  return a.kind === 'fcm' ? a.token === (b as typeof a).token : a.endpoint === (b as typeof a).endpoint && a.p256dh === (b as typeof a).p256dh && a.auth === (b as typeof a).auth;
}
