/**
 * Issue 15, part 4: silent TCP sockets must not exhaust the relay's descriptors. A real relay
 * runs as a child process under `prlimit --nofile=256:256`; an attacker opens more silent
 * sockets than that from one loopback address (and then from many), and a client from another
 * address must still complete a session and exchange a frame, and /healthz must answer.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RealClient } from './helpers/real-client.ts';
import { spawnRelay, type RelayChild } from './helpers/relay-process.ts';
import { sleep } from './helpers/relay.ts';

const NOFILE = 256;
let relay: RelayChild | undefined;
const sockets: Socket[] = [];
const clients: RealClient[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of clients.splice(0)) c.close();
  await relay?.stop();
  relay = undefined;
});

/** Opens `n` TCP connections from `localAddress` that never send a byte; resolves once each connected or failed. */
async function silentSockets(port: number, localAddress: string, n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<void>((ok) => {
        const s = connect({ port, host: '127.0.0.1', localAddress });
        sockets.push(s);
        s.on('connect', () => ok());
        s.on('error', () => ok());
        s.on('close', () => ok());
      }),
    ),
  );
}

/** A real session from `localAddress`: handshake, then a frame to a second client from yet another address. */
async function sessionWorks(r: RelayChild, from: string, to: string): Promise<void> {
  const a = await RealClient.create(r.keys);
  const b = await RealClient.create(r.keys);
  clients.push(a, b);
  await a.connect(r.url, { localAddress: from });
  await b.connect(r.url, { localAddress: to });
  expect(a.mailboxPending).toBe(0);
  expect(b.mailboxPending).toBe(0);
  await a.sendText({ x: b.identity.x, ed: b.identity.ed }, 'through the flood');
  await b.waitFor(() => b.peerFrames().length === 1, 10_000);
  expect(await b.open(b.peerFrames()[0]!, [{ x: a.identity.x, ed: a.identity.ed }])).toBe('through the flood');
}

async function healthz(r: RelayChild, localAddress: string): Promise<string> {
  return new Promise((ok, fail) => {
    const s = connect({ port: r.port, host: '127.0.0.1', localAddress }, () => s.end('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('close', () => ok(got));
    s.on('error', fail);
  });
}

describe(`descriptor exhaustion under --nofile=${NOFILE}`, () => {
  it('more silent sockets from one address than the process has descriptors never block a session from another', { timeout: 60_000 }, async () => {
    relay = await spawnRelay({ nofile: NOFILE });
    await silentSockets(relay.port, '127.0.0.2', NOFILE + 100);
    await sleep(200);
    expect(await healthz(relay, '127.0.0.4')).toMatch(/^HTTP\/1\.1 200 [\s\S]*\r\n\r\nok\n$/);
    await sessionWorks(relay, '127.0.0.3', '127.0.0.5');
    expect(relay.child.exitCode).toBeNull();
  });

  it('silent sockets from many addresses fill at most the pending slots; new clients still get in', { timeout: 60_000 }, async () => {
    relay = await spawnRelay({ nofile: NOFILE, args: ['--max-pending-connections', '64'] });
    for (let i = 0; i < 8; i++) await silentSockets(relay.port, `127.0.1.${i + 1}`, 60);
    await sleep(200);
    expect(await healthz(relay, '127.0.0.4')).toMatch(/\r\n\r\nok\n$/);
    await sessionWorks(relay, '127.0.0.3', '127.0.0.5');
  });

  it('a socket that sends nothing is closed after PENDING_TIMEOUT_MS; one that sends half a request, or half a second one after a complete one, too', { timeout: 30_000 }, async () => {
    relay = await spawnRelay({ args: ['--pending-timeout-ms', '300'] });
    const closedAfter = (send: string) =>
      new Promise<number>((ok) => {
        const t0 = Date.now();
        const s = connect({ port: relay!.port, host: '127.0.0.1' }, () => {
          if (send !== '') s.write(send);
        });
        sockets.push(s);
        s.resume(); // read the answers, or the end (and 'close') would wait behind them
        s.on('error', () => {});
        s.on('close', () => ok(Date.now() - t0));
      });
    const complete = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
    const times = await Promise.all([
      closedAfter(''),
      closedAfter('GET / HTTP/1.1\r\nHost: x\r\n'),
      // Kept alive after a complete request: waiting for the next one is pending again.
      closedAfter(complete),
      closedAfter(complete + 'GET / HTTP/1.1\r\nHost: x\r\n'),
    ]);
    for (const ms of times) {
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(3000);
    }
    // A session is not pending once upgraded: it outlives the timeout.
    const c = await RealClient.create(relay.keys);
    clients.push(c);
    await c.connect(relay.url);
    await sleep(800);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
  });
});
