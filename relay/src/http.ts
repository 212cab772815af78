/**
 * The relay's HTTP side, on the WebSocket port: WELL_KNOWN_PATH (`/.well-known/parley.json`, the
 * relay's WebSocket URL and public keys), NOTIFIER_JSON_PATH (`/notifier.json`, the notifier's
 * document, when NOTIFIER_JSON is set), `/healthz`, and the built web app (WEB_ROOT) with strict
 * security headers and an SPA fallback to index.html. `/metrics` is never served here: its
 * counters would tell a stranger whether an id is online or has mail (spec/THREAT-MODEL.md), so
 * metrics have their own listener (`createMetricsHandler`, on METRICS_HOST:METRICS_PORT), and
 * the public port answers 404 at METRICS_PATH even when a web app would take the route.
 */
import { createReadStream, promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { isWellKnownError } from './runtime.ts';
import { NOTIFIER_JSON_PATH, WELL_KNOWN_PATH } from './wire.ts';
import type { Registry } from 'prom-client';

/** Headers on every HTTP response. The CSP allows the app's own origin and WebSockets only. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': [
    "default-src 'self'",
    "connect-src 'self' ws: wss:",
    "script-src 'self' 'wasm-unsafe-eval'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; '),
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Permissions-Policy': 'camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=()',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export interface WellKnown {
  /** Builds the document for one request (the URL may depend on its Host header). */
  (req: IncomingMessage): object;
}

export interface HttpOptions {
  webRoot: string | undefined;
  /** The notifier's published notifier.json (NOTIFIER_JSON), served at NOTIFIER_JSON_PATH. */
  notifierJson?: string | undefined;
  wellKnown: WellKnown;
  healthy: () => boolean;
}

/** Where the metrics listener serves Prometheus text; the public listener answers 404 here. */
export const METRICS_PATH = '/metrics';

/** spec strings.WELL_KNOWN_PATH and strings.NOTIFIER_JSON_PATH (re-exported for server.ts and tests). */
export { NOTIFIER_JSON_PATH, WELL_KNOWN_PATH };

export function createHttpHandler(opts: HttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const root = opts.webRoot !== undefined ? resolve(opts.webRoot) : undefined;
  return (req, res) => {
    handle(opts, root, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  };
}

async function handle(opts: HttpOptions, root: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://relay.invalid').pathname);
  } catch {
    return send(res, 400, 'text/plain; charset=utf-8', 'bad request\n');
  }
  if (path === WELL_KNOWN_PATH) {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'no-cache');
    let doc: object;
    try {
      doc = opts.wellKnown(req);
    } catch (err) {
      // Without PUBLIC_URL the document's URL comes from the Host header: one no client could
      // connect to (too long, spaces) is the request's fault, not the relay's.
      if (isWellKnownError(err, 'BAD_URL')) return send(res, 400, 'text/plain; charset=utf-8', 'bad request: the Host header makes no relay URL\n');
      throw err;
    }
    return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(doc, null, 2) + '\n', req.method);
  }
  if (path === NOTIFIER_JSON_PATH && opts.notifierJson !== undefined) {
    // Public (keys and an invite for push registrations); re-read each time: the notifier replaces it.
    const text = await fs.readFile(opts.notifierJson, 'utf8').catch(() => undefined);
    if (text === undefined) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'no-cache');
    return send(res, 200, 'application/json; charset=utf-8', text, req.method);
  }
  if (path === '/healthz') {
    res.setHeader('Cache-Control', 'no-store');
    const ok = opts.healthy();
    return send(res, ok ? 200 : 503, 'text/plain; charset=utf-8', ok ? 'ok\n' : 'shutting down\n', req.method);
  }
  if (path === METRICS_PATH) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  if (root === undefined || path.includes('\0')) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  return serveStatic(root, path, req, res);
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
};

/**
 * A whole HTTP/1.1 response, for the places that answer on the raw socket (an upgrade the
 * relay refuses, a request Node could not parse), with the same security headers as every
 * other response.
 */
export function rawResponse(status: number, body: string): string {
  const head = [`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`, 'Connection: close', 'Content-Type: text/plain; charset=utf-8', `Content-Length: ${Buffer.byteLength(body)}`];
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) head.push(`${k}: ${v}`);
  return head.join('\r\n') + '\r\n\r\n' + body;
}

/** The answer to a request Node's parser refused (its 'clientError'): 431, 408 or 400. */
export function clientErrorResponse(err: NodeJS.ErrnoException): string {
  if (err.code === 'HPE_HEADER_OVERFLOW') return rawResponse(431, 'request header fields too large\n');
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return rawResponse(408, 'request timeout\n');
  return rawResponse(400, 'bad request\n');
}

/** The metrics listener: METRICS_PATH and `/healthz`, nothing else (404). */
export function createMetricsHandler(metrics: Registry): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    res.setHeader('Cache-Control', 'no-store');
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    if (path === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n', req.method);
    if (path !== METRICS_PATH) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    metrics.metrics().then(
      (text) => send(res, 200, metrics.contentType, text, req.method),
      () => send(res, 500, 'text/plain; charset=utf-8', 'internal error\n'),
    );
  };
}

async function serveStatic(root: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let file = resolve(join(root, path));
  if (file !== root && !file.startsWith(root + sep)) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  let st = await fs.stat(file).catch(() => undefined);
  if (st?.isDirectory()) {
    file = join(file, 'index.html');
    st = await fs.stat(file).catch(() => undefined);
  }
  if (st === undefined || !st.isFile()) {
    // SPA fallback: a route without a file extension is the app's; a missing asset is a 404.
    if (extname(path) !== '') return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    file = join(root, 'index.html');
    st = await fs.stat(file).catch(() => undefined);
    if (st === undefined || !st.isFile()) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  }
  const ext = extname(file).toLowerCase();
  res.setHeader('Content-Type', MIME[ext] ?? 'application/octet-stream');
  res.setHeader('Content-Length', st.size);
  // Hashed build assets never change; everything else is revalidated.
  res.setHeader('Cache-Control', path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
  res.writeHead(200);
  if (req.method === 'HEAD') return void res.end();
  await new Promise<void>((ok, fail) => {
    const stream = createReadStream(file);
    stream.on('error', fail);
    res.on('close', () => {
      stream.destroy();
      ok();
    });
    stream.pipe(res);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string, method?: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(method === 'HEAD' ? undefined : body);
}
