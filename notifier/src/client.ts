/**
 * The client side of push registration, for the web app (browser-safe: no Node imports).
 *
 * ```ts
 * import { fetchNotifierInfo, buildWebPushRegistration, registerWithNotifier } from '@parley/notifier/client';
 * const info = await fetchNotifierInfo(NOTIFIER_JSON_PATH);
 * const sub = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: info.vapidPublicKey });
 * await registerWithNotifier(pushEngine, info, buildWebPushRegistration(sub, pushEngine.wakeTag!.tag));
 * ```
 * See notifier/README.md "Client integration" for which engine to use and when to call it.
 */
import { ID_SIZE, KEY_SIZE, MAX_FCM_TOKEN_BYTES, MAX_PUSH_ENDPOINT_BYTES, MessageType, WAKE_TAG_SIZE, WEBPUSH_AUTH_SIZE, WEBPUSH_P256DH_SIZE, WakeReason, decodePushPayload, type EnvelopeBody } from '@parley/generated';
import { NotifierError, NotifierInfoError } from './errors.ts';

export { NotifierError, NotifierInfoError, isNotifierError, type NotifierErrorCode } from './errors.ts';

/** The `notifier.json` format version this module reads and the notifier writes. */
export const NOTIFIER_INFO_VERSION = 2;
/** Most invites a `notifier.json` lists (the notifier's NOTIFIER_INVITES setting goes up to it). */
export const MAX_PUBLISHED_INVITES = 64;
/** Most Web Push origins a `notifier.json` lists (WEBPUSH_ALLOWED_ORIGINS holds at most this many). */
export const MAX_WEBPUSH_ORIGINS = 64;

/** One of the notifier's published invites. */
export interface PublishedInvite {
  /** base64url (Engine.addContact takes it as is). */
  invite: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

/** `notifier.json`, as the notifier publishes it (invites.ts writes it). */
export interface NotifierInfo {
  format: 'parley-notifier';
  version: typeof NOTIFIER_INFO_VERSION;
  /** The notifier's id, X25519 and Ed25519 keys, lower-case hex. */
  id: string;
  x: string;
  ed: string;
  /** VAPID public key, base64url: the browser's applicationServerKey. */
  vapidPublicKey: string;
  /**
   * Invites to become the notifier's contact, 1 to MAX_PUBLISHED_INVITES. A client picks one at
   * random: each takes at most INVITE_FIRST_CONTACTS_PER_MINUTE first contacts a minute.
   */
  invites: PublishedInvite[];
  /** Origins a Web Push endpoint must have (`https://host`, `https://*.host`); others are refused. */
  webPushOrigins: string[];
  /** True if the notifier takes FCM registrations. */
  fcm: boolean;
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

/** Checks a parsed `notifier.json` (NotifierInfoError naming the bad field). */
export function parseNotifierInfo(json: unknown): NotifierInfo {
  const bad = (what: string) => new NotifierInfoError(`notifier.json: ${what}`);
  const o = json as Partial<Record<keyof NotifierInfo, unknown>> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o) || o.format !== 'parley-notifier') throw bad('not a parley-notifier document');
  if (o.version !== NOTIFIER_INFO_VERSION) throw bad(`version ${String(o.version)} is not ${NOTIFIER_INFO_VERSION}`);
  const hex = (v: unknown, n: number, name: string) => {
    if (typeof v !== 'string' || !new RegExp(`^[0-9a-f]{${n * 2}}$`).test(v)) throw bad(`${name} must be ${n * 2} lower-case hex digits`);
  };
  hex(o.id, ID_SIZE, 'id');
  hex(o.x, KEY_SIZE, 'x');
  hex(o.ed, KEY_SIZE, 'ed');
  if (typeof o.vapidPublicKey !== 'string' || b64Length(o.vapidPublicKey) !== WEBPUSH_P256DH_SIZE) throw bad('vapidPublicKey must be a base64url P-256 point');
  if (!Array.isArray(o.invites) || o.invites.length < 1 || o.invites.length > MAX_PUBLISHED_INVITES) throw bad(`invites must list 1 to ${MAX_PUBLISHED_INVITES} invites`);
  o.invites.forEach((i: unknown, n) => {
    const v = i as Partial<PublishedInvite> | null;
    if (typeof v !== 'object' || v === null || typeof v.invite !== 'string' || v.invite.length === 0 || !isB64(v.invite)) throw bad(`invites[${n}].invite must be a base64url invite`);
    if (!Number.isSafeInteger(v.expiresAt) || (v.expiresAt as number) < 0) throw bad(`invites[${n}].expiresAt must be seconds since the epoch`);
  });
  if (!Array.isArray(o.webPushOrigins) || o.webPushOrigins.length > MAX_WEBPUSH_ORIGINS || !o.webPushOrigins.every((v) => typeof v === 'string' && v.length > 0)) {
    throw bad(`webPushOrigins must list at most ${MAX_WEBPUSH_ORIGINS} origins`);
  }
  if (typeof o.fcm !== 'boolean') throw bad('fcm must be true or false');
  return o as unknown as NotifierInfo;
}

/** Fetches and checks `notifier.json` (NotifierInfoError; `status` 404 means there is no notifier). */
export async function fetchNotifierInfo(url: string, f: typeof fetch = fetch): Promise<NotifierInfo> {
  let res: Response;
  try {
    // `cache` is for browsers (the web app calls this too); Node's fetch types do not list it.
    const init: RequestInit & { cache?: 'no-store' } = { cache: 'no-store' };
    res = await f(url, init);
  } catch (cause) {
    throw new NotifierInfoError(`notifier.json: ${(cause as Error)?.message ?? 'unreachable'}`, undefined, { cause });
  }
  if (!res.ok) throw new NotifierInfoError(`notifier.json: HTTP ${res.status}`, res.status);
  let json: unknown;
  try {
    json = await res.json();
  } catch (cause) {
    throw new NotifierInfoError('notifier.json: not JSON', res.status, { cause });
  }
  return parseNotifierInfo(json);
}

/** One of the published invites, at random among those not expired (all, if every one is). */
export function pickInvite(info: Pick<NotifierInfo, 'invites'>, o: { random?: () => number; now?: () => number } = {}): string {
  const nowS = Math.floor((o.now ?? Date.now)() / 1000);
  const live = info.invites.filter((i) => i.expiresAt >= nowS);
  const from = live.length > 0 ? live : info.invites;
  const r = (o.random ?? Math.random)();
  return from[Math.min(from.length - 1, Math.floor(r * from.length))]!.invite;
}

/**
 * Why the notifier would refuse to push to this destination, by its published policy
 * (`webPushOrigins`, `fcm`), or undefined if it takes it. For a UI that has a subscription but
 * no registration yet.
 */
export function refusalOf(info: Pick<NotifierInfo, 'webPushOrigins' | 'fcm'>, to: { kind: 'webpush'; endpoint: string } | { kind: 'fcm' }): string | undefined {
  if (to.kind === 'fcm') return info.fcm ? undefined : 'the notifier does not take FCM registrations';
  return endpointAllowed(to.endpoint, info.webPushOrigins) ? undefined : `the notifier does not push to ${hostOf(to.endpoint)}`;
}

/**
 * Throws NotifierError REFUSED if the notifier's published policy says it would refuse this
 * registration: a Web Push endpoint outside its `webPushOrigins`, FCM when it has none, an
 * all-zero tag. The protocol has no refusal reply (a refused registration is acknowledged like
 * any message, so the client does not resend it), so this check is how a client learns it.
 */
export function checkRegistration(info: Pick<NotifierInfo, 'webPushOrigins' | 'fcm'>, registration: EnvelopeBody): void {
  let why: string | undefined;
  if (registration.type === MessageType.pushRegisterWebpush) {
    why = registration.body.tag.every((b) => b === 0) ? 'the wake tag is all zero' : refusalOf(info, { kind: 'webpush', endpoint: registration.body.endpoint });
  } else if (registration.type === MessageType.pushRegisterFcm) {
    why = registration.body.tag.every((b) => b === 0) ? 'the wake tag is all zero' : refusalOf(info, { kind: 'fcm' });
  }
  if (why !== undefined) throw new NotifierError('REFUSED', why);
}

/** Origin patterns: exact origin, or `scheme://*.domain` for any subdomain of domain. */
export function endpointAllowed(endpoint: string, origins: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    return false;
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.username !== '' || u.password !== '') return false;
  return origins.some((pattern) => {
    const m = /^(https?:)\/\/(\*\.)?(.+)$/i.exec(pattern);
    if (!m || m[1]!.toLowerCase() !== u.protocol) return false;
    const host = m[3]!.toLowerCase();
    return m[2] ? u.host.endsWith('.' + host) : u.host === host;
  });
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
 * Sends a registration to the notifier, adding it as a contact through one of its invites
 * (`pickInvite`) first if needed (the registration waits in the outbox until the notifier
 * accepts). With `replaces`, the previous tag is unregistered after it. Resolves with the
 * registration's message id: the engine's `delivered` event names it once the notifier has
 * stored it. Throws NotifierError REFUSED, before anything is sent, for a registration the
 * notifier would refuse (`checkRegistration`).
 */
export async function registerWithNotifier(
  engine: EngineLike,
  info: NotifierInfo,
  registration: EnvelopeBody,
  o: { replaces?: Uint8Array; random?: () => number; now?: () => number } = {},
): Promise<string> {
  checkRegistration(info, registration);
  let key = info.x;
  if (!engine.contact(key)) key = (await engine.addContact(pickInvite(info, o), { name: 'Parley notifier' })).key;
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

function isB64(s: string): boolean {
  return /^[A-Za-z0-9_-]*={0,2}$/.test(s);
}

/** Bytes a base64url string decodes to, or -1 if it is not base64url. */
function b64Length(s: string): number {
  try {
    return fromB64(s, 'value').length;
  } catch {
    return -1;
  }
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return 'an invalid endpoint';
  }
}

function fromB64(s: string, name: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(s)) throw new TypeError(`${name} must be base64url`);
  const bin = atob(s.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.replace(/=+$/, '').length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
