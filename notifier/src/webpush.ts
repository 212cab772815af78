/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and message encryption (RFC 8291, aes128gcm), made
 * by the `web-push` package: `generateRequestDetails` signs the VAPID JWT (ES256; aud = the
 * endpoint's origin, exp 12 h ahead, sub = VAPID_SUBJECT), encrypts the constant push payload
 * (aes128gcm, a fresh key and salt per push, one record) and sets the headers. We send the
 * request with fetch, for our own timeout, no redirects, and our reading of the answer.
 * (The tests open every body with their own RFC 8291 decryptor, test-kit/src/notifier/ece-decrypt.ts,
 * and with http_ece: ece.test.ts.)
 *
 * Every body has the same size, WEB_PUSH_BODY_SIZE (the header, the PUSH_PAYLOAD_SIZE payload,
 * its delimiter and the tag): a push of any other size is not sent.
 *
 * Headers: TTL (a message waits as long as the relay holds it, a ring is useless after the
 * ring timeout), Urgency (RFC 8030 §5.3: high for calls, normal for messages), Topic
 * (§5.4: the reason's name, so repeated wakes of one kind replace each other while undelivered).
 * 404 and 410 mean the subscription is gone (§6.2, §7.3).
 *
 * Endpoints come from strangers, so before anything is stored or sent an endpoint must match
 * one of the configured push-service origins: the notifier is not an open HTTP proxy.
 */
import { PUSH_PAYLOAD_SIZE, type WakeReason } from '@parley/generated';
import webpush from 'web-push';
import { endpointAllowed } from './client.ts';
import { oneRecordSize } from './web-push-size.ts';
import type { VapidKeys } from './keys.ts';
import { networkFailure, pushPayload, reasonName, WakeReason as Reason, type PushResult, type PushSender, type Subscription } from './push.ts';

export { endpointAllowed };

export type WebPushSubscription = Extract<Subscription, { kind: 'webpush' }>;

/** The body of every Web Push: the aes128gcm header, then one record (payload, delimiter 0x02, 16-byte tag). */
export const WEB_PUSH_BODY_SIZE = oneRecordSize(PUSH_PAYLOAD_SIZE);

export interface WebPushOptions {
  vapid: VapidKeys;
  subject: string;
  /** Allowed endpoint origins: `https://host`, `https://*.host` (any subdomain), `http://127.0.0.1:port`. */
  origins: readonly string[];
  timeoutMs: number;
  messageTtlS: number;
  callTtlS: number;
}

/** A push request as web-push builds it, before it is sent. */
export interface WebPushRequest {
  endpoint: string;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer>;
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

  /** The request for one push (web-push: VAPID, aes128gcm, TTL, Urgency, Topic). Throws Error if web-push refuses the subscription. */
  request(sub: WebPushSubscription, reason: WakeReason): WebPushRequest {
    const call = reason === Reason.call;
    const details = webpush.generateRequestDetails({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, Buffer.from(pushPayload(reason)), {
      vapidDetails: { subject: this.#o.subject, publicKey: this.#o.vapid.publicKey, privateKey: this.#o.vapid.privateKey },
      TTL: call ? this.#o.callTtlS : this.#o.messageTtlS,
      urgency: call ? 'high' : 'normal',
      topic: reasonName(reason),
      contentEncoding: 'aes128gcm',
    });
    const headers: Record<string, string> = {};
    // fetch computes Content-Length itself from the body
    for (const [k, v] of Object.entries(details.headers)) if (k.toLowerCase() !== 'content-length') headers[k] = String(v);
    return { endpoint: details.endpoint, headers, body: new Uint8Array(details.body ?? []) };
  }

  async send(sub: WebPushSubscription, reason: WakeReason): Promise<PushResult> {
    if (!this.allowed(sub.endpoint)) return { outcome: 'gone', status: 0 };
    let req: WebPushRequest;
    try {
      req = this.request(sub, reason);
    } catch (e) {
      return { outcome: 'failed', reason: `cannot build the push: ${(e as Error).message}` };
    }
    // never a push of another size (it would tell message from call), never one without VAPID
    if (req.body.length !== WEB_PUSH_BODY_SIZE) return { outcome: 'failed', reason: `push body is ${req.body.length} bytes, not ${WEB_PUSH_BODY_SIZE}` };
    if (!req.headers.Authorization?.startsWith('vapid ')) return { outcome: 'failed', reason: 'no VAPID authorization for this endpoint' };
    let res: Response;
    try {
      res = await fetch(req.endpoint, {
        method: 'POST',
        headers: req.headers,
        body: req.body,
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
