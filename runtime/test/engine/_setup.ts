/** Shared helpers of the engine tests: engines on a FakeRelay, waiting for events. */
import { MessageType } from '@parley/generated';
import { afterEach } from 'vitest';
import { pickBackend, type CryptoBackend } from '../../src/crypto/index.ts';
import { Engine, type EngineOptions } from '../../src/engine/engine.ts';
import { MemoryStore, type Store } from '../../src/engine/storage.ts';
import type { Transport } from '../../src/engine/transport.ts';
import type { Contact, EngineEvents } from '../../src/engine/types.ts';
import { generateIdentity, type Identity } from '../../src/protocol/identity.ts';
import { FakeRelay } from './_fake-relay.ts';

let backendP: Promise<CryptoBackend> | undefined;
export function backend(): Promise<CryptoBackend> {
  return (backendP ??= pickBackend());
}

export async function fakeRelay(): Promise<FakeRelay> {
  return FakeRelay.create(await backend());
}

export interface TestPeer {
  engine: Engine;
  identity: Identity;
  store: Store;
  /** Every event, in order. */
  events: { name: keyof EngineEvents; value: unknown }[];
  of<K extends keyof EngineEvents>(name: K): EngineEvents[K][];
}

const NAMES: (keyof EngineEvents)[] = [
  'state', 'synced', 'message', 'sent', 'delivered', 'read', 'contact-request', 'key-change', 'contact-accepted',
  'contact-request-expired', 'file-progress', 'file', 'file-failed', 'history', 'wake-tag', 'wake', 'turn-credentials',
  'relay-error', 'dropped', 'error', 'session-reset', 'protection',
];

export async function peer(
  relay: { keys: { url: string; x: Uint8Array; ed: Uint8Array }; transport(): Transport },
  o: Partial<EngineOptions> & { name?: string } = {},
): Promise<TestPeer> {
  const b = await backend();
  const identity = o.identity ?? (await generateIdentity(b));
  const store = o.store ?? new MemoryStore();
  const engine = new Engine({
    identity,
    relay: relay.keys,
    store,
    transport: o.transport ?? relay.transport(),
    backend: b,
    random: () => 0.01,
    displayName: o.name ?? 'peer',
    ...o,
  });
  const events: TestPeer['events'] = [];
  for (const n of NAMES) engine.on(n, (value) => events.push({ name: n, value }));
  return {
    engine,
    identity,
    store,
    events,
    of: <K extends keyof EngineEvents>(name: K) => events.filter((e) => e.name === name).map((e) => e.value as EngineEvents[K]),
  };
}

/** Resolves with the next event that passes `filter`, or rejects after `ms`. */
export function waitFor<K extends keyof EngineEvents>(
  engine: Engine,
  name: K,
  filter: (v: EngineEvents[K]) => boolean = () => true,
  ms = 10_000,
): Promise<EngineEvents[K]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${String(name)}`));
    }, ms);
    const off = engine.on(name, (v) => {
      if (!filter(v)) return;
      clearTimeout(t);
      off();
      resolve(v);
    });
  });
}

export function online(p: TestPeer): Promise<unknown> {
  if (p.engine.state.state === 'online') return Promise.resolve();
  return waitFor(p.engine, 'synced');
}

/** Waits until `check` holds (polling), or fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A invites, B adds the invite, A accepts: both see each other as accepted. */
export async function befriend(a: TestPeer, b: TestPeer): Promise<{ aSeesB: Contact; bSeesA: Contact }> {
  const invite = await a.engine.createInvite({ name: 'alice' });
  const req = waitFor(a.engine, 'contact-request');
  const bSeesA0 = await b.engine.addContact(invite.link, { note: 'hi' });
  const { contact } = await req;
  const accepted = waitFor(b.engine, 'contact-accepted');
  const aSeesB = await a.engine.acceptContact(contact.key);
  await accepted;
  await until(() => a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 5000, 'outboxes empty');
  return { aSeesB, bSeesA: b.engine.contact(bSeesA0.key)! };
}

/** Lets queued microtasks and zero-delay timers run. */
export function settle(ms = 50): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The peers a test file starts. `started(peer(...))` starts one and waits until it is online;
 * `stop(p)` stops one early (a restart); `friends(options)` starts two on a fresh FakeRelay and
 * makes them contacts; every one still running is stopped after each test.
 * Call once at the top of a test file.
 */
export function runningPeers(): {
  running: TestPeer[];
  started(p: Promise<TestPeer>): Promise<TestPeer>;
  stop(p: TestPeer): Promise<void>;
  friends(o?: Partial<EngineOptions>): Promise<Friends>;
} {
  const running: TestPeer[] = [];
  afterEach(async () => {
    for (const p of running.splice(0)) await p.engine.stop();
  });
  const started = async (p: Promise<TestPeer>): Promise<TestPeer> => {
    const x = await p;
    running.push(x);
    await x.engine.start();
    await online(x);
    return x;
  };
  return {
    running,
    started,
    async stop(p) {
      const at = running.indexOf(p);
      if (at >= 0) running.splice(at, 1);
      await p.engine.stop();
    },
    async friends(o = {}) {
      const relay = await fakeRelay();
      const a = await started(peer(relay, o));
      const b = await started(peer(relay, o));
      return { relay, a, b, ...(await befriend(a, b)) };
    },
  };
}

/** Two started peers on a fresh FakeRelay who are contacts of each other (runningPeers().friends). */
export interface Friends {
  relay: FakeRelay;
  a: TestPeer;
  b: TestPeer;
  aSeesB: Contact;
  bSeesA: Contact;
}

/** The texts a peer was shown, in order. */
export const texts = (p: TestPeer): string[] => p.of('message').flatMap((m) => (m.type === MessageType.text ? [m.body.text] : []));
