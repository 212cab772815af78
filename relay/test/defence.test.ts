/**
 * Defence on a real relay and real sockets (toy protocol layer): each bad input closes only
 * its own connection, once, with the spec's close code; other clients are unaffected.
 */
import { connect } from 'node:net';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, FrameKind, MAX_FRAME_SIZE, MIN_FRAME_SIZE } from '@parley/generated';
import { ToyClient } from './helpers/toy-crypto.ts';
import { metric, sleep, testRelay, type TestRelay } from './helpers/relay.ts';

let relay: TestRelay | undefined;
const clients: ToyClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = undefined;
});
async function client(): Promise<ToyClient> {
  const c = await new ToyClient().connect(relay!.url);
  clients.push(c);
  return c;
}

/** Two bystanders that must keep talking whatever happens to others. */
async function bystanders(): Promise<() => Promise<void>> {
  const a = await client();
  const b = await client();
  return async () => {
    const before = b.peerFrames().length;
    a.sendPeer(b.id, 'still here');
    await b.waitFor((c) => c.peerFrames().length === before + 1);
    expect(a.ws.readyState).toBe(WebSocket.OPEN);
  };
}

describe('malformed and oversized input', () => {
  it.each([
    ['a text message', (c: ToyClient) => c.ws.send('hello')],
    ['a frame shorter than MIN_FRAME_SIZE', (c: ToyClient) => c.ws.send(Buffer.alloc(MIN_FRAME_SIZE - 1))],
    ['an unknown kind', (c: ToyClient) => c.sendPeer(c.id, 'x', 0x7f)],
    ['a handshake frame after the handshake', (c: ToyClient) => c.sendPeer(c.id, 'x', FrameKind.handshake)],
    ['a peer frame to id 0', (c: ToyClient) => c.sendPeer(new Uint8Array(8), 'x')],
    ['a control frame not to id 0', (c: ToyClient) => c.sendPeer(c.id, Uint8Array.of(4), FrameKind.control)],
    ['a control frame that does not open', (c: ToyClient) => c.sendControl(0xee)],
    ['a frame with the wrong route mask (replayed counter)', (c: ToyClient) => {
      const f = Buffer.alloc(MIN_FRAME_SIZE);
      f[32] = FrameKind.control;
      c.ws.send(f); // route not masked: unmasks to noise, not 0, for a control frame
    }],
  ])('%s closes with malformed_frame', async (_what, send) => {
    relay = await testRelay();
    const check = await bystanders();
    const bad = await client();
    send(bad);
    expect((await bad.closed).code).toBe(CloseCode.malformedFrame);
    await check();
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="malformed_frame"}')).toBe(1);
  });

  it('a frame above MAX_FRAME_SIZE closes with too_large', async () => {
    relay = await testRelay();
    const check = await bystanders();
    const bad = await client();
    bad.ws.send(Buffer.alloc(MAX_FRAME_SIZE + 1));
    expect((await bad.closed).code).toBe(CloseCode.tooLarge);
    await check();
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="too_large"}')).toBe(1);
  });
});

describe('flooding', () => {
  it('a connection that empties its frame bucket is closed with rate_limited', async () => {
    relay = await testRelay({ limits: { frameRate: 10, frameBurst: 20 } });
    const check = await bystanders();
    const flood = await client();
    const sink = await client();
    for (let i = 0; i < 100; i++) flood.sendPeer(sink.id, 'spam');
    expect((await flood.closed).code).toBe(CloseCode.rateLimited);
    expect(sink.peerFrames().length).toBeLessThanOrEqual(20);
    await check();
  });

  it('the byte bucket limits large frames too', async () => {
    relay = await testRelay({ limits: { byteRate: MAX_FRAME_SIZE, byteBurst: MAX_FRAME_SIZE * 2 } });
    const flood = await client();
    const sink = await client();
    for (let i = 0; i < 4; i++) flood.sendPeer(sink.id, new Uint8Array(MAX_FRAME_SIZE - MIN_FRAME_SIZE));
    expect((await flood.closed).code).toBe(CloseCode.rateLimited);
  });

  it('a slow reader is dropped (slow_reader) and counted; the sender is unaffected', async () => {
    relay = await testRelay({ limits: { sendBufferMaxBytes: 256 * 1024 } });
    const check = await bystanders();
    const sender = await client();
    const slow = await client();
    const socket = (slow.ws as unknown as { _socket: { pause(): void } })._socket;
    socket.pause(); // stops reading: the kernel buffers fill, then the relay's
    const chunk = new Uint8Array(32 * 1024);
    for (let i = 0; i < 400 && slow.ws.readyState === WebSocket.OPEN; i++) {
      sender.sendPeer(slow.id, chunk);
      if (i % 50 === 0) await sleep(10);
    }
    await expect.poll(() => metric(relay!, 'parley_relay_drops_total', '{reason="slow_reader"}'), { timeout: 10_000 }).toBe(1);
    expect(sender.ws.readyState).toBe(WebSocket.OPEN);
    await check();
  });
});

describe('connection caps and timeouts', () => {
  it('too many connections from one address: the extra one is refused at accept, before any byte', async () => {
    relay = await testRelay({ limits: { maxConnectionsPerAddress: 3 } });
    const ok = [await client(), await client(), await client()];
    const extra = new ToyClient();
    await extra.connect(relay.url);
    // Cut at accept: no HTTP answer, no close frame (ws reports 1006).
    expect((await extra.closed).code).toBe(1006);
    expect(extra.mailboxPending).toBe(-1);
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="too_many_connections"}')).toBe(1);
    // Another address is not affected.
    clients.push(await new ToyClient().connect(relay.url, { localAddress: '127.0.0.2' }));
    expect(clients.at(-1)!.mailboxPending).toBe(0);
    ok[0]!.sendPeer(ok[1]!.id, 'fine');
    await ok[1]!.waitFor((c) => c.peerFrames().length === 1);
    ok[2]!.close();
    await sleep(100);
    clients.push(await new ToyClient().connect(relay.url)); // a slot freed up
    expect(clients.at(-1)!.mailboxPending).toBe(0);
  });

  it('plain HTTP connections count against the per-address cap too', async () => {
    relay = await testRelay({ limits: { maxConnectionsPerAddress: 2 } });
    const silent = [connect(relay.port, '127.0.0.1'), connect(relay.port, '127.0.0.1')];
    for (const s of silent) s.on('error', () => {});
    await Promise.all(silent.map((s) => new Promise((r) => s.once('connect', r))));
    await sleep(50);
    const extra = new ToyClient();
    await extra.connect(relay.url);
    expect((await extra.closed).code).toBe(1006);
    for (const s of silent) s.destroy();
  });

  it('too many handshakes from one address per minute: too_many_connections', async () => {
    relay = await testRelay({ limits: { handshakesPerAddressPerMinute: 2 } });
    (await client()).close();
    (await client()).close();
    const third = new ToyClient();
    await third.connect(relay.url);
    expect((await third.closed).code).toBe(CloseCode.tooManyConnections);
  });

  it('no HELLO within the handshake timeout: idle_timeout', async () => {
    relay = await testRelay({ limits: { handshakeTimeoutMs: 200 } });
    const c = new ToyClient();
    await c.connect(relay.url, { hello: false });
    expect((await c.closed).code).toBe(CloseCode.idleTimeout);
    expect(await metric(relay, 'parley_relay_handshake_failures_total', '{reason="timeout"}')).toBe(1);
  });

  it('a bad HELLO, or anything sent before CHALLENGE is answered, is handshake_failed', async () => {
    relay = await testRelay();
    const ws = new WebSocket(relay.url);
    const code = await new Promise<number>((ok) => {
      ws.on('message', () => ws.send(Buffer.alloc(MIN_FRAME_SIZE)));
      ws.on('close', (c) => ok(c));
    });
    expect(code).toBe(CloseCode.handshakeFailed);
    const zero = new ToyClient(new Uint8Array(32));
    await zero.connect(relay.url);
    expect((await zero.closed).code).toBe(CloseCode.handshakeFailed);
  });

  it('a silent connection is closed with idle_timeout', async () => {
    relay = await testRelay({ limits: { pingIntervalMs: 100, idleTimeoutMs: 300 } });
    const c = await client();
    // Stop answering pings: pause the socket so no pong goes out.
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await expect.poll(() => metric(relay!, 'parley_relay_drops_total', '{reason="idle_timeout"}'), { timeout: 5000 }).toBe(1);
  });
});

describe('closes made by ws itself are counted under a named reason', () => {
  it('a fragment flood (ws closes 1008) closes with rate_limited and counts ws_too_many_parts', async () => {
    relay = await testRelay();
    const check = await bystanders();
    const bad = await client();
    // Continuation frames of one message, each a one-byte fragment: ws allows 16,384 parts.
    const first = Buffer.from([0x02, 0x81, 0, 0, 0, 0, 0x41]); // binary, not FIN, masked, 1 byte
    const cont = Buffer.from([0x00, 0x81, 0, 0, 0, 0, 0x41]); // continuation, not FIN
    const raw = (bad.ws as unknown as { _socket: { write(b: Buffer): void } })._socket;
    raw.write(first);
    raw.write(Buffer.concat(Array.from({ length: 17_000 }, () => cont)));
    expect((await bad.closed).code).toBe(CloseCode.rateLimited);
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="ws_too_many_parts"}')).toBe(1);
    await check();
  });

  it('a ping flood spends the frame bucket and closes with rate_limited', async () => {
    relay = await testRelay({ limits: { frameRate: 10, frameBurst: 20 } });
    const check = await bystanders();
    const bad = await client();
    for (let i = 0; i < 200; i++) bad.ws.ping();
    expect((await bad.closed).code).toBe(CloseCode.rateLimited);
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="rate_limited"}')).toBe(1);
    await check();
  });

  it('a socket cut without a close frame counts socket_aborted', async () => {
    relay = await testRelay();
    const c = await client();
    (c.ws as unknown as { _socket: { destroy(): void } })._socket.destroy();
    await expect.poll(() => metric(relay!, 'parley_relay_drops_total', '{reason="socket_aborted"}'), { timeout: 5000 }).toBe(1);
  });
});
