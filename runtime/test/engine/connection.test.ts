import { ControlType, RECONNECT_BASE_MS, RECONNECT_MAX_MS, RelayError, WAKE_TAG_SIZE } from '@parley/generated';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, Pacer } from '../../src/engine/backoff.ts';
import { isEngineError } from '../../src/engine/errors.ts';
import type { Transport } from '../../src/engine/transport.ts';
import type { ConnectionState } from '../../src/engine/types.ts';
import { generateIdentity } from '../../src/protocol/identity.ts';
import { backend, fakeRelay, online, peer, settle, until, waitFor, type TestPeer } from './_setup.ts';

const running: TestPeer[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const p of running.splice(0)) await p.engine.stop();
});
async function started(p: Promise<TestPeer>): Promise<TestPeer> {
  const x = await p;
  running.push(x);
  await x.engine.start();
  await online(x);
  return x;
}
type Offline = Extract<ConnectionState, { state: 'offline' }>;

describe('backoff', () => {
  it('full jitter: uniform in [0, min(max, base * 2^n))', () => {
    for (let n = 0; n < 40; n++) {
      const cap = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** n);
      expect(backoffDelay(n, () => 0)).toBe(0);
      expect(backoffDelay(n, () => 0.5)).toBe(Math.floor(cap / 2));
      const hi = backoffDelay(n, () => 1 - 1e-12);
      expect(hi).toBeLessThan(cap);
      expect(hi).toBeGreaterThanOrEqual(cap - 1);
    }
  });

  it('the engine retries within the bounds, resets after a session, and says when', async () => {
    vi.useFakeTimers();
    const relay = await fakeRelay();
    let up = false;
    const inner = relay.transport();
    const transport: Transport = { connect: (url) => (up ? inner.connect(url) : Promise.reject(new Error('refused'))) };
    const p = await peer(relay, { transport, random: () => 1 - 1e-9 });
    running.push(p);
    await p.engine.start();
    const offline = (): Offline[] => p.of('state').filter((s): s is Offline => s.state === 'offline');
    for (let n = 0; n < 10; n++) {
      await vi.advanceTimersByTimeAsync(0);
      const last = offline().at(-1)!;
      expect(last.attempt).toBe(n);
      const cap = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** n);
      expect(last.retryInMs).toBeLessThan(cap);
      expect(last.retryInMs).toBeGreaterThanOrEqual(cap - 1);
      expect(last.retryAt - Date.now()).toBe(last.retryInMs);
      expect(last.reason).toBe('connect failed');
      await vi.advanceTimersByTimeAsync(last.retryInMs);
    }
    expect(offline().at(-1)!.retryInMs).toBeLessThan(RECONNECT_MAX_MS);
    expect(offline().at(-1)!.retryInMs).toBeGreaterThan(RECONNECT_MAX_MS - 2);
    up = true;
    await vi.advanceTimersByTimeAsync(offline().at(-1)!.retryInMs + 1);
    vi.useRealTimers();
    await until(() => p.engine.state.state === 'online', 5000, 'online');
    const states = p.of('state').map((s) => s.state);
    expect(states.slice(-3)).toEqual(['connecting', 'handshaking', 'online']);
    // after a session the count starts again
    relay.kick(p.engine.id);
    await until(() => offline().length === 11, 5000, 'offline again');
    expect(offline().at(-1)!.attempt).toBe(0);
    expect(offline().at(-1)!.retryInMs).toBeLessThan(RECONNECT_BASE_MS);
  });

  it('the pacer spreads frames over the announced rates', () => {
    let t = 0;
    const pacer = new Pacer(10, 1000, () => t);
    for (let i = 0; i < 10; i++) {
      expect(pacer.wait(10)).toBe(0);
      pacer.take(10);
    }
    expect(pacer.wait(10)).toBe(100); // one frame's worth at 10 frames/s
    t += 100;
    expect(pacer.wait(10)).toBe(0);
  });
});

describe('relay keys and services', () => {
  it('a relay that does not hold the pinned keys never gets a session', async () => {
    const relay = await fakeRelay();
    const impostor = await generateIdentity(await backend());
    const p = await peer({ keys: { ...relay.keys, x: impostor.x, ed: impostor.ed }, transport: () => relay.transport() });
    running.push(p);
    await p.engine.start();
    const off = await waitFor(p.engine, 'state', (s) => s.state === 'offline');
    expect(off.state === 'offline' && off.error?.code).toBe('BAD_RELAY');
    expect(p.of('state').some((s) => s.state === 'online')).toBe(false);
  });

  it('registers a random wake tag after every handshake and rotates it on demand', async () => {
    const relay = await fakeRelay();
    const p = await started(peer(relay));
    await until(() => relay.controls.length > 0, 5000, 'register_wake');
    const first = relay.controls[0]!.message;
    expect(first.type).toBe(ControlType.registerWake);
    const tag = p.engine.wakeTag!.tag;
    expect(tag.length).toBe(WAKE_TAG_SIZE);
    expect(first.type === ControlType.registerWake && Buffer.from(first.body.tag).equals(Buffer.from(tag))).toBe(true);
    relay.kick(p.engine.id);
    await until(() => relay.controls.filter((c) => c.message.type === ControlType.registerWake).length === 2, 5000, 'registered again');
    const announced = waitFor(p.engine, 'wake-tag');
    await p.engine.rotateWakeTag();
    const next = await announced;
    expect(Buffer.from(next.tag).equals(Buffer.from(tag))).toBe(false);
    await until(() => relay.controls.filter((c) => c.message.type === ControlType.registerWake).length === 3, 5000, 'new tag registered');
  });

  it('TURN credentials: answered, refused by the relay, not answered, or not connected', async () => {
    const relay = await fakeRelay();
    const p = await started(peer(relay));
    relay.turn = { type: ControlType.turnCredentials, body: { username: '1700000000:abc', password: 'pw', ttlSeconds: 600, urls: [{ url: 'turn:127.0.0.1:3478' }] } };
    const creds = await p.engine.requestTurn();
    expect(creds).toMatchObject({ username: '1700000000:abc', ttlSeconds: 600, urls: [{ url: 'turn:127.0.0.1:3478' }] });
    relay.turn = undefined;
    await expect(p.engine.requestTurn()).rejects.toSatisfy((e) => isEngineError(e, 'RELAY_ERROR'));
    expect(p.of('relay-error').at(-1)).toEqual({ code: RelayError.unavailable, request: ControlType.turnRequest });
    relay.turn = 'silent';
    await expect(p.engine.requestTurn(50)).rejects.toSatisfy((e) => isEngineError(e, 'TIMEOUT'));
    relay.up = false;
    relay.kick(p.engine.id);
    await waitFor(p.engine, 'state', (s) => s.state === 'offline');
    await expect(p.engine.requestTurn()).rejects.toSatisfy((e) => isEngineError(e, 'NOT_CONNECTED'));
  });

  it('says bye on stop and sends nothing after', async () => {
    const relay = await fakeRelay();
    const p = await peer(relay);
    await p.engine.start();
    await online(p);
    await p.engine.stop();
    await until(() => relay.controls.at(-1)?.message.type === ControlType.bye, 2000, 'bye');
    expect(p.engine.state.state).toBe('stopped');
    await settle();
    expect(relay.isOnline(p.engine.id)).toBe(false);
  });
});
