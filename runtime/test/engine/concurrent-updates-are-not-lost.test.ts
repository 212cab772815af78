/**
 * Read-modify-write of history records from different paths (a received chunk completing a file,
 * the user marking it read, a receipt, the "sent" status after the first send) must not undo each
 * other. A store whose reads take a random few milliseconds widens every read-to-write window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/index.ts';
import { MemoryStore, type StoreOp } from '../../src/engine/storage.ts';
import { befriend, fakeRelay, online, peer, until, type TestPeer } from './_setup.ts';

/** A MemoryStore whose reads are slow, so interleavings that lose updates actually happen. */
class SlowReadStore extends MemoryStore {
  override async get(key: string): Promise<Uint8Array | undefined> {
    const value = await super.get(key);
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 4)));
    return value;
  }

  override async batch(ops: readonly StoreOp[]): Promise<void> {
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 2)));
    return super.batch(ops);
  }
}

const running: TestPeer[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.engine.stop();
});

describe('concurrent updates of one record', () => {
  it('marking files read while they complete leaves every one received and read, and the sender sees read', async () => {
    const relay = await fakeRelay();
    const a = await peer(relay, { store: new SlowReadStore() });
    const b = await peer(relay, { store: new SlowReadStore() });
    running.push(a, b);
    await Promise.all([a.engine.start(), b.engine.start()]);
    await Promise.all([online(a), online(b)]);
    const { aSeesB, bSeesA } = await befriend(a, b);

    // Like a conversation view: every incoming record is marked read as soon as it shows up.
    const marks: Promise<void>[] = [];
    b.engine.on('history', ({ item }) => {
      if (item.dir === 'in' && !item.read) marks.push(b.engine.markRead(bSeesA.key, [item.id]));
    });
    const FILES = 12;
    const ids: string[] = [];
    for (let i = 0; i < FILES; i++) {
      ids.push((await a.engine.sendFile(aSeesB.key, { name: `f${i}.bin`, bytes: randomBytes(100 + i) })).id);
      ids.push((await a.engine.sendText(aSeesB.key, `text ${i}`)).id);
    }
    await until(async () => (await b.engine.history(bSeesA.key)).filter((h) => h.file?.state === 'received').length === FILES, 60_000, 'files received');
    await until(() => marks.length >= 2 * FILES, 10_000, 'marks issued');
    await Promise.all(marks);
    await until(async () => (await a.engine.history(aSeesB.key)).filter((h) => ids.includes(h.id) && h.status === 'read').length === ids.length, 60_000, 'read at the sender');

    const got = (await b.engine.history(bSeesA.key)).filter((h) => h.dir === 'in');
    expect(got.filter((h) => h.file).map((h) => h.file!.state)).toEqual(Array(FILES).fill('received'));
    expect(got.every((h) => h.read)).toBe(true);
    const sent = (await a.engine.history(aSeesB.key)).filter((h) => ids.includes(h.id));
    expect(sent.map((h) => h.status)).toEqual(Array(ids.length).fill('read'));
    expect(sent.filter((h) => h.file).map((h) => h.file!.state)).toEqual(Array(FILES).fill('sent'));
    // bounds for a loaded CI machine: every chunk's v2 state is stored before it leaves, on slow stores
  }, 180_000);
});
