/**
 * File transfers share the link (issue 19): a text sent during a large transfer arrives before
 * the transfer ends, and several files at once, to the same contact and to another, all move
 * before any of them is done (chunks take turns; file-send.ts). Real relay (`startRelay`) on
 * 127.0.0.1, real WebSockets, FileStore and FileBlobs.
 */
import { FILE_CHUNK_SIZE, MessageType } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/index.ts';
import { befriend, until, type TestPeer } from './_setup.ts';
import { diskPeers } from './_disk-peers.ts';

const { relay: newRelay, client } = diskPeers('share');

/** Index of the first recorded event of `p` that passes `pick`, -1 if none. */
const firstEvent = (p: TestPeer, pick: (e: TestPeer['events'][number]) => boolean): number => p.events.findIndex(pick);

describe('file transfers share the link', () => {
  it('a text sent in the middle of a large transfer arrives before the transfer ends', async () => {
    const relay = await newRelay();
    const a = await client(relay);
    const b = await client(relay);
    const { aSeesB } = await befriend(a, b);
    const chunks = 200;
    const { fileId } = await a.engine.sendFile(aSeesB.key, { name: 'film.bin', bytes: randomBytes(chunks * FILE_CHUNK_SIZE) });
    const progress = () => Math.max(0, ...b.of('file-progress').filter((p) => p.fileId === fileId).map((p) => p.chunks));
    await until(() => progress() > 0, 60_000, 'the transfer under way');
    expect(progress()).toBeLessThan(chunks);
    await a.engine.sendText(aSeesB.key, 'sent mid-transfer');
    await until(() => b.of('file').length === 1, 120_000, 'the file');
    const text = firstEvent(b, (e) => e.name === 'message' && (e.value as { type: number }).type === MessageType.text);
    const file = firstEvent(b, (e) => e.name === 'file');
    expect(text).toBeGreaterThanOrEqual(0);
    expect(text).toBeLessThan(file);
  }, 180_000);

  it('two files to one contact and one to another all move before any of them is done', async () => {
    const relay = await newRelay();
    const a = await client(relay);
    const b = await client(relay);
    const c = await client(relay);
    const { aSeesB } = await befriend(a, b);
    const { aSeesB: aSeesC } = await befriend(a, c);
    // one clock for both receivers (one process): when each transfer first stored chunks, and done
    const firstStored = new Map<string, number>();
    let firstDone = Infinity;
    for (const p of [b, c]) {
      p.engine.on('file-progress', (e) => {
        if (e.chunks > 0 && !firstStored.has(e.fileId)) firstStored.set(e.fileId, performance.now());
      });
      p.engine.on('file', () => void (firstDone = Math.min(firstDone, performance.now())));
    }
    const size = 100 * FILE_CHUNK_SIZE;
    const sent = await Promise.all([
      a.engine.sendFile(aSeesB.key, { name: 'one.bin', bytes: randomBytes(size) }),
      a.engine.sendFile(aSeesB.key, { name: 'two.bin', bytes: randomBytes(size) }),
      a.engine.sendFile(aSeesC.key, { name: 'three.bin', bytes: randomBytes(size) }),
    ]);
    await until(() => b.of('file').length === 2 && c.of('file').length === 1, 120_000, 'three files');
    for (const { fileId } of sent) expect(firstStored.get(fileId)!).toBeLessThan(firstDone);
  }, 180_000);
});
