/**
 * Why a file transfer ended stays with its history item (issue 19: the web app shows it after a
 * reload, when no `file-failed` event comes again): a transfer cancelled by its sender is marked
 * failed with reason `cancelled` on both sides, and still is after the receiver restarts. Real
 * relay on 127.0.0.1, real WebSockets, FileStore and FileBlobs.
 */
import { join } from 'node:path';
import { FILE_CHUNK_SIZE } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/index.ts';
import { diskPeers } from './_disk-peers.ts';
import { befriend, until, type TestPeer } from './_setup.ts';

const { relay: newRelay, client, stop } = diskPeers('reason');

describe('a failed transfer', () => {
  it('keeps why it ended in the history of both sides, across a restart', async () => {
    const relay = await newRelay();
    const a = await client(relay);
    let b = await client(relay);
    const { aSeesB, bSeesA } = await befriend(a, b);
    const { fileId } = await a.engine.sendFile(aSeesB.key, { name: 'big.bin', bytes: randomBytes(300 * FILE_CHUNK_SIZE) });
    await until(() => b.of('file-progress').some((p) => p.fileId === fileId && p.chunks > 0), 60_000, 'the transfer under way');
    await a.engine.cancelFile(aSeesB.key, fileId);
    await until(() => b.of('file-failed').some((f) => f.fileId === fileId), 60_000, 'the receiver told');
    expect(b.of('file-failed').find((f) => f.fileId === fileId)!.reason).toBe('cancelled');
    const fileOf = async (p: TestPeer, key: string) => (await p.engine.history(key)).find((h) => h.file?.fileId === fileId)?.file;
    expect(await fileOf(a, aSeesB.key)).toMatchObject({ state: 'failed', reason: 'cancelled' });
    expect(await fileOf(b, bSeesA.key)).toMatchObject({ state: 'failed', reason: 'cancelled' });

    await stop(b);
    b = await client(relay, b.dir, b.identity);
    expect(await fileOf(b, bSeesA.key)).toMatchObject({ state: 'failed', reason: 'cancelled' });
  }, 180_000);
});
