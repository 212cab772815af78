/**
 * Pausing and resuming a file transfer (issue 19, the web app's pause button): a paused
 * transfer seals no new chunk, stays paused across a restart of the sender, and once resumed
 * completes from the chunks already acknowledged, with the right bytes. Real relay on 127.0.0.1,
 * real WebSockets, FileStore and FileBlobs.
 */
import { join } from 'node:path';
import { FILE_CHUNK_SIZE } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/index.ts';
import { diskPeers } from './_disk-peers.ts';
import { befriend, settle, until } from './_setup.ts';

const { relay: newRelay, client, stop } = diskPeers('pause');

describe('a paused file transfer', () => {
  it('sends no new chunk while paused, even after a restart, and completes once resumed', async () => {
    const relay = await newRelay();
    let a = await client(relay);
    const b = await client(relay);
    const { aSeesB } = await befriend(a, b);
    const chunks = 300;
    const bytes = randomBytes(chunks * FILE_CHUNK_SIZE - 777);
    const { fileId } = await a.engine.sendFile(aSeesB.key, { name: 'video.bin', bytes });
    const stored = () => Math.max(0, ...b.of('file-progress').filter((p) => p.fileId === fileId).map((p) => p.chunks));
    await until(() => stored() > 0, 60_000, 'the transfer under way');
    await a.engine.pauseFile(aSeesB.key, fileId);
    expect(a.of('file-progress').filter((p) => p.fileId === fileId).at(-1)?.paused).toBe(true);

    // what was in flight at the pause lands; then nothing more moves
    const still = async () => {
      for (let i = 0; i < 20; i++) {
        const before = stored();
        await settle(1000);
        if (stored() === before) return before;
      }
      throw new Error('the transfer never stopped moving');
    };
    const atPause = await still();
    expect(atPause).toBeLessThan(chunks);

    // the sender restarts: the transfer is still paused
    await stop(a);
    a = await client(relay, a.dir, a.identity);
    await settle(2000);
    expect(stored()).toBe(atPause);
    expect(b.of('file')).toHaveLength(0);
    const offer = async () => (await a.engine.history(aSeesB.key)).find((h) => h.file?.fileId === fileId)!.file!;
    expect(await offer()).toMatchObject({ state: 'sending', paused: true }); // a view opened now shows it paused

    await a.engine.resumeFile(aSeesB.key, fileId);
    await until(() => b.of('file').length === 1, 120_000, 'the file');
    expect(Buffer.from(b.of('file')[0]!.bytes!).equals(Buffer.from(bytes))).toBe(true);
    await until(async () => (await offer()).state === 'sent', 30_000, 'the offer marked sent');
    expect((await offer()).paused).toBeUndefined();
    // the resumed transfer went on from what b held: b never stored fewer chunks than at the pause
    const after = b.of('file-progress').filter((p) => p.fileId === fileId).map((p) => p.chunks);
    expect(Math.min(...after.slice(after.indexOf(atPause)))).toBe(atPause);
  }, 240_000);

  it('cannot be paused by anyone but its sender', async () => {
    const relay = await newRelay();
    const a = await client(relay);
    const b = await client(relay);
    const { aSeesB, bSeesA } = await befriend(a, b);
    const { fileId } = await a.engine.sendFile(aSeesB.key, { name: 'x.bin', bytes: randomBytes(3 * FILE_CHUNK_SIZE) });
    await expect(b.engine.pauseFile(bSeesA.key, fileId)).rejects.toMatchObject({ code: 'NOT_ALLOWED' });
  }, 60_000);
});
