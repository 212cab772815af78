/**
 * End to end with the real protocol (runtime handshake, sessions, peer frames) against a real
 * relay on 127.0.0.1: chat both ways, mailbox, restart, replayed and forged HELLOs, re-addressed
 * and reflected frames, control frames, and logs without plaintext or keys.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, ControlType, RelayError, decodeFrame } from '@parley/generated';
import { generateIdentity, isOpenError } from '@parley/runtime/protocol';
import { startRelay, type RunningRelay } from '../src/index.ts';
import { RealClient, backend } from './helpers/real-client.ts';

const relays: RunningRelay[] = [];
const clients: RealClient[] = [];
let logs: string[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const r of relays.splice(0)) await r.close();
});

async function relay(opts: Parameters<typeof startRelay>[0] = {}): Promise<RunningRelay> {
  logs = [];
  const dest = new Writable({
    write(chunk: Buffer, _e, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const r = await startRelay({ logLevel: 'trace', logDestination: dest, webRoot: '/nonexistent', ...opts });
  relays.push(r);
  return r;
}
const pin = (r: RunningRelay) => ({ x: r.publicKeys.x, ed: r.publicKeys.ed });
async function client(r: RunningRelay, identity?: RealClient['identity']): Promise<RealClient> {
  const c = await (await RealClient.create(pin(r), identity)).connect(r.url);
  clients.push(c);
  return c;
}
const keysOf = (c: RealClient) => ({ x: c.identity.x, ed: c.identity.ed });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('end to end', () => {
  it('A and B chat both ways; the logs hold no plaintext and no key', async () => {
    const r = await relay();
    const a = await client(r);
    const b = await client(r);
    await a.sendText(keysOf(b), 'the eagle lands at dawn');
    await b.sendText(keysOf(a), 'copy that, eagle');
    await a.sendText(keysOf(b), 'over and out');
    await b.waitFor(() => b.peerFrames().length === 2);
    await a.waitFor(() => a.peerFrames().length === 1);
    expect(await Promise.all(b.peerFrames().map((f) => b.open(f, [keysOf(a)])))).toEqual(['the eagle lands at dawn', 'over and out']);
    expect(await a.open(a.peerFrames()[0]!, [keysOf(b)])).toBe('copy that, eagle');
    expect(b.peerFrames().every((f) => hex(f.from) === hex(a.identity.id))).toBe(true);
    const all = logs.join('');
    expect(all.length).toBeGreaterThan(0);
    for (const secret of ['eagle', 'copy that']) expect(all).not.toContain(secret);
    for (const c of [a, b]) {
      for (const k of [c.identity.x, c.identity.ed, c.identity.id, c.identity.seed]) expect(all).not.toContain(hex(k));
    }
    expect(all).not.toContain(hex(r.publicKeys.x));
  });

  it('B offline, then online: gets A frames in order, then MAILBOX_DRAINED', async () => {
    const r = await relay();
    const a = await client(r);
    const bId = await generateIdentity(await backend());
    const bKeys = { x: bId.x, ed: bId.ed };
    for (let i = 0; i < 5; i++) await a.sendText(bKeys, `queued ${i}`);
    await new Promise((ok) => setTimeout(ok, 100));
    const b = await client(r, bId);
    expect(b.mailboxPending).toBe(5);
    await b.waitFor(() => b.controls(ControlType.mailboxDrained).length === 1);
    expect(await Promise.all(b.peerFrames().map((f) => b.open(f, [keysOf(a)])))).toEqual([0, 1, 2, 3, 4].map((i) => `queued ${i}`));
    expect(b.controls(ControlType.mailboxDrained)[0]!.body).toEqual({ delivered: 5 });
  });

  it('after a relay restart (same key, same port) both reconnect and the conversation goes on', async () => {
    const { randomBytes } = await import('node:crypto');
    const seed = new Uint8Array(randomBytes(32));
    const r1 = await relay({ seed });
    const a = await client(r1);
    const b = await client(r1);
    await a.sendText(keysOf(b), 'before');
    await b.waitFor(() => b.peerFrames().length === 1);
    const port = r1.port;
    await r1.close();
    relays.splice(relays.indexOf(r1), 1);
    expect(await a.closed).toBe(CloseCode.shuttingDown);
    expect(a.controls(ControlType.shutdown)).toHaveLength(1);
    const r2 = await relay({ seed, port });
    expect(hex(r2.publicKeys.x)).toBe(hex(r1.publicKeys.x));
    const a2 = await client(r2, a.identity);
    await a2.sendText(keysOf(b), 'after');
    const b2 = await client(r2, b.identity);
    await b2.waitFor(() => b2.peerFrames().length === 1);
    expect(await b2.open(b2.peerFrames()[0]!, [keysOf(a)])).toBe('after');
  });

  it('a replayed HELLO is refused (handshake_failed), within the same challenge epoch too', async () => {
    const r = await relay();
    const a = await client(r);
    const hello = a.sent[0]!;
    const replay = await RealClient.create(pin(r), a.identity);
    await replay.connect(r.url, { hello });
    expect(await replay.closed).toBe(CloseCode.handshakeFailed);
    // Both connections got the epoch's E_R and signature; only the nonce (hence th0) differs.
    const [c1, c2] = [decodeFrame(a.challenges[0]!), decodeFrame(replay.challenges[0]!)];
    expect(hex(c1.payload)).toBe(hex(c2.payload));
    expect(hex(c1.sig)).toBe(hex(c2.sig));
    expect(hex(c1.nonce)).not.toBe(hex(c2.nonce));
    expect(a.ws.readyState).toBe(a.ws.OPEN); // the real session is untouched
  });

  it("a HELLO presenting an X25519 key the client does not hold is refused", async () => {
    const r = await relay();
    const victim = await client(r);
    const mallory = await generateIdentity(await backend());
    // Mallory claims the victim's X25519 key (and her own Ed25519 key) without its secret.
    const forged = { ...mallory, x: victim.identity.x, id: victim.identity.id };
    const m = await RealClient.create(pin(r), mallory);
    await m.connect(r.url, { identity: forged });
    expect(await m.closed).toBe(CloseCode.handshakeFailed);
    expect(victim.ws.readyState).toBe(victim.ws.OPEN);
  });

  it('a client that pins other relay keys refuses the relay, and the relay times it out', async () => {
    const r = await relay({ limits: { handshakeTimeoutMs: 300 } });
    const other = await generateIdentity(await backend());
    const c = await RealClient.create({ x: other.x, ed: other.ed });
    await expect(c.connect(r.url)).rejects.toThrow(/BAD_RELAY/);
    expect(await c.closed).toBe(CloseCode.idleTimeout);
  });

  it('re-addressed and reflected frames are forwarded, and their receivers reject them', async () => {
    const r = await relay();
    const a = await client(r);
    const b = await client(r);
    const c = await client(r);
    const sealed = await a.sendText(keysOf(b), 'for b only');
    await b.waitFor(() => b.peerFrames().length === 1);
    // Reflected: A's frame to B comes back to A.
    a.sendRouted(sealed.slice(), a.identity.id);
    await a.waitFor(() => a.peerFrames().length === 1);
    await expect(a.open(a.peerFrames()[0]!, [keysOf(b)])).rejects.toSatisfy((e) => isOpenError(e, 'BAD_SIGNATURE'));
    // Re-addressed: B sends A's frame on to C (C knows both A and B).
    b.sendRouted(sealed.slice(), c.identity.id);
    await c.waitFor(() => c.peerFrames().length === 1);
    await expect(c.open(c.peerFrames()[0]!, [keysOf(b)])).rejects.toSatisfy((e) => isOpenError(e, 'BAD_SIGNATURE'));
    await expect(c.open(c.peerFrames()[0]!, [keysOf(a)])).rejects.toSatisfy((e) => isOpenError(e, 'BAD_SIGNATURE'));
  });

  it('control frames: TURN unavailable answered in a sealed ERROR; a replayed control frame closes malformed_frame', async () => {
    const r = await relay();
    const a = await client(r);
    await a.sendControl({ type: ControlType.turnRequest, body: {} });
    await a.waitFor(() => a.controls(ControlType.error).length === 1);
    expect(a.controls(ControlType.error)[0]!.body).toEqual({ code: RelayError.unavailable, request: ControlType.turnRequest });
    await a.sendControl({ type: ControlType.registerWake, body: { tag: new Uint8Array(16).fill(3) } });
    // The same bytes again: the counter moved on, so the route and the signature no longer fit.
    a.ws.send(a.sent.at(-1)!);
    expect(await a.closed).toBe(CloseCode.malformedFrame);
  });

  it('TURN credentials travel sealed to the client', async () => {
    const r = await relay({ turn: { secret: 'a-shared-secret-of-some-length', turnUrls: ['turn:127.0.0.1:3478'], stunUrls: [] } });
    const a = await client(r);
    await a.sendControl({ type: ControlType.turnRequest, body: {} });
    await a.waitFor(() => a.controls(ControlType.turnCredentials).length === 1);
    const body = a.controls(ControlType.turnCredentials)[0]!.body as { username: string; ttlSeconds: number; urls: { url: string }[] };
    expect(body.username).toMatch(/^\d+:/);
    expect(body.ttlSeconds).toBe(3600);
    expect(body.urls).toEqual([{ url: 'turn:127.0.0.1:3478' }]);
  });
});
