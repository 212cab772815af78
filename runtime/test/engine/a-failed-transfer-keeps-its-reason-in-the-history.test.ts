/**
 * Why a file transfer ended stays with its history item (issue 19: the web app shows it after a
 * reload, when no `file-failed` event comes again): a transfer cancelled by its sender is marked
 * failed with reason `cancelled` on both sides, and still is after the receiver restarts. Real
 * relay on 127.0.0.1, real WebSockets, FileStore and FileBlobs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FILE_CHUNK_SIZE } from '@parley/generated';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@parley/relay';
import { randomBytes } from '../../src/crypto/index.ts';
import { FileBlobs } from '../../src/node/file-blobs.ts';
import { FileStore } from '../../src/node/file-store.ts';
import { NodeWsTransport } from '../../src/node/ws-transport.ts';
import type { Identity } from '../../src/index.ts';
import { befriend, online, peer, until, type TestPeer } from './_setup.ts';

const running: TestPeer[] = [];
const relays: RunningRelay[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.engine.stop();
  for (const r of relays.splice(0)) await r.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A peer on its own folder (`dir` again with `identity`: the same device after a restart). */
async function client(r: RunningRelay, dir?: string, identity?: Identity): Promise<TestPeer & { dir: string }> {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'parley-reason-')));
  if (!dir) dirs.push(d);
  const p = await peer(
    { keys: { url: r.url, x: r.publicKeys.x, ed: r.publicKeys.ed }, transport: () => new NodeWsTransport() },
    { store: await FileStore.open(join(d, 'state'), { fsync: false }), blobs: await FileBlobs.open(join(d, 'blobs'), { fsync: false }), ...(identity ? { identity } : {}) },
  );
  running.push(p);
  await p.engine.start();
  await online(p);
  return { ...p, dir: d };
}

describe('a failed transfer', () => {
  it('keeps why it ended in the history of both sides, across a restart', async () => {
    const relay = await startRelay({ port: 0, host: '127.0.0.1', logLevel: 'silent', limits: { shutdownRetryAfterMs: 0 } });
    relays.push(relay);
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

    await b.engine.stop();
    running.splice(running.indexOf(b), 1);
    b = await client(relay, b.dir, b.identity);
    expect(await fileOf(b, bSeesA.key)).toMatchObject({ state: 'failed', reason: 'cancelled' });
  }, 180_000);
});
