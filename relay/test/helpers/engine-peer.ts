/**
 * The runtime's client engine as a peer of a real relay, for the end-to-end tests that run it
 * (engine.e2e, engine-vouched.e2e): one engine per person on a MemoryStore, started and online,
 * with the texts it was shown. A peer made `from` another reuses its identity and store: the
 * same person starting again.
 */
import { MessageType } from '@parley/generated';
import { afterEach } from 'vitest';
import { pickBackend } from '@parley/runtime/crypto';
import { Engine, MemoryStore, type Contact, type EngineEvents } from '@parley/runtime/engine';
import { NodeWsTransport } from '@parley/runtime/node';
import { generateIdentity, type Identity } from '@parley/runtime/protocol';
import type { RunningRelay } from '../../src/index.ts';

export interface EnginePeer {
  engine: Engine;
  identity: Identity;
  store: MemoryStore;
  texts: string[];
}

/** Resolves once `check` holds (polled), or fails after `ms` naming `what`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The next `name` event of `e`. */
export function once<K extends keyof EngineEvents>(e: Engine, name: K): Promise<EngineEvents[K]> {
  return new Promise((ok) => {
    const off = e.on(name, (v) => {
      off();
      ok(v);
    });
  });
}

/** Makes peers for one test file; every engine still running is stopped after each test. */
export function enginePeers(): {
  peer(r: RunningRelay, name: string, from?: EnginePeer): Promise<EnginePeer>;
  /** Stops `p`'s engine (the person goes offline). */
  stop(p: EnginePeer): Promise<void>;
} {
  const engines: Engine[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop();
  });
  return {
    async peer(r, name, from) {
      const backend = await pickBackend();
      const identity = from?.identity ?? (await generateIdentity(backend));
      const store = from?.store ?? new MemoryStore();
      const engine = new Engine({ identity, store, backend, relay: { url: r.url, x: r.publicKeys.x, ed: r.publicKeys.ed }, transport: new NodeWsTransport(), displayName: name, random: () => 0.01 });
      const p: EnginePeer = { engine, identity, store, texts: [] };
      engine.on('message', (m) => {
        if (m.type === MessageType.text) p.texts.push(m.body.text);
      });
      engines.push(engine);
      await engine.start();
      await until(() => engine.state.state === 'online', 'online');
      return p;
    },
    async stop(p) {
      const at = engines.indexOf(p.engine);
      if (at >= 0) engines.splice(at, 1);
      await p.engine.stop();
    },
  };
}

/** `b` uses `a`'s invite and `a` accepts: contacts of each other, as each sees the other. */
export async function befriend(a: EnginePeer, b: EnginePeer): Promise<{ aSeesB: Contact; bSeesA: Contact }> {
  const invite = await a.engine.createInvite({});
  const request = once(a.engine, 'contact-request');
  const bSeesA = await b.engine.addContact(invite.link, { note: 'hi' });
  const accepted = once(b.engine, 'contact-accepted');
  const aSeesB = await a.engine.acceptContact((await request).contact.key);
  await accepted;
  return { aSeesB, bSeesA };
}
