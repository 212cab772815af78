/**
 * Harness for the call tests and the call bench: WebRTC on loopback only.
 *
 * Chromium gathers ICE candidates on every interface it sees; on a host with a real interface
 * a "loopback" call would send media to that interface's address. So Chromium and coturn run
 * in a network namespace of their own that has nothing but `lo` (unshare --net, then nsenter),
 * and the app reaches the relay on the host through a forwarder: TCP 127.0.0.1:<port> inside
 * the namespace → a Unix socket (file sockets cross namespaces) → a recording proxy → the relay
 * on the host's 127.0.0.1. The proxy keeps every WebSocket message it forwards, both ways, so a
 * test can look at exactly what the relay saw.
 *
 * Chromium flags: --allow-loopback-in-peer-connection (without it Chromium gathers no candidate
 * on lo: no host candidate, and no socket to reach a TURN server on 127.0.0.1 either); coturn
 * needs --allow-loopback-peers to relay between two loopback allocations. Needs root (unshare,
 * nsenter) and Debian's chromium and coturn (`apt-get install -y chromium coturn`).
 */
import { RESEND_INTERVAL_MS } from '@parley/generated';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { WebSocket, WebSocketServer } from 'ws';
import { startRelay, type RunningRelay } from '@parley/relay';
import { CHROMIUM, CHROMIUM_ARGS, DIST, openUser, type User } from './_harness.ts';

export const CALL_CHROMIUM_ARGS = ['--allow-loopback-in-peer-connection'];
const WAIT_MS = 10_000;
/** Helpers left behind by a test process that died stop by themselves after this long. */
const LIFETIME_S = 1800;

export interface Frame {
  dir: 'to-relay' | 'from-relay';
  bytes: Buffer;
}

export interface CallStack {
  relay: RunningRelay;
  browser: Browser;
  /** The app's address inside the namespace. */
  base: string;
  frames: Frame[];
  turn: { url: string; secret: string } | undefined;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = WAIT_MS): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', () => resolve(''));
    p.on('exit', () => resolve(out));
  });
}

/** Relay + recording proxy + a loopback-only namespace with coturn (if `turn`) and Chromium. */
export async function startCallStack(o: { turn: boolean }): Promise<CallStack> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set PARLEY_CHROMIUM)`);
  for (const bin of ['unshare', 'nsenter', 'ip', 'ss', ...(o.turn ? ['turnserver'] : [])]) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) throw new Error(`${bin} is missing: apt-get install -y coturn iproute2 util-linux`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'parley-calls-'));
  const procs: ChildProcess[] = [];
  const closers: (() => Promise<unknown> | void)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => undefined);
    for (const p of procs) p.kill('SIGTERM'); // timeout(1) passes TERM on to coturn
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // The namespace lives as long as this sleeping holder (and what runs in it).
    const holder = spawn('unshare', ['--net', 'sh', '-c', `ip link set lo up && exec sleep ${LIFETIME_S}`], { stdio: 'ignore' });
    procs.push(holder);
    const ns = `--net=/proc/${holder.pid}/ns/net`;
    await until('the network namespace', async () => ((await run('nsenter', [ns, 'ip', '-o', 'link', 'show', 'lo'])).includes('LOWER_UP') ? true : undefined));

    let turn: CallStack['turn'];
    if (o.turn) {
      const port = 20_000 + Math.floor(Math.random() * 20_000); // the namespace is empty: no clash
      const secret = randomBytes(24).toString('base64url');
      const args = ['-p', String(port), '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm', 'parley', '--listening-ip', '127.0.0.1', '--relay-ip', '127.0.0.1'];
      args.push('--no-cli', '--no-tls', '--no-dtls', '--allow-loopback-peers', '--no-stdout-log', '--log-file', join(dir, 'turn.log'), '--pidfile', join(dir, 'turn.pid'));
      procs.push(spawn('nsenter', [ns, 'timeout', String(LIFETIME_S), 'turnserver', ...args], { stdio: 'ignore' }));
      await until('coturn', async () => ((await run('nsenter', [ns, 'ss', '-Hlun', `sport = :${port}`])).includes(`:${port}`) ? true : undefined));
      turn = { url: `turn:127.0.0.1:${port}?transport=udp`, secret };
    }

    const relay = await startRelay({
      port: 0,
      host: '127.0.0.1',
      webRoot: DIST,
      logLevel: 'silent',
      limits: { shutdownRetryAfterMs: 0 },
      ...(turn ? { turn: { secret: turn.secret, turnUrls: [turn.url], stunUrls: [] } } : {}),
    });
    closers.push(() => relay.close());

    const frames: Frame[] = [];
    const sock = join(dir, 'relay.sock');
    const proxy = recordingProxy(relay.port, frames);
    await new Promise<void>((r) => proxy.listen(sock, r));
    closers.push(() => new Promise((r) => proxy.close(r)));
    const fwd = spawn('nsenter', [ns, process.execPath, '-e', FORWARDER, '--', sock], { stdio: ['pipe', 'pipe', 'ignore'] });
    procs.push(fwd);
    const innerPort = await new Promise<number>((resolve, reject) => {
      fwd.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
      fwd.once('exit', () => reject(new Error('the forwarder exited')));
      setTimeout(() => reject(new Error('the forwarder did not start')), WAIT_MS).unref();
    });

    const wrapper = join(dir, 'chromium');
    writeFileSync(wrapper, `#!/bin/sh\nexec nsenter ${ns} ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const browser = await chromium.launch({ executablePath: wrapper, args: [...CHROMIUM_ARGS, ...CALL_CHROMIUM_ARGS], timeout: 30_000 });
    closers.push(() => browser.close());
    return { relay, browser, base: `http://127.0.0.1:${innerPort}`, frames, turn, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Inside the namespace: TCP on 127.0.0.1 (port printed) → the Unix socket given as argument. */
const FORWARDER = `
const net = require('node:net');
const path = process.argv.at(-1);
const srv = net.createServer((c) => {
  const u = net.connect(path);
  c.pipe(u); u.pipe(c);
  const end = () => { c.destroy(); u.destroy(); };
  c.on('error', end); u.on('error', end); c.on('close', end); u.on('close', end);
});
srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));
process.stdin.on('close', () => process.exit(0)); // the test process is gone
process.stdin.resume();
`;

/** HTTP passes through; WebSockets are proxied message by message and recorded. */
function recordingProxy(relayPort: number, frames: Frame[]): Server {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 << 20 });
  const server = createServer((req, res) => {
    const up = request({ host: '127.0.0.1', port: relayPort, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (client) => {
      const upstream = new WebSocket(`ws://127.0.0.1:${relayPort}${req.url ?? '/'}`, { headers: { host: req.headers.host ?? '' }, perMessageDeflate: false, maxPayload: 16 << 20 });
      const early: { data: Buffer; binary: boolean }[] = [];
      client.on('message', (data: Buffer, binary) => {
        frames.push({ dir: 'to-relay', bytes: Buffer.from(data) });
        if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
        else early.push({ data, binary });
      });
      upstream.on('open', () => early.splice(0).forEach((m) => upstream.send(m.data, { binary: m.binary })));
      upstream.on('message', (data: Buffer, binary) => {
        frames.push({ dir: 'from-relay', bytes: Buffer.from(data) });
        if (client.readyState === WebSocket.OPEN) client.send(data, { binary });
      });
      const pass = (to: WebSocket) => (code: number, reason: Buffer) => {
        if (to.readyState !== WebSocket.OPEN && to.readyState !== WebSocket.CONNECTING) return;
        if (code >= 1000 && code < 5000 && code !== 1005 && code !== 1006) to.close(code, reason);
        else to.terminate();
      };
      client.on('close', pass(upstream));
      upstream.on('close', pass(client));
      client.on('error', () => upstream.terminate());
      upstream.on('error', () => client.terminate());
    });
  });
  return server;
}

/**
 * A person in the namespace. Chromium reports navigator.onLine = false when no link but lo is
 * up, and the app would then keep its socket closed, so the page is told it is online
 * (setNetwork below changes that).
 */
export async function openCallUser(stack: CallStack, name: string, viewport?: { width: number; height: number }): Promise<User> {
  const u = await openUser(stack.browser, stack.base, name, viewport);
  // A string, not a function: tsx (the bench) would wrap a function's parts in its __name helper.
  await u.context.addInitScript({ content: "Object.defineProperty(Navigator.prototype, 'onLine', { get() { return globalThis.parleyTestOnline ?? true; }, configurable: true });" });
  await u.context.grantPermissions(['camera', 'microphone']);
  return u;
}

/**
 * Takes a person off the network or back: the context's offline emulation, and the page's own
 * 'offline'/'online' event (Chromium fires none in the namespace, where it was never online).
 */
export async function setNetwork(u: User, online: boolean): Promise<void> {
  await u.context.setOffline(!online);
  await u.page.evaluate((v) => {
    (globalThis as { parleyTestOnline?: boolean }).parleyTestOnline = v;
    window.dispatchEvent(new Event(v ? 'online' : 'offline'));
  }, online);
}

/** `a` invites `b` by link; `b` sends the request; `a` accepts it. */
export async function befriend(a: User, b: User): Promise<void> {
  await a.page.goto('/add');
  await a.page.getByTestId('create-invite').click();
  const link = await a.page.getByTestId('invite-link').inputValue();
  await b.page.goto(link);
  await b.page.getByTestId('send-request').click();
  await b.page.getByTestId('awaiting-accept').waitFor();
  await a.page.goto('/requests');
  // A request that reached a's page while it was navigating is only resent after
  // RESEND_INTERVAL_MS (nothing is lost): wait past one resend, not the 15 s default.
  await a.page.getByTestId('requests').getByText(b.name).waitFor({ timeout: RESEND_INTERVAL_MS + 15_000 });
  await a.page.getByTestId('accept').click();
  await a.page.getByTestId('messages').waitFor();
  await b.page.getByTestId('awaiting-accept').waitFor({ state: 'detached' });
}

/** Opens the conversation with `name` from the list. */
export async function openChat(u: User, name: string): Promise<void> {
  await u.page.getByTestId('conversation-item').filter({ hasText: name }).first().click();
  await u.page.getByTestId('messages').waitFor();
}

export interface InboundStats {
  [peer: string]: { bytes: number; audio: number; video: number; localType?: string; remoteType?: string; rttMs?: number };
}

/** Inbound RTP bytes per other participant, from the app's debug hook (getStats). */
export function inbound(u: User): Promise<InboundStats> {
  return u.page.evaluate(async () => {
    const d = (window as unknown as { parleyCallDebug: { stats(): Promise<Record<string, { bytesReceived: number; audioBytes: number; videoBytes: number; localType?: string; remoteType?: string; rttMs?: number }>> } }).parleyCallDebug;
    const s = await d.stats();
    return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, { bytes: v.bytesReceived, audio: v.audioBytes, video: v.videoBytes, localType: v.localType, remoteType: v.remoteType, rttMs: v.rttMs }]));
  });
}

/** Waits until `u` receives audio and video from `peers` others, and the counts grow. */
export async function mediaFlows(u: User, peers: number, ms = 20_000): Promise<InboundStats> {
  const first = await until(`${u.name}: media from ${peers}`, async () => {
    const s = await inbound(u);
    const live = Object.values(s).filter((v) => v.audio > 0 && v.video > 0);
    return live.length >= peers ? s : undefined;
  }, ms);
  return until(`${u.name}: growing media`, async () => {
    const s = await inbound(u);
    return Object.keys(first).every((k) => (s[k]?.bytes ?? 0) > first[k]!.bytes) ? s : undefined;
  }, ms);
}

export function callPhase(u: User): Promise<string | undefined> {
  return u.page.evaluate(() => (window as unknown as { parleyCallDebug: { state(): { phase?: string } } }).parleyCallDebug.state().phase);
}

export { until };
