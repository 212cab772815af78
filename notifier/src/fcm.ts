/**
 * Firebase Cloud Messaging, HTTP v1 API. Authorisation is OAuth 2.0 for service accounts
 * (RFC 7523): a JWT (RS256, signed here with node:crypto by the service account's key) with
 * iss = client_email, scope = firebase.messaging, aud = the token endpoint, one hour of life,
 * is exchanged at the token endpoint (grant_type jwt-bearer) for an access token, cached until
 * a minute before it expires; concurrent pushes share one exchange.
 *
 * The message is data-only (no `notification`: the app decides what to show) with the constant
 * push payload base64url under FCM_PAYLOAD_KEY (`data.p`), high priority (a data message at normal priority waits
 * for the device to leave Doze), a ttl per reason, and one collapse key per reason.
 * 404 / UNREGISTERED means the token is gone; a 401 drops the cached access token and retries once.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { FCM_PAYLOAD_KEY, type WakeReason } from '@parley/generated';
import { z } from 'zod';
import { NotifierError } from './errors.ts';
import { networkFailure, pushPayload, reasonName, WakeReason as Reason, type PushResult, type PushSender, type Subscription } from './push.ts';

export type FcmSubscription = Extract<Subscription, { kind: 'fcm' }>;

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** Lifetime of the assertion (Google accepts at most one hour). */
const ASSERTION_LIFETIME_S = 3600;
/** Refresh an access token this long before it expires. */
const REFRESH_MARGIN_MS = 60_000;

const ServiceAccount = z.object({
  type: z.literal('service_account'),
  project_id: z.string().min(1),
  private_key_id: z.string().optional(),
  private_key: z.string().includes('PRIVATE KEY'),
  client_email: z.string().min(3),
  token_uri: z.string().url().optional(),
});
export type ServiceAccount = z.infer<typeof ServiceAccount>;

export interface FcmOptions {
  account: ServiceAccount;
  /** Send endpoint; `{project}` is replaced by project_id. */
  endpoint: string;
  /** Token endpoint; default the account's token_uri. */
  tokenUri?: string | undefined;
  timeoutMs: number;
  messageTtlS: number;
  callTtlS: number;
  now?: () => number;
}

/** Reads and checks a service-account JSON file (FCM_AUTH error naming the problem, never the key). */
export async function loadServiceAccount(path: string): Promise<ServiceAccount> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new NotifierError('FCM_AUTH', `${path}: not a readable JSON file`, { cause });
  }
  const r = ServiceAccount.safeParse(json);
  if (!r.success) throw new NotifierError('FCM_AUTH', `${path}: not a service-account key (${r.error.issues.map((i) => i.path.join('.')).join(', ')})`);
  return r.data;
}

export class FcmSender implements PushSender<FcmSubscription> {
  readonly #o: FcmOptions;
  readonly #key: KeyObject;
  readonly #url: string;
  readonly #tokenUri: string;
  #token: { value: string; expiresAt: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(o: FcmOptions) {
    this.#o = o;
    try {
      this.#key = createPrivateKey(o.account.private_key);
    } catch (cause) {
      throw new NotifierError('FCM_AUTH', 'the service account private_key is not a PEM private key', { cause });
    }
    this.#url = o.endpoint.replaceAll('{project}', encodeURIComponent(o.account.project_id));
    this.#tokenUri = o.tokenUri ?? o.account.token_uri ?? DEFAULT_TOKEN_URI;
  }

  async send(sub: FcmSubscription, reason: WakeReason): Promise<PushResult> {
    const first = await this.#post(sub, reason);
    if (first.outcome !== 'failed' || first.status !== 401) return first;
    this.#token = undefined;
    return this.#post(sub, reason);
  }

  /** The cached access token, or a new one from the token endpoint (FCM_AUTH on refusal). */
  accessToken(): Promise<string> {
    const now = (this.#o.now ?? Date.now)();
    if (this.#token && now < this.#token.expiresAt - REFRESH_MARGIN_MS) return Promise.resolve(this.#token.value);
    this.#pending ??= this.#exchange().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #post(sub: FcmSubscription, reason: WakeReason): Promise<PushResult> {
    const call = reason === Reason.call;
    let res: Response;
    try {
      const token = await this.accessToken();
      res = await fetch(this.#url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify({
          message: {
            token: sub.token,
            data: { [FCM_PAYLOAD_KEY]: Buffer.from(pushPayload(reason)).toString('base64url') },
            android: { priority: 'HIGH', ttl: `${call ? this.#o.callTtlS : this.#o.messageTtlS}s`, collapse_key: reasonName(reason) },
          },
        }),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
    } catch (e) {
      if (e instanceof NotifierError) return { outcome: 'failed', reason: e.message };
      return networkFailure(e);
    }
    const text = await res.text().catch(() => '');
    if (res.ok) return { outcome: 'sent', status: res.status };
    if (res.status === 404 || text.includes('"UNREGISTERED"')) return { outcome: 'gone', status: res.status };
    return { outcome: 'failed', status: res.status, reason: `HTTP ${res.status}` };
  }

  async #exchange(): Promise<string> {
    const now = (this.#o.now ?? Date.now)();
    const iat = Math.floor(now / 1000);
    const header = { alg: 'RS256', typ: 'JWT', ...(this.#o.account.private_key_id ? { kid: this.#o.account.private_key_id } : {}) };
    const claims = { iss: this.#o.account.client_email, scope: FCM_SCOPE, aud: this.#tokenUri, iat, exp: iat + ASSERTION_LIFETIME_S };
    const input = `${b64json(header)}.${b64json(claims)}`;
    const assertion = `${input}.${sign('sha256', Buffer.from(input), this.#key).toString('base64url')}`;
    let res: Response;
    try {
      res = await fetch(this.#tokenUri, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
    } catch (cause) {
      const r = networkFailure(cause);
      throw new NotifierError('FCM_AUTH', `token endpoint unreachable (${r.outcome === 'failed' ? r.reason : 'error'})`, { cause });
    }
    const body = (await res.json().catch(() => undefined)) as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (!res.ok || typeof body?.access_token !== 'string' || typeof body.expires_in !== 'number') {
      throw new NotifierError('FCM_AUTH', `token endpoint answered HTTP ${res.status} without an access token`);
    }
    this.#token = { value: body.access_token, expiresAt: now + body.expires_in * 1000 };
    return body.access_token;
  }
}

function b64json(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}
