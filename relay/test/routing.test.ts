/**
 * Routing, mailbox, squatting and replacement on a real relay and real sockets, with the toy
 * protocol layer (helpers/toy-crypto.ts) so only the relay's own behaviour is under test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, ControlType, FrameKind } from '@parley/generated';
import { ToyClient } from './helpers/toy-crypto.ts';
import { metric, sleep, testRelay, type TestRelay } from './helpers/relay.ts';

let relay: TestRelay | undefined;
const clients: ToyClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = undefined;
});
async function client(x?: Uint8Array, ed?: Uint8Array): Promise<ToyClient> {
  const c = await new ToyClient(x, ed).connect(relay!.url);
  clients.push(c);
  return c;
}
const text = (c: ToyClient) => c.peerFrames().map((r) => Buffer.from(r.frame.subarray(33, r.frame.length - 64)).toString());

describe('routing', () => {
  it('forwards both ways, re-addressed with the sender id', async () => {
    relay = await testRelay();
    const a = await client();
    const b = await client();
    a.sendPeer(b.id, 'hello b');
    b.sendPeer(a.id, 'hello a');
    a.sendPeer(b.id, 'again', FrameKind.firstContact);
    await b.waitFor((c) => c.peerFrames().length === 2);
    await a.waitFor((c) => c.peerFrames().length === 1);
    expect(text(b)).toEqual(['hello b', 'again']);
    expect(b.peerFrames().map((r) => r.from.equals(a.id))).toEqual([true, true]);
    expect(b.peerFrames()[1]!.kind).toBe(FrameKind.firstContact);
    expect(text(a)).toEqual(['hello a']);
    expect(await metric(relay, 'parley_relay_frames_forwarded_total')).toBe(3);
  });

  it('queues for an offline id and delivers in order on connect, then MAILBOX_DRAINED (none when nothing was queued)', async () => {
    relay = await testRelay();
    const a = await client();
    const bx = new Uint8Array(32).fill(0x42);
    for (let i = 0; i < 5; i++) a.sendPeer(bx, `m${i}`);
    await sleep(100);
    expect(await metric(relay, 'parley_relay_mailbox_frames')).toBe(5);
    const b = await client(bx);
    expect(b.mailboxPending).toBe(5);
    await b.waitFor((c) => c.controls().length === 1);
    expect(text(b)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(b.controls()[0]!.control!.type).toBe(ControlType.mailboxDrained);
    expect(b.controls()[0]!.control!.msg).toMatchObject({ delivered: 5 });
    // Delivered once: a reconnect gets nothing more.
    b.close();
    await sleep(50);
    const b2 = await client(bx, b.ed);
    expect(b2.mailboxPending).toBe(0);
    await sleep(50);
    expect(b2.controls()).toEqual([]); // WELCOME said 0: no MAILBOX_DRAINED follows
  });

  it('binds several key pairs to one id: both get frames, neither is refused or told', async () => {
    relay = await testRelay();
    const a = await client();
    const x1 = new Uint8Array(32).fill(7);
    const x2 = Uint8Array.from(x1);
    x2[31] = 8; // same id (first 8 bytes), another key
    const real = await client(x1);
    const squatter = await client(x2);
    expect(real.ws.readyState).toBe(real.ws.OPEN);
    expect(squatter.ws.readyState).toBe(squatter.ws.OPEN);
    a.sendPeer(real.id, 'for the id');
    await real.waitFor((c) => c.peerFrames().length === 1);
    await squatter.waitFor((c) => c.peerFrames().length === 1);
    expect(text(real)).toEqual(['for the id']);
    expect(text(squatter)).toEqual(['for the id']);
    // No control message of any kind told either of them about the other.
    expect(real.controls().filter((r) => r.control!.type !== ControlType.mailboxDrained)).toEqual([]);
    expect(squatter.controls().filter((r) => r.control!.type !== ControlType.mailboxDrained)).toEqual([]);
  });

  it('a key pair beyond MAX_KEYPAIRS_PER_ID is accepted silently but not bound', async () => {
    relay = await testRelay({ limits: { maxKeypairsPerId: 2 } });
    const a = await client();
    const base = new Uint8Array(32).fill(9);
    const holders = [];
    for (let i = 0; i < 3; i++) {
      const x = Uint8Array.from(base);
      x[31] = i;
      holders.push(await client(x));
    }
    expect(holders.every((h) => h.ws.readyState === h.ws.OPEN)).toBe(true);
    a.sendPeer(base, 'x');
    await holders[1]!.waitFor((c) => c.peerFrames().length === 1);
    await sleep(100);
    expect(holders.map((h) => h.peerFrames().length)).toEqual([1, 1, 0]);
  });

  it('a reconnect with the same keys replaces the old connection (close replaced)', async () => {
    relay = await testRelay();
    const a = await client();
    const b1 = await client();
    const b2 = await client(b1.x, b1.ed);
    expect((await b1.closed).code).toBe(CloseCode.replaced);
    a.sendPeer(b2.id, 'to the new one');
    await b2.waitFor((c) => c.peerFrames().length === 1);
  });

  it('forwards re-addressed and reflected frames (receivers reject them, not the relay)', async () => {
    relay = await testRelay();
    const a = await client();
    const b = await client();
    a.sendPeer(a.id, 'to myself');
    await a.waitFor((c) => c.peerFrames().length === 1);
    expect(a.peerFrames()[0]!.from.equals(a.id)).toBe(true);
    // A frame b received, sent on by b to someone else verbatim except its route.
    a.sendPeer(b.id, 'original');
    await b.waitFor((c) => c.peerFrames().length === 1);
    const c = await client();
    const copy = Buffer.from(b.peerFrames()[0]!.frame);
    copy.set(c.id, 0);
    b.sendRaw(copy);
    await c.waitFor((x) => x.peerFrames().length === 1);
    expect(c.peerFrames()[0]!.from.equals(b.id)).toBe(true);
  });
});
