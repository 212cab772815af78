/**
 * The client side of push registration, for the web app (browser-safe: no Node imports).
 *
 * ```ts
 * import { fetchNotifierInfo, buildWebPushRegistration, registerWithNotifier } from '@parley/notifier/client';
 * const info = await fetchNotifierInfo('/notifier.json');
 * const sub = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: info.vapidPublicKey });
 * await registerWithNotifier(pushEngine, info, buildWebPushRegistration(sub, pushEngine.wakeTag!.tag));
 * ```
 * See notifier/README.md "Client integration" for which engine to use and when to call it.
 */
import { KEY_SIZE, MAX_FCM_TOKEN_BYTES, MAX_PUSH_ENDPOINT_BYTES, MessageType, WAKE_TAG_SIZE, WEBPUSH_AUTH_SIZE, WEBPUSH_P256DH_SIZE, WakeReason, decodePushPayload, type EnvelopeBody } from '@parley/generated';

/** `notifier.json`, as the notifier publishes it (invites.ts NotifierInfo). */
export interface NotifierInfo {
  format: 'parley-notifier';
  version: 1;
  id: string;
  x: string;
  ed: string;
  vapidPublicKey: string;
  invite: string;
  inviteExpiresAt: number;
}

/** What a browser PushSubscription (or its toJSON()) offers. */
export interface PushSubscriptionLike {
  endpoint: string;
  getKey?(name: 'p256dh' | 'auth'): ArrayBuffer | null;
  keys?: { p256dh?: string; auth?: string };
}

/** The part of the runtime Engine this module uses. */
export interface EngineLike {
  contact(key: string): { state: string } | undefined;
  addContact(invite: string, o?: { name?: string }): Promise<{ key: string }>;
  sendRaw(key: string, message: EnvelopeBody): Promise<string>;
}

/** Checks a parsed `notifier.json` (TypeError naming the bad field). */
export function parseNotifierInfo(json: unknown): NotifierInfo {
  const o = json as Partial<NotifierInfo> | null;
  if (typeof o !== 'object' || o === null || o.format !== 'parley-notifier' || o.version !== 1) throw new TypeError('not a parley-notifier version 1 document');
  const hex = (v: unknown, n: number, name: string) => {
    if (typeof v !== 'string' || !new RegExp(`^[0-9a-f]{${n * 2}}$`).test(v)) throw new TypeError(`notifier.json: ${name} must be ${n * 2} lower-case hex digits`);
  };
  hex(o.x, KEY_SIZE, 'x');
  hex(o.ed, KEY_SIZE, 'ed');
  if (typeof o.vapidPublicKey !== 'string' || fromB64(o.vapidPublicKey, 'vapidPublicKey').length !== WEBPUSH_P256DH_SIZE) throw new TypeError('notifier.json: vapidPublicKey must be a base64url P-256 point');
  if (typeof o.invite !== 'string' || o.invite.length === 0) throw new TypeError('notifier.json: invite is missing');
  if (typeof o.inviteExpiresAt !== 'number') throw new TypeError('notifier.json: inviteExpiresAt is missing');
  return o as NotifierInfo;
}

/** Fetches and checks `notifier.json`. */
export async function fetchNotifierInfo(url: string, f: typeof fetch = fetch): Promise<NotifierInfo> {
  const res = await f(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`notifier.json: HTTP ${res.status}`);
  return parseNotifierInfo(await res.json());
}

/** push_register_webpush for the current wake tag (`engine.wakeTag.tag`). */
export function buildWebPushRegistration(subscription: PushSubscriptionLike, tag: Uint8Array): EnvelopeBody {
  checkTag(tag);
  const endpoint = subscription.endpoint;
  if (typeof endpoint !== 'string' || !/^https?:\/\//.test(endpoint) || new TextEncoder().encode(endpoint).length > MAX_PUSH_ENDPOINT_BYTES) {
    throw new RangeError(`the subscription endpoint must be an http(s) URL of at most ${MAX_PUSH_ENDPOINT_BYTES} bytes`);
  }
  const p256dh = keyOf(subscription, 'p256dh');
  const auth = keyOf(subscription, 'auth');
  if (p256dh.length !== WEBPUSH_P256DH_SIZE) throw new RangeError(`p256dh must be ${WEBPUSH_P256DH_SIZE} bytes, got ${p256dh.length}`);
  if (auth.length !== WEBPUSH_AUTH_SIZE) throw new RangeError(`auth must be ${WEBPUSH_AUTH_SIZE} bytes, got ${auth.length}`);
  return { type: MessageType.pushRegisterWebpush, body: { tag: tag.slice(), endpoint, p256dh, auth } };
}

/** push_register_fcm for the current wake tag. */
export function buildFcmRegistration(token: string, tag: Uint8Array): EnvelopeBody {
  checkTag(tag);
  const n = new TextEncoder().encode(token).length;
  if (n < 1 || n > MAX_FCM_TOKEN_BYTES) throw new RangeError(`an FCM token is 1 to ${MAX_FCM_TOKEN_BYTES} bytes, got ${n}`);
  return { type: MessageType.pushRegisterFcm, body: { tag: tag.slice(), token } };
}

/** push_unregister: forget a tag (the previous one after a rotation, or on logout). */
export function buildUnregister(tag: Uint8Array): EnvelopeBody {
  checkTag(tag);
  return { type: MessageType.pushUnregister, body: { tag: tag.slice() } };
}

/**
 * Sends a registration to the notifier, adding it as a contact through its invite first if
 * needed (the registration waits in the outbox until the notifier accepts). With `replaces`,
 * the previous tag is unregistered after it. Resolves with the registration's message id:
 * the engine's `delivered` event names it once the notifier has stored it.
 */
export async function registerWithNotifier(engine: EngineLike, info: NotifierInfo, registration: EnvelopeBody, o: { replaces?: Uint8Array } = {}): Promise<string> {
  let key = info.x;
  if (!engine.contact(key)) key = (await engine.addContact(info.invite, { name: 'Parley notifier' })).key;
  const id = await engine.sendRaw(key, registration);
  if (o.replaces) await engine.sendRaw(key, buildUnregister(o.replaces));
  return id;
}

/** What a notification says: never any content, sender or count. */
export const NOTIFICATION_TEXT = { message: 'New message', call: 'Incoming call' } as const;

/**
 * For the service worker's `push` handler: the push's meaning, from its constant-size payload
 * (`event.data.arrayBuffer()`), or undefined if it is not a Parley push.
 */
export function pushKind(data: ArrayBuffer | Uint8Array | null | undefined): 'message' | 'call' | undefined {
  if (!data) return undefined;
  try {
    const p = decodePushPayload(data instanceof Uint8Array ? data : new Uint8Array(data));
    return p.reason === WakeReason.call ? 'call' : 'message';
  } catch {
    return undefined;
  }
}

function checkTag(tag: Uint8Array): void {
  if (!(tag instanceof Uint8Array)) throw new TypeError('tag must be a Uint8Array');
  if (tag.length !== WAKE_TAG_SIZE) throw new RangeError(`a wake tag is ${WAKE_TAG_SIZE} bytes, got ${tag.length}`);
}

function keyOf(s: PushSubscriptionLike, name: 'p256dh' | 'auth'): Uint8Array {
  const raw = s.getKey?.(name);
  if (raw) return new Uint8Array(raw);
  const text = s.keys?.[name];
  if (typeof text !== 'string') throw new TypeError(`the subscription has no ${name} key`);
  return fromB64(text, name);
}

function fromB64(s: string, name: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(s)) throw new TypeError(`${name} must be base64url`);
  const bin = atob(s.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.replace(/=+$/, '').length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
