/**
 * A loopback Web Push service (HTTP on 127.0.0.1, port 0) that behaves like a real one:
 * - `subscribe()` plays the browser: a fresh P-256 key pair and auth secret per subscription,
 *   an endpoint at this service;
 * - a push must carry `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292 §3): an ES256 JWT whose
 *   signature verifies with k (and k must be the expected VAPID key, when set), aud = this
 *   service's origin, exp in the future and at most 24 h ahead (§2), sub a mailto: or https: URL;
 * - `Content-Encoding: aes128gcm`, a TTL, and a valid Urgency and Topic (RFC 8030 §5);
 * - the body is decrypted with the subscription's private key by `http_ece`, an implementation
 *   independent of the notifier's test decryptor (ece-decrypt.ts);
 * - what arrived is recorded; a subscription can be told to answer 404 or 410.
 * Refusals answer 400/401/403 with the reason, and are recorded too.
 */
import { createECDH, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpEce as ece } from './http-ece.ts';

export interface TestSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  /** The "browser's" side, for tests that decrypt themselves. */
  secret: { ecdh: ECDH; auth: Buffer };
}

export interface ReceivedPush {
  subscription: string;
  status: number;
  /** Why it was refused (status 4xx from the checks), if it was. */
  refused?: string;
  headers: Record<string, string>;
  body: Buffer;
  plaintext?: Buffer;
  claims?: { aud: string; exp: number; sub: string };
}

export class LoopbackPushService {
  readonly received: ReceivedPush[] = [];
  /** The VAPID public key pushes must be signed with (base64url); unchecked when undefined. */
  expectedVapidKey: string | undefined;
  readonly #server: Server;
  readonly #subs = new Map<string, TestSubscription>();
  readonly #answers = new Map<string, number>();
  #waiters: (() => void)[] = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<LoopbackPushService> {
    const server = createServer();
    const svc = new LoopbackPushService(server);
    server.on('request', (req, res) => {
      void svc.#handle(req).then(({ status, text }) => {
        res.writeHead(status, { 'Content-Type': 'text/plain' }).end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return svc;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  subscribe(): TestSubscription {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    const id = randomBytes(16).toString('hex');
    const sub = { endpoint: `${this.origin}/push/${id}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') }, secret: { ecdh, auth } };
    this.#subs.set(id, sub);
    return sub;
  }

  /** From now on, pushes to this subscription are answered with `status` (404, 410...). */
  answer(sub: TestSubscription, status: number): void {
    this.#answers.set(idOf(sub.endpoint), status);
  }

  /** Accepted pushes (2xx) to one subscription, or to all. */
  delivered(sub?: TestSubscription): ReceivedPush[] {
    return this.received.filter((r) => r.status === 201 && (!sub || r.subscription === idOf(sub.endpoint)));
  }

  /** Resolves once `pred` holds (checked on every push), or rejects after timeoutMs. */
  async until(pred: () => boolean, timeoutMs = 10_000, what = 'pushes'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (received ${this.received.length})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage): Promise<{ status: number; text: string }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const id = idOf(req.url ?? '');
    const record: ReceivedPush = { subscription: id, status: 0, headers, body };
    const done = (status: number, refused?: string) => {
      record.status = status;
      if (refused) record.refused = refused;
      this.received.push(record);
      for (const w of this.#waiters.splice(0)) w();
      return { status, text: refused ?? '' };
    };
    const sub = this.#subs.get(id);
    if (req.method !== 'POST' || !sub) return done(404, 'no such subscription');
    const claims = this.#checkVapid(headers.authorization ?? '');
    if (typeof claims === 'string') return done(401, claims);
    record.claims = claims;
    if (headers['content-encoding'] !== 'aes128gcm') return done(400, 'Content-Encoding must be aes128gcm');
    if (!/^\d+$/.test(headers.ttl ?? '')) return done(400, 'TTL header missing');
    if (headers.urgency !== undefined && !['very-low', 'low', 'normal', 'high'].includes(headers.urgency)) return done(400, 'bad Urgency');
    if (headers.topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(headers.topic)) return done(400, 'bad Topic');
    try {
      record.plaintext = ece.decrypt(body, { version: 'aes128gcm', privateKey: sub.secret.ecdh, authSecret: sub.keys.auth });
    } catch (e) {
      return done(400, `does not decrypt: ${(e as Error).message}`);
    }
    const forced = this.#answers.get(id);
    if (forced !== undefined) return done(forced, undefined);
    return done(201);
  }

  /** RFC 8292 §3.1 header, §2 claims, ES256 (RFC 7518 §3.4: r ‖ s). Returns the claims or why not. */
  #checkVapid(auth: string): { aud: string; exp: number; sub: string } | string {
    const m = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(auth);
    if (!m) return 'Authorization is not "vapid t=..., k=..."';
    const [h, p, s] = m[1]!.split('.') as [string, string, string];
    const k = m[2]!;
    if (this.expectedVapidKey !== undefined && k !== this.expectedVapidKey) return 'unexpected VAPID key';
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string };
    if (header.alg !== 'ES256') return 'JWT alg is not ES256';
    const point = Buffer.from(k, 'base64url');
    if (point.length !== 65 || point[0] !== 4) return 'k is not an uncompressed P-256 point';
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' });
    if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) return 'JWT signature does not verify';
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { aud: string; exp: number; sub: string };
    const now = Math.floor(Date.now() / 1000);
    if (claims.aud !== this.origin) return `aud ${claims.aud} is not ${this.origin}`;
    if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) return 'exp is not within the next 24 hours';
    if (!/^(mailto:|https:)/.test(claims.sub ?? '')) return 'sub is not a mailto: or https: URL';
    return claims;
  }
}

function idOf(url: string): string {
  return /\/push\/([0-9a-f]+)$/.exec(url)?.[1] ?? '';
}
