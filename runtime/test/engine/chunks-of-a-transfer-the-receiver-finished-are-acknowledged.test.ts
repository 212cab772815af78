/**
 * Chunks of a transfer the receiver already finished with (the CI stall of session 7: `wschat
 * file send` after a `/file` then `/quit`). A sender that quit before the acknowledgements came
 * resends them; they are acknowledged (file-ended.ts), so the transfer ends at once. Before, they
 * waited as DEFERRED until the sender gave the transfer up, and one that started a ratchet chain
 * held back the chain's later chunks (see deferred-messages-keep-their-session-step.test.ts).
 * Real relay on 127.0.0.1, real WebSockets, FileStore and FileBlobs.
 */
import { FILE_CHUNK_SIZE } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/index.ts';
import { diskPeers } from './_disk-peers.ts';
import { befriend, until } from './_setup.ts';

const { relay: newRelay, client, stop } = diskPeers('late-chunks');

describe('chunks of a transfer the receiver finished', () => {
  it('are acknowledged, so a restarted sender ends the transfer at once', async () => {
    const relay = await newRelay();
    let a = await client(relay);
    let b = await client(relay);
    const { aSeesB } = await befriend(a, b);
    await stop(b);
    // b is away: the offer and every chunk wait in its mailbox; a quits once they all went
    const chunks = 12;
    const bytes = randomBytes(chunks * FILE_CHUNK_SIZE - 100);
    const { fileId } = await a.engine.sendFile(aSeesB.key, { name: 'notes.bin', bytes });
    const sent = () => a.of('file-progress').filter((p) => p.fileId === fileId).at(-1)?.sent ?? 0;
    await until(() => sent() === chunks, 20_000, 'every chunk sent');
    await stop(a);

    // b takes the file; its acknowledgements wait in a's mailbox, naming ids only the old a knew
    b = await client(relay, b.dir, b.identity);
    await until(() => b.of('file').length === 1, 20_000, 'the file at b');
    expect(Buffer.from(b.of('file')[0]!.bytes!).equals(Buffer.from(bytes))).toBe(true);

    // a starts again and resends what it holds as unacknowledged: b acknowledges, a is done
    a = await client(relay, a.dir, a.identity);
    const done = () => a.of('file-progress').some((p) => p.fileId === fileId && p.direction === 'out' && p.chunks === chunks);
    await until(done, 15_000, 'the transfer acknowledged after the restart'); // resends wait 30 s otherwise
    await until(async () => (await a.engine.history(aSeesB.key)).find((h) => h.file?.fileId === fileId)?.status === 'delivered', 5000, 'the offer delivered');
    expect(b.of('dropped').filter((d) => d.code === 'DEFERRED')).toEqual([]);
    expect(b.of('file')).toHaveLength(1);
  }, 90_000);
});
