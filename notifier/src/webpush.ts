/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and message encryption (RFC 8291, aes128gcm).
 * The body is ece.ts's encryption of the constant push payload: every push has the same size
 * (HEADER_SIZE + PUSH_PAYLOAD_SIZE + 17 bytes). The `web-push` package signs the VAPID JWT
 * (ES256; aud = the endpoint's origin, exp 12 h ahead, sub = VAPID_SUBJECT).
 *
 * Headers: TTL (a message waits as long as the relay holds it, a ring is useless after the
 * ring timeout), Urgency (RFC 8030 §5.3: high for calls, normal for messages), Topic
 * (§5.4: the reason's name, so repeated wakes of one kind replace each other while undelivered).
 * 404 and 410 mean the subscription is gone (§6.2, §7.3).
 *
 * Endpoints come from strangers, so before anything is stored or sent an endpoint must match
 * one of the configured push-service origins: the notifier is not an open HTTP proxy.
 */
import type { WakeReason } from '@parley/generated';
import webpush from 'web-push';
import { encryptWebPush } from './ece.ts';
import type { VapidKeys } from './keys.ts';
import { networkFailure, pushPayload, reasonName, WakeReason as Reason, type PushResult, type PushSender, type Subscription } from './push.ts';

export type WebPushSubscription = Extract<Subscription, { kind: 'webpush' }>;

export interface WebPushOptions {
  vapid: VapidKeys;
  subject: string;
  /** Allowed endpoint origins: `https://host`, `https://*.host` (any subdomain), `http://127.0.0.1:port`. */
  origins: readonly string[];
  timeoutMs: number;
  messageTtlS: number;
  callTtlS: number;
}

export class WebPushSender implements PushSender<WebPushSubscription> {
  readonly #o: WebPushOptions;

  constructor(o: WebPushOptions) {
    this.#o = o;
  }

  /** True if the endpoint is an http(s) URL at one of the allowed origins. */
  allowed(endpoint: string): boolean {
    return endpointAllowed(endpoint, this.#o.origins);
  }

  async send(sub: WebPushSubscription, reason: WakeReason): Promise<PushResult> {
    if (!this.allowed(sub.endpoint)) return { outcome: 'gone', status: 0 };
    const call = reason === Reason.call;
    const body = encryptWebPush({ plaintext: pushPayload(reason), uaPublic: b64(sub.p256dh), authSecret: b64(sub.auth) });
    const url = new URL(sub.endpoint);
    const vapid = webpush.getVapidHeaders(url.origin, this.#o.subject, this.#o.vapid.publicKey, this.#o.vapid.privateKey, 'aes128gcm');
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          Authorization: vapid.Authorization,
          TTL: String(call ? this.#o.callTtlS : this.#o.messageTtlS),
          Urgency: call ? 'high' : 'normal',
          Topic: reasonName(reason),
          'Content-Encoding': 'aes128gcm',
          'Content-Type': 'application/octet-stream',
        },
        body: Buffer.from(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
    } catch (e) {
      return networkFailure(e);
    }
    if (res.status >= 200 && res.status < 300) return { outcome: 'sent', status: res.status };
    if (res.status === 404 || res.status === 410) return { outcome: 'gone', status: res.status };
    return { outcome: 'failed', status: res.status, reason: `HTTP ${res.status}` };
  }
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

function b64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64url'));
}
