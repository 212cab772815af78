/**
 * inbox.json remembers which messages a reader handled. `listen` writes it every few seconds and
 * once more when it stops; a message handled while one of those writes waits for the engine's
 * history must still be written, or the next reader shows it again as backlog (seen as a file
 * from an earlier cli test reappearing in a later bridge).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pickBackend } from '@parley/runtime/crypto';
import { Engine, MemoryStore, type HistoryItem } from '@parley/runtime/engine';
import { NodeWsTransport } from '@parley/runtime/node';
import { generateIdentity } from '@parley/runtime/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { Home } from '../src/home.ts';
import { Inbox } from '../src/inbox.ts';
import { World } from './_harness.ts';

const w = new World();
const engines: Engine[] = [];
let dir = '';
afterAll(async () => {
  for (const e of engines) await e.stop();
  await w.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function engine(relay: Awaited<ReturnType<World['relay']>>, name: string): Promise<Engine> {
  const e = new Engine({
    identity: await generateIdentity(await pickBackend()),
    relay: { url: relay.url, x: relay.publicKeys.x, ed: relay.publicKeys.ed },
    store: new MemoryStore(),
    transport: new NodeWsTransport(),
    displayName: name,
  });
  engines.push(e);
  await e.start();
  return e;
}

/** Resolves with the first history item `e` stores that passes `check`. */
function stored(e: Engine, check: (i: HistoryItem) => boolean): Promise<HistoryItem> {
  return new Promise((resolve) => {
    const off = e.on('history', ({ item }) => check(item) && (off(), resolve(item)));
  });
}

describe('the inbox of handled messages', () => {
  it('keeps a mark made while a flush waits for the history, and writes it', async () => {
    const relay = await w.relay();
    const [alice, bob] = await Promise.all([engine(relay, 'alice'), engine(relay, 'bob')]);
    const requested = new Promise<string>((resolve) => alice.on('contact-request', (r) => resolve(r.contact.key)));
    const { link } = await alice.createInvite({});
    const accepted = new Promise<void>((resolve) => bob.on('contact-accepted', () => resolve()));
    const aliceKey = (await bob.addContact(link)).key;
    const bobKey = await requested;
    await alice.acceptContact(bobKey);
    await accepted;
    const arrived = [stored(bob, (i) => i.dir === 'in' && i.text === 'one'), stored(bob, (i) => i.dir === 'in' && i.text === 'two')];
    await alice.sendText(bobKey, 'one');
    await alice.sendText(bobKey, 'two');
    const [one, two] = await Promise.all(arrived);

    dir = await mkdtemp(join(tmpdir(), 'wschat-inbox-'));
    const home = new Home(dir);
    const inbox = await Inbox.load(home);
    inbox.handled(aliceKey, [one!.id]);
    const first = inbox.flush(bob); // waits for bob's history…
    inbox.handled(aliceKey, [two!.id]); // …while the reader handles the next message
    await first;
    await inbox.flush(bob); // what `listen` does when it stops

    const again = await Inbox.load(home);
    expect(again.isHandled(aliceKey, one!)).toBe(true);
    expect(again.isHandled(aliceKey, two!)).toBe(true);
    expect(await again.backlog(bob)).toEqual([]);
  });
});
