/**
 * What the notifier does with peer messages (spec message types push_register_webpush,
 * push_register_fcm, push_unregister). Registrations arrive end to end from anyone who reached
 * the notifier through its invite; the wake tag is the capability: who knows it may replace or
 * remove its registration. The notifier stores the tag, the subscription, and which sender key
 * registered it (to bound registrations per sender and forget idle senders); never anything of
 * the client's messaging identity, which it does not see when clients register from a
 * dedicated push identity (README "Client integration").
 *
 * A refused registration (endpoint outside the allowed origins, p256dh not on P-256, FCM not
 * configured, an all-zero tag) is dropped and still acknowledged: the protocol has no refusal
 * reply, and an unacknowledged message would be resent for ever. Clients learn the policy from
 * notifier.json (`webPushOrigins`, `fcm`) and check it before registering (client.ts
 * `checkRegistration`), so a refusal shows there instead of a silent "on".
 *
 * Receipts, accepts, presence and typing are harmless and ignored. Anything else (texts, files,
 * calls...) is not for a notifier, and the engine would keep it: the sender is removed with
 * all its engine state (`abuse`).
 */
import { createECDH } from 'node:crypto';
import { MessageType, WEBPUSH_P256DH_SIZE } from '@parley/generated';
import { toHex, type IncomingMessage } from '@parley/runtime';
import { ref, serviceOf, type Logger } from './logger.ts';
import type { WakeLimiter } from './ratelimit.ts';
import type { RegistrationStore } from './registrations.ts';

/** A sender's activity is written down at most this often (each write is an fsync). */
const SEEN_GRANULARITY_MS = 3600_000;

const HARMLESS: ReadonlySet<number> = new Set([MessageType.receipt, MessageType.contactAccept, MessageType.presence, MessageType.typing]);

export interface RegistrarDeps {
  store: RegistrationStore;
  limiter: WakeLimiter;
  /** True if Web Push may push to this endpoint (webpush.ts endpointAllowed). */
  endpointAllowed(endpoint: string): boolean;
  fcmEnabled: boolean;
  log: Logger;
  now: () => number;
}

export type Verdict = 'registered' | 'unregistered' | 'refused' | 'ignored' | 'abuse';

export class Registrar {
  readonly #d: RegistrarDeps;

  constructor(deps: RegistrarDeps) {
    this.#d = deps;
  }

  /** Acts on one accepted peer message. Synchronous: the store is on disk before the engine acknowledges. */
  onMessage(m: IncomingMessage): Verdict {
    const d = this.#d;
    const owner = m.contact.key;
    const now = d.now();
    const who = { sender_ref: ref(owner) };
    switch (m.type) {
      case MessageType.pushRegisterWebpush: {
        const { tag, endpoint, p256dh, auth } = m.body;
        if (isZero(tag) || !d.endpointAllowed(endpoint) || !onCurve(p256dh)) {
          d.log.info({ ...who, service: serviceOf(endpoint) }, 'web push registration refused (endpoint not allowed or bad key)');
          return 'refused';
        }
        const sub = { kind: 'webpush' as const, endpoint, p256dh: b64(p256dh), auth: b64(auth) };
        return this.#put(toHex(tag), sub, owner, now, who);
      }
      case MessageType.pushRegisterFcm: {
        const { tag, token } = m.body;
        if (isZero(tag) || !d.fcmEnabled) {
          d.log.info(who, 'FCM registration refused (FCM is not configured)');
          return 'refused';
        }
        return this.#put(toHex(tag), { kind: 'fcm', token }, owner, now, who);
      }
      case MessageType.pushUnregister: {
        const tag = toHex(m.body.tag);
        if (d.store.delete(tag)) d.limiter.forget(tag);
        this.#seen(owner, now);
        d.log.info({ ...who, tag_ref: ref(tag) }, 'unregistered');
        return 'unregistered';
      }
      default:
        if (HARMLESS.has(m.type)) {
          this.#seen(owner, now);
          return 'ignored';
        }
        d.log.info({ ...who, type: m.type }, 'a message a notifier does not take: removing the sender');
        return 'abuse';
    }
  }

  #put(tag: string, sub: Parameters<RegistrationStore['put']>[0]['sub'], owner: string, now: number, who: object): Verdict {
    const d = this.#d;
    for (const e of d.store.put({ tag, sub, owner, at: now })) {
      d.limiter.forget(e.tag);
      d.log.info({ tag_ref: ref(e.tag) }, 'registration forgotten to stay within the limits');
    }
    d.log.info({ ...who, tag_ref: ref(tag), kind: sub.kind }, 'registered');
    return 'registered';
  }

  #seen(owner: string, now: number): void {
    if (now - (this.#d.store.lastSeen(owner) ?? 0) >= SEEN_GRANULARITY_MS) this.#d.store.seen(owner, now);
  }
}

function isZero(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

/** RFC 8291 §3.1: p256dh must be an uncompressed point on P-256. */
function onCurve(p: Uint8Array): boolean {
  if (p.length !== WEBPUSH_P256DH_SIZE || p[0] !== 0x04) return false;
  try {
    const e = createECDH('prime256v1');
    e.generateKeys();
    e.computeSecret(p);
    return true;
  } catch {
    return false;
  }
}

function b64(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}
