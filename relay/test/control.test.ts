/**
 * Relay commands on a real relay (toy protocol layer): TURN credentials, wake tags and the
 * notifier, RING, BYE, a request in the wrong direction, and graceful shutdown.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, ControlType } from '@parley/generated';
import { ToyClient } from './helpers/toy-crypto.ts';
import { metric, sleep, testRelay, type TestRelay } from './helpers/relay.ts';

let relay: TestRelay | undefined;
const clients: ToyClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = undefined;
});
async function client(x?: Uint8Array): Promise<ToyClient> {
  const c = await new ToyClient(x).connect(relay!.url);
  clients.push(c);
  return c;
}
const controlsOf = (c: ToyClient, type: number) => c.controls().filter((r) => r.control!.type === type).map((r) => r.control!.msg);

describe('TURN', () => {
  it('answers ERROR unavailable when TURN is not configured', async () => {
    relay = await testRelay();
    const c = await client();
    c.sendControl(ControlType.turnRequest);
    await c.waitFor(() => controlsOf(c, ControlType.error).length === 1);
    expect(controlsOf(c, ControlType.error)[0]).toMatchObject({ code: 'unavailable', request: ControlType.turnRequest });
  });

  it('hands out coturn REST credentials with a random username, rate-limited per connection', async () => {
    const secret = 'turn-shared-secret-0123456789';
    relay = await testRelay({
      turn: { secret, turnUrls: ['turn:127.0.0.1:3478'], stunUrls: ['stun:127.0.0.1:3478'] },
      limits: { turnRequestsPerMinute: 2 },
    });
    const c = await client();
    for (let i = 0; i < 3; i++) c.sendControl(ControlType.turnRequest);
    await c.waitFor(() => controlsOf(c, ControlType.error).length === 1);
    const creds = controlsOf(c, ControlType.turnCredentials) as { username: string; password: string; urls: string[] }[];
    expect(creds).toHaveLength(2);
    expect(creds[0]!.username).not.toContain(c.id.toString('hex'));
    expect(creds[0]!.username).not.toBe(creds[1]!.username);
    expect(creds[0]!.password).toBe(createHmac('sha1', secret).update(creds[0]!.username).digest('base64'));
    expect(creds[0]!.urls).toEqual(['stun:127.0.0.1:3478', 'turn:127.0.0.1:3478']);
    expect(controlsOf(c, ControlType.error)[0]).toMatchObject({ code: 'rate_limited' });
  });
});

describe('wake', () => {
  it('sends the notifier WAKE{tag} when queueing for an offline client, once per interval; RING wakes for a call', async () => {
    const nx = new Uint8Array(32).fill(0x55);
    relay = await testRelay({ notifier: { kind: 'key', x: nx } });
    const notifier = await client(nx);
    const a = await client();
    const b = await client();
    const tag = new Uint8Array(16).fill(0xab);
    b.sendControl(ControlType.registerWake, tag);
    await sleep(50);
    b.close();
    await sleep(50);
    a.sendPeer(b.id, 'one');
    a.sendPeer(b.id, 'two');
    await notifier.waitFor(() => controlsOf(notifier, ControlType.wake).length === 1);
    await sleep(100);
    expect(controlsOf(notifier, ControlType.wake)).toEqual([{ type: 'wake', tag: 'ab'.repeat(16), reason: 'message' }]);
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="wake_rate_limited"}')).toBe(1);
    a.sendControl(ControlType.ring, b.id);
    await notifier.waitFor(() => controlsOf(notifier, ControlType.wake).length === 2);
    expect(controlsOf(notifier, ControlType.wake)[1]).toMatchObject({ reason: 'call' });
    // RING for an online id, or for an id without a tag: nothing, and nothing told to the caller.
    a.sendControl(ControlType.ring, notifier.id);
    await sleep(100);
    expect(controlsOf(notifier, ControlType.wake)).toHaveLength(2);
    expect(a.controls().filter((r) => r.control!.type !== ControlType.mailboxDrained)).toEqual([]);
  });

  it('an all-zero tag removes the registration; without a notifier wakes are dropped and counted', async () => {
    relay = await testRelay();
    const a = await client();
    const b = await client();
    b.sendControl(ControlType.registerWake, new Uint8Array(16).fill(1));
    await sleep(50);
    b.close();
    await sleep(50);
    a.sendPeer(b.id, 'x');
    await expect.poll(() => metric(relay!, 'parley_relay_drops_total', '{reason="wake_no_notifier"}')).toBe(1);
    const b2 = await client(b.x);
    b2.sendControl(ControlType.registerWake, new Uint8Array(16));
    await sleep(50);
    b2.close();
    await sleep(50);
    a.sendPeer(b.id, 'y');
    await sleep(100);
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="wake_no_notifier"}')).toBe(1);
  });
});

describe('other commands', () => {
  it('a relay-to-client type from a client is answered with ERROR bad_request', async () => {
    relay = await testRelay();
    const c = await client();
    c.sendControl(ControlType.shutdown);
    await c.waitFor(() => controlsOf(c, ControlType.error).length === 1);
    expect(controlsOf(c, ControlType.error)[0]).toMatchObject({ code: 'bad_request', request: ControlType.shutdown });
  });

  it('BYE closes normally', async () => {
    relay = await testRelay();
    const c = await client();
    c.sendControl(ControlType.bye);
    expect((await c.closed).code).toBe(1000);
  });

  it('shutdown tells every client SHUTDOWN, then closes with shutting_down', async () => {
    relay = await testRelay({ limits: { shutdownRetryAfterMs: 1234 } });
    const a = await client();
    const b = await client();
    await relay.close();
    relay = undefined;
    for (const c of [a, b]) {
      expect((await c.closed).code).toBe(CloseCode.shuttingDown);
      expect(controlsOf(c, ControlType.shutdown)).toEqual([{ type: 'shutdown', reason: 'maintenance', retryAfterMs: 1234 }]);
    }
  });
});
