/**
 * The bound on senders (NOTIFIER_MAX_SENDERS, src/senders.ts): at the cap the longest idle
 * sender holding no registration is removed; if every sender holds one, the newcomer is refused.
 * The rule alone, then end to end with a real relay, the notifier and push identities.
 */
import { readFileSync } from 'node:fs';
import { toHex } from '@parley/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { buildWebPushRegistration, parseNotifierInfo, pickInvite, registerWithNotifier, type NotifierInfo } from '../src/client.ts';
import { generateKeys } from '../src/keys.ts';
import { DEFAULT_LIMITS } from '../src/limits.ts';
import { startNotifier, type RunningNotifier } from '../src/notifier.ts';
import { makeRoom, type RoomQuery } from '../src/senders.ts';
import { LoopbackPushService, Scope, client, logSink, notifierConfig, online, relayFor, until, type Client } from '@parley/test-kit/notifier';

const scope = new Scope();
afterEach(() => scope.cleanup());

describe('makeRoom', () => {
  const q = (o: { n: number; max: number; held?: string[]; seen?: Record<string, number>; newcomer?: string; removing?: string[] }): RoomQuery => ({
    senders: Array.from({ length: o.n }, (_, i) => ({ key: `s${i}`, createdAt: i })),
    max: o.max,
    registrations: (k) => (o.held?.includes(k) ? 1 : 0),
    lastSeen: (k) => o.seen?.[k],
    removing: new Set(o.removing ?? []),
    ...(o.newcomer ? { newcomer: o.newcomer } : {}),
  });

  it('removes nothing at the cap, one sender one over it', () => {
    expect(makeRoom(q({ n: 3, max: 3, newcomer: 's2' }))).toEqual({ evict: [], refuse: false });
    expect(makeRoom(q({ n: 4, max: 3, newcomer: 's3' }))).toEqual({ evict: ['s0'], refuse: false });
  });

  it('takes the longest idle sender without a registration, never the newcomer', () => {
    expect(makeRoom(q({ n: 4, max: 3, newcomer: 's3', held: ['s0'] }))).toEqual({ evict: ['s1'], refuse: false });
    expect(makeRoom(q({ n: 4, max: 3, newcomer: 's3', seen: { s0: 100, s1: 50 } }))).toEqual({ evict: ['s2'], refuse: false });
    expect(makeRoom(q({ n: 6, max: 3, newcomer: 's5', held: ['s1'], seen: { s0: 10 } }))).toEqual({ evict: ['s2', 's3', 's4'], refuse: false });
    expect(makeRoom(q({ n: 6, max: 3, newcomer: 's5', held: ['s1'], seen: { s0: 2.5 } }))).toEqual({ evict: ['s2', 's0', 's3'], refuse: false });
  });

  it('refuses the newcomer when every other sender holds a registration', () => {
    expect(makeRoom(q({ n: 4, max: 3, newcomer: 's3', held: ['s0', 's1', 's2'] }))).toEqual({ evict: [], refuse: true });
    // no newcomer (a sweep after the cap was lowered): removes what it can
    expect(makeRoom(q({ n: 5, max: 3, held: ['s0', 's1', 's2'] }))).toEqual({ evict: ['s3', 's4'], refuse: false });
    expect(makeRoom(q({ n: 5, max: 3, held: ['s0', 's1', 's2', 's3'] }))).toEqual({ evict: ['s4'], refuse: false });
  });

  it('does not count senders already being removed', () => {
    expect(makeRoom(q({ n: 4, max: 3, newcomer: 's3', removing: ['s1'] }))).toEqual({ evict: [], refuse: false });
  });

  it('has a default above the registrations kept', () => {
    expect(DEFAULT_LIMITS.maxSenders).toBeGreaterThan(DEFAULT_LIMITS.maxRegistrations);
  });
});

describe('NOTIFIER_MAX_SENDERS end to end', () => {
  async function setup(maxSenders: number) {
    const dir = await scope.dir();
    const keys = await generateKeys({ keyFile: `${dir}/notifier.key`, vapidKeyFile: `${dir}/vapid.key` });
    const push = await LoopbackPushService.start();
    scope.add(() => push.close(), undefined);
    const relay = await relayFor(scope, keys.identity.x);
    const config = notifierConfig(dir, relay, push.origin, { maxSenders });
    const logs = logSink();
    const notifier = await startNotifier(config, { fsync: false, logDestination: logs });
    scope.add(() => notifier.close(), undefined);
    await online(notifier.engine);
    const info = parseNotifierInfo(JSON.parse(readFileSync(config.publishFile, 'utf8')));
    return { push, relay, notifier, info, logs };
  }

  const keyOf = (c: Client) => toHex(c.identity.x);
  const senders = (n: RunningNotifier) => n.engine.contacts().map((c) => c.key).sort();

  /** A push identity that adds the notifier and waits until it is its contact. */
  async function join(s: Awaited<ReturnType<typeof setup>>, name: string): Promise<Client> {
    const p = await client(scope, s.relay, name, { registerWake: false });
    await p.engine.addContact(pickInvite(s.info), { name: 'Parley notifier' });
    await until(() => s.notifier.engine.contact(keyOf(p)) !== undefined || s.logs.lines.some((l) => l.includes('refused at the sender limit')), 10_000, `${name} accepted`);
    return p;
  }

  async function register(s: Awaited<ReturnType<typeof setup>>, p: Client, info: NotifierInfo, fill: number): Promise<string> {
    const tag = new Uint8Array(16).fill(fill);
    await registerWithNotifier(p.engine, info, buildWebPushRegistration(s.push.subscribe(), tag));
    await until(() => s.notifier.store.get(toHex(tag)) !== undefined && p.engine.outboxSize === 0, 10_000, 'the registration');
    return toHex(tag);
  }

  it('at the cap, a newcomer replaces the sender without a registration; when all hold one, it is refused', async () => {
    const s = await setup(2);
    const p1 = await join(s, 'p1');
    await register(s, p1, s.info, 1);
    const p2 = await join(s, 'p2'); // no registration
    expect(senders(s.notifier)).toEqual([keyOf(p1), keyOf(p2)].sort());

    const p3 = await join(s, 'p3');
    await until(() => s.notifier.engine.contact(keyOf(p2)) === undefined, 10_000, 'p2 removed');
    expect(senders(s.notifier)).toEqual([keyOf(p1), keyOf(p3)].sort());
    expect(s.notifier.store.senders().map((x) => x.owner)).not.toContain(keyOf(p2));
    const t3 = await register(s, p3, s.info, 3);

    // every sender holds a registration: p4 is refused, nothing of it is kept
    const p4 = await join(s, 'p4');
    await until(() => s.notifier.engine.contact(keyOf(p4)) === undefined, 10_000, 'p4 refused');
    expect(senders(s.notifier)).toEqual([keyOf(p1), keyOf(p3)].sort());
    const t4 = new Uint8Array(16).fill(4);
    await registerWithNotifier(p4.engine, s.info, buildWebPushRegistration(s.push.subscribe(), t4));
    await new Promise((r) => setTimeout(r, 1000));
    expect(s.notifier.store.get(toHex(t4))).toBeUndefined();
    expect(s.notifier.store.size).toBe(2);
    expect(s.notifier.store.get(t3)).toBeDefined();
    expect(senders(s.notifier)).toEqual([keyOf(p1), keyOf(p3)].sort());
    const log = s.logs.lines.join('\n');
    expect(log).toContain('every sender holds a registration');
    for (const p of [p1, p2, p3, p4]) expect(log).not.toContain(keyOf(p));
  });
});
