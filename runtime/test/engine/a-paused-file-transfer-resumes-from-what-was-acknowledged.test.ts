/**
 * Pausing and resuming a file transfer (issue 19, the web app's pause button): a paused
 * transfer seals no new chunk, stays paused across a restart of the sender, and once resumed
 * completes from the chunks already acknowledged, with the right bytes. Real relay on 127.0.0.1,
 * real WebSockets, FileStore and FileBlobs.
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
import { befriend, online, peer, settle, until, type TestPeer } from './_setup.ts';

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
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'parley-pause-')));
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

describe('a paused file transfer', () => {
  it('sends no new chunk while paused, even after a restart, and completes once resumed', async () => {
    const relay = await startRelay({ port: 0, host: '127.0.0.1', logLevel: 'silent', limits: { shutdownRetryAfterMs: 0 } });
    relays.push(relay);
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
    await a.engine.stop();
    running.splice(running.indexOf(a), 1);
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
    const relay = await startRelay({ port: 0, host: '127.0.0.1', logLevel: 'silent', limits: { shutdownRetryAfterMs: 0 } });
    relays.push(relay);
    const a = await client(relay);
    const b = await client(relay);
    const { aSeesB, bSeesA } = await befriend(a, b);
    const { fileId } = await a.engine.sendFile(aSeesB.key, { name: 'x.bin', bytes: randomBytes(3 * FILE_CHUNK_SIZE) });
    await expect(b.engine.pauseFile(bSeesA.key, fileId)).rejects.toMatchObject({ code: 'NOT_ALLOWED' });
  }, 60_000);
});
