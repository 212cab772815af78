/** The HTTP side: well-known document, health, metrics, static web app with strict headers. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { loadConfig } from '../src/config.ts';
import { SECURITY_HEADERS } from '../src/http.ts';
import { relayFingerprint } from '../src/keys.ts';
import { testRelay, type TestRelay } from './helpers/relay.ts';

let relay: TestRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

function webRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Parley</title>');
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  return dir;
}

describe('HTTP', () => {
  it('publishes the WebSocket URL and the public keys at /.well-known/parley.json', async () => {
    relay = await testRelay();
    const res = await fetch(`${relay.httpUrl}/.well-known/parley.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc).toEqual({
      protocol: 'parley',
      versions: [1],
      url: `ws://127.0.0.1:${relay.port}/`,
      endpoints: [`ws://127.0.0.1:${relay.port}/`],
      relay_x: Buffer.from(relay.publicKeys.x).toString('hex'),
      relay_ed: Buffer.from(relay.publicKeys.ed).toString('hex'),
      fingerprint: relayFingerprint(relay.publicKeys.x, relay.publicKeys.ed),
    });
  });

  it('answers 400, not 500, when the Host header makes no relay URL', async () => {
    relay = await testRelay();
    const asked = (host: string) =>
      new Promise<string>((ok, fail) => {
        const s = connect(relay!.port, '127.0.0.1', () => s.end(`GET /.well-known/parley.json HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
        let got = '';
        s.on('data', (d) => (got += d.toString('latin1')));
        s.on('close', () => ok(got));
        s.on('error', fail);
      });
    for (const host of ['h'.repeat(300), 'a b']) {
      const answer = await asked(host);
      expect(answer.slice(0, 40)).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain('the Host header makes no relay URL');
    }
    expect((await asked(`127.0.0.1:${relay.port}`)).slice(0, 40)).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('uses PUBLIC_URL when set', async () => {
    relay = await testRelay({ publicUrl: 'wss://relay.example/' });
    const doc = (await (await fetch(`${relay.httpUrl}/.well-known/parley.json`)).json()) as { url: string };
    expect(doc.url).toBe('wss://relay.example/');
  });

  it('lists the nodes of RELAY_ENDPOINTS as the endpoints, the public URL otherwise', async () => {
    relay = await testRelay({ publicUrl: 'wss://relay.example/' });
    expect(((await (await fetch(`${relay.httpUrl}/.well-known/parley.json`)).json()) as { endpoints: string[] }).endpoints).toEqual(['wss://relay.example/']);
    await relay.close();
    const config = loadConfig({ PUBLIC_URL: 'wss://relay.example/', RELAY_ENDPOINTS: 'wss://a.relay.example/, wss://b.relay.example:8443/' });
    relay = await testRelay({ publicUrl: config.publicUrl, endpoints: config.endpoints });
    expect(((await (await fetch(`${relay.httpUrl}/.well-known/parley.json`)).json()) as { endpoints: string[] }).endpoints).toEqual(['wss://a.relay.example/', 'wss://b.relay.example:8443/']);
  });

  it('serves NOTIFIER_JSON at /notifier.json, re-read on each request, 404 while missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-notifier-json-'));
    const file = join(dir, 'notifier.json');
    relay = await testRelay({ notifierJson: file });
    expect((await fetch(`${relay.httpUrl}/notifier.json`)).status).toBe(404);
    writeFileSync(file, '{"format":"parley-notifier","version":1}\n');
    const res = await fetch(`${relay.httpUrl}/notifier.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toEqual({ format: 'parley-notifier', version: 1 });
    writeFileSync(file, '{"version":2}\n');
    expect(await (await fetch(`${relay.httpUrl}/notifier.json`)).json()).toEqual({ version: 2 });
  });

  it('answers /healthz; metrics only on the metrics listener, 404 on the public port', async () => {
    relay = await testRelay({ webRoot: webRoot() });
    expect(await (await fetch(`${relay.httpUrl}/healthz`)).text()).toBe('ok\n');
    // The public port: 404, not the SPA fallback, not metrics.
    const pub = await fetch(`${relay.httpUrl}/metrics`);
    expect(pub.status).toBe(404);
    expect(await pub.text()).not.toContain('parley_relay_');
    expect(new URL(relay.metricsUrl).port).not.toBe(String(relay.port));
    expect(new URL(relay.metricsUrl).hostname).toBe('127.0.0.1');
    expect((await fetch(new URL('/', relay.metricsUrl))).status).toBe(404);
    const res = await fetch(relay.metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const m = await res.text();
    for (const name of [
      'parley_relay_connections',
      'parley_relay_frames_forwarded_total',
      'parley_relay_bytes_forwarded_total',
      'parley_relay_drops_total',
      'parley_relay_mailbox_frames',
      'parley_relay_mailbox_bytes',
      'parley_relay_handshake_failures_total',
    ]) {
      expect(m).toContain(`# TYPE ${name} `);
    }
  });

  it("Node's own 400 and 431 answers and a refused upgrade carry the security headers", async () => {
    relay = await testRelay();
    const raw = (text: string) =>
      new Promise<string>((ok, fail) => {
        const s = connect(relay!.port, '127.0.0.1', () => s.end(text));
        let got = '';
        s.on('data', (d) => (got += d.toString('latin1')));
        s.on('close', () => ok(got));
        s.on('error', fail);
      });
    const cases: [string, number][] = [
      ['GARBAGE\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'a'.repeat(20_000) + '\r\n\r\n', 431],
      ['GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n', 400],
    ];
    for (const [request, status] of cases) {
      const answer = await raw(request);
      expect(answer.startsWith(`HTTP/1.1 ${status} `), answer.slice(0, 40)).toBe(true);
      const head = answer.slice(0, answer.indexOf('\r\n\r\n')).toLowerCase();
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) expect(head).toContain(`${k.toLowerCase()}: ${v.toLowerCase()}`);
    }
  });

  it('serves the web app with strict security headers and an SPA fallback', async () => {
    relay = await testRelay({ webRoot: webRoot() });
    const index = await fetch(`${relay.httpUrl}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>Parley</title>');
    const h = index.headers;
    expect(h.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(h.get('content-security-policy')).toMatch(/connect-src 'self' ws: wss:/);
    expect(h.get('referrer-policy')).toBe('no-referrer');
    expect(h.get('x-content-type-options')).toBe('nosniff');
    expect(h.get('x-frame-options')).toBe('DENY');
    expect(h.get('permissions-policy')).toMatch(/camera=\(self\), microphone=\(self\)/);
    const route = await fetch(`${relay.httpUrl}/chats/someone`);
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<title>Parley</title>');
    const js = await fetch(`${relay.httpUrl}/assets/app.js`);
    expect(js.headers.get('content-type')).toMatch(/text\/javascript/);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    expect((await fetch(`${relay.httpUrl}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${relay.httpUrl}/..%2f..%2fetc%2fpasswd`)).status).not.toBe(200);
    expect((await fetch(`${relay.httpUrl}/`, { method: 'POST' })).status).toBe(405);
  });

  it('without a web app, other paths are 404 (with the same headers)', async () => {
    relay = await testRelay();
    const res = await fetch(`${relay.httpUrl}/`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });
});
