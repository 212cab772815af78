/**
 * A loopback FCM (HTTP v1) with its OAuth token endpoint, on 127.0.0.1, port 0:
 * - `POST /token` takes `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and an
 *   RS256 assertion that must verify with the service account's public key and carry
 *   iss = client_email, scope = firebase.messaging, aud = this token URL, iat ≤ now < exp,
 *   exp - iat ≤ 3600 (RFC 7523 §3); it answers an access token valid for `tokenLifetimeS`.
 * - `POST /v1/projects/<project>/messages:send` needs `Bearer <a token it issued, unexpired>`
 *   and checks the message shape: only `token`, `data` (only FCM_PAYLOAD_KEY, `p`), `android`; no notification.
 * - `serviceAccount()` makes a key pair and writes a service-account JSON file.
 */
import { FCM_PAYLOAD_KEY } from '@parley/generated';
import { generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const PROJECT = 'parley-test';
const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

export interface FcmMessage {
  token: string;
  data: Record<string, string>;
  android?: { priority?: string; ttl?: string; collapse_key?: string };
  [k: string]: unknown;
}

export class LoopbackFcm {
  readonly messages: FcmMessage[] = [];
  readonly refusals: string[] = [];
  tokenRequests = 0;
  tokenLifetimeS = 3600;
  /** Tokens answered with 404 UNREGISTERED. */
  readonly unregistered = new Set<string>();
  readonly #server: Server;
  readonly #keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  readonly #issued = new Map<string, number>();
  readonly email = 'notifier@parley-test.iam.gserviceaccount.com';

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<LoopbackFcm> {
    const server = createServer();
    const svc = new LoopbackFcm(server);
    server.on('request', (req, res) => {
      void svc.#handle(req).then(({ status, json }) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(json)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return svc;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  get tokenUri(): string {
    return `${this.origin}/token`;
  }

  get endpoint(): string {
    return `${this.origin}/v1/projects/{project}/messages:send`;
  }

  /** Writes a service-account JSON whose key this service trusts; returns its path. */
  async serviceAccount(dir: string, o: { tokenUri?: string; key?: KeyObject } = {}): Promise<string> {
    const path = join(dir, 'service-account.json');
    const pem = (o.key ?? this.#keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string;
    await writeFile(path, JSON.stringify({ type: 'service_account', project_id: PROJECT, private_key_id: 'k1', private_key: pem, client_email: this.email, token_uri: o.tokenUri ?? this.tokenUri }), { mode: 0o600 });
    return path;
  }

  /** Forgets every issued access token (as if they expired server-side). */
  revokeTokens(): void {
    this.#issued.clear();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage): Promise<{ status: number; json: unknown }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString();
    const refuse = (status: number, why: string, extra: object = {}) => {
      this.refusals.push(why);
      return { status, json: { error: { code: status, message: why, ...extra } } };
    };
    if (req.method === 'POST' && req.url === '/token') {
      this.tokenRequests++;
      const form = new URLSearchParams(body);
      if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return refuse(400, 'token request is not a form');
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return refuse(400, 'unsupported grant_type');
      const why = this.#checkAssertion(form.get('assertion') ?? '');
      if (why) return refuse(400, why);
      const token = randomBytes(24).toString('base64url');
      this.#issued.set(token, Date.now() + this.tokenLifetimeS * 1000);
      return { status: 200, json: { access_token: token, expires_in: this.tokenLifetimeS, token_type: 'Bearer' } };
    }
    const m = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return refuse(404, 'not found');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !((this.#issued.get(bearer) ?? 0) > Date.now())) return refuse(401, 'invalid or expired access token', { status: 'UNAUTHENTICATED' });
    if (m[1] !== PROJECT) return refuse(403, 'wrong project');
    const msg = (JSON.parse(body) as { message?: FcmMessage }).message;
    if (!msg || typeof msg.token !== 'string') return refuse(400, 'no message.token');
    const keys = Object.keys(msg).sort().join(',');
    if (keys !== 'android,data,token' && keys !== 'data,token') return refuse(400, `unexpected message fields ${keys}`);
    if (typeof msg.data !== 'object' || Object.keys(msg.data).join(',') !== FCM_PAYLOAD_KEY || typeof msg.data[FCM_PAYLOAD_KEY] !== 'string') return refuse(400, `data must hold only ${FCM_PAYLOAD_KEY}`);
    if (this.unregistered.has(msg.token)) return refuse(404, 'Requested entity was not found.', { status: 'NOT_FOUND', details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }] });
    this.messages.push(msg);
    return { status: 200, json: { name: `projects/${PROJECT}/messages/${randomBytes(8).toString('hex')}` } };
  }

  #checkAssertion(jwt: string): string | undefined {
    const parts = jwt.split('.');
    if (parts.length !== 3) return 'assertion is not a JWT';
    const [h, p, s] = parts as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string; typ?: string };
    if (header.alg !== 'RS256') return 'assertion alg is not RS256';
    if (!verify('sha256', Buffer.from(`${h}.${p}`), this.#keys.publicKey, Buffer.from(s, 'base64url'))) return 'assertion signature does not verify';
    const c = JSON.parse(Buffer.from(p, 'base64url').toString()) as { iss?: string; scope?: string; aud?: string; iat?: number; exp?: number };
    const now = Math.floor(Date.now() / 1000);
    if (c.iss !== this.email) return 'iss is not the service account';
    if (c.scope !== SCOPE) return 'scope is not firebase.messaging';
    if (c.aud !== this.tokenUri) return 'aud is not the token endpoint';
    if (typeof c.iat !== 'number' || typeof c.exp !== 'number' || c.iat > now + 60 || c.exp <= now || c.exp - c.iat > 3600) return 'iat/exp out of range';
    return undefined;
  }
}
