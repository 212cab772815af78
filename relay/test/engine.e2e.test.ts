/**
 * The relay restarting mid-conversation, with the runtime's client engine (outbox, receipts,
 * replay window) on both ends: frames the relay held in its in-memory mailbox are lost with
 * it, and the senders' outboxes recover them; nothing sent is lost and nothing is shown twice.
 */
import { MessageType, SEED_SIZE } from '@parley/generated';
import { afterEach, describe, expect, it } from 'vitest';
import { pickBackend, randomBytes } from '@parley/runtime/crypto';
import { Engine, MemoryStore, type EngineEvents } from '@parley/runtime/engine';
import { NodeWsTransport } from '@parley/runtime/node';
import { generateIdentity, type Identity } from '@parley/runtime/protocol';
import { startRelay, type RunningRelay } from '../src/index.ts';

const relays: RunningRelay[] = [];
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
  for (const r of relays.splice(0)) await r.close();
});

async function relayOn(seed: Uint8Array, port = 0): Promise<RunningRelay> {
  const r = await startRelay({ seed, port, logLevel: 'silent', webRoot: '/nonexistent', limits: { shutdownRetryAfterMs: 0 } });
  relays.push(r);
  return r;
}

interface Peer {
  engine: Engine;
  identity: Identity;
  store: MemoryStore;
  texts: string[];
}

async function peer(r: RunningRelay, name: string, from?: Peer): Promise<Peer> {
  const backend = await pickBackend();
  const identity = from?.identity ?? (await generateIdentity(backend));
  const store = from?.store ?? new MemoryStore();
  const engine = new Engine({
    identity,
    store,
    backend,
    relay: { url: r.url, x: r.publicKeys.x, ed: r.publicKeys.ed },
    transport: new NodeWsTransport(),
    displayName: name,
    random: () => 0.01,
  });
  const p: Peer = { engine, identity, store, texts: [] };
  engine.on('message', (m: EngineEvents['message']) => {
    if (m.type === MessageType.text) p.texts.push(m.body.text);
  });
  engines.push(engine);
  await engine.start();
  await until(() => engine.state.state === 'online', 'online');
  return p;
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function once<K extends keyof EngineEvents>(e: Engine, name: K): Promise<EngineEvents[K]> {
  return new Promise((ok) => {
    const off = e.on(name, (v) => {
      off();
      ok(v);
    });
  });
}

describe('relay restart with the client engine', () => {
  it('loses its mailbox, and the outboxes recover every message exactly once', async () => {
    const seed = randomBytes(SEED_SIZE);
    const r1 = await relayOn(seed);
    const a = await peer(r1, 'alice');
    let b = await peer(r1, 'bob');
    const invite = await a.engine.createInvite({ name: 'alice' });
    const request = once(a.engine, 'contact-request');
    const bSeesA = await b.engine.addContact(invite.link, { note: 'hi' });
    const accepted = once(b.engine, 'contact-accepted');
    const aSeesB = await a.engine.acceptContact((await request).contact.key);
    await accepted;

    await a.engine.sendText(aSeesB.key, 'one');
    await until(() => b.texts.includes('one'), 'first message');
    // B goes offline: its stop ends once the relay has read its goodbye and unbound it (whatever
    // is still unacknowledged, such as the mailbox tokens exchanged on accept), so A's next
    // messages wait in the relay's mailbox...
    await b.engine.stop();
    engines.splice(engines.indexOf(b.engine), 1);
    for (const t of ['two', 'three']) await a.engine.sendText(aSeesB.key, t);
    await until(() => r1.stats.framesQueued >= 2, 'frames queued for B');
    // ...and the relay restarts (same key, same port): its mailbox is gone.
    const port = r1.port;
    await r1.close();
    relays.splice(relays.indexOf(r1), 1);
    await a.engine.sendText(aSeesB.key, 'four'); // while the relay is down
    const r2 = await relayOn(seed, port);
    expect(r2.stats.framesQueued).toBe(0);
    a.engine.reconnectNow();
    await until(() => a.engine.state.state === 'online', 'A back online');
    b = await peer(r2, 'bob', b);
    await b.engine.sendText(bSeesA.key, 'back');
    await until(() => b.texts.length >= 3 && a.texts.includes('back'), 'messages after the restart');
    await until(() => a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 'outboxes drained');
    expect(b.texts).toEqual(['two', 'three', 'four']); // the second engine instance's view
    expect(a.texts).toEqual(['back']);
    const shown = (await b.engine.history(bSeesA.key)).filter((h) => h.dir === 'in').map((h) => (h as { text?: string }).text);
    expect(shown.filter((t) => t !== undefined)).toEqual(['one', 'two', 'three', 'four']);
  });
});
