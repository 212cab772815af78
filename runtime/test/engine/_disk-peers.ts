/**
 * Peers on folders of their own (FileStore and FileBlobs, as wschat keeps them) through a real
 * relay on 127.0.0.1; everything started is stopped and removed after each test (tests only).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { startRelay, type RunningRelay } from '@parley/relay';
import type { Identity } from '../../src/index.ts';
import { FileBlobs } from '../../src/node/file-blobs.ts';
import { FileStore } from '../../src/node/file-store.ts';
import { NodeWsTransport } from '../../src/node/ws-transport.ts';
import { online, peer, type TestPeer } from './_setup.ts';

export type DiskPeer = TestPeer & { dir: string };

export function diskPeers(prefix: string): {
  relay(): Promise<RunningRelay>;
  /** A peer on its own folder (`dir` again with `identity`: the same device after a restart). */
  client(r: RunningRelay, dir?: string, identity?: Identity): Promise<DiskPeer>;
  /** Stops a peer's engine now (its folder stays, for `client` to start it again). */
  stop(p: TestPeer): Promise<void>;
} {
  const running: TestPeer[] = [];
  const relays: RunningRelay[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const p of running.splice(0)) await p.engine.stop();
    for (const r of relays.splice(0)) await r.close();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  return {
    async relay() {
      const r = await startRelay({ port: 0, host: '127.0.0.1', logLevel: 'silent', limits: { shutdownRetryAfterMs: 0 } });
      relays.push(r);
      return r;
    },
    async stop(p) {
      await p.engine.stop();
      const i = running.indexOf(p);
      if (i >= 0) running.splice(i, 1);
    },
    async client(r, dir, identity) {
      const d = dir ?? (await mkdtemp(join(tmpdir(), `parley-${prefix}-`)));
      if (!dir) dirs.push(d);
      const p = await peer(
        { keys: { url: r.url, x: r.publicKeys.x, ed: r.publicKeys.ed }, transport: () => new NodeWsTransport() },
        { store: await FileStore.open(join(d, 'state'), { fsync: false }), blobs: await FileBlobs.open(join(d, 'blobs'), { fsync: false }), ...(identity ? { identity } : {}) },
      );
      const disk = { ...p, dir: d };
      running.push(disk);
      await p.engine.start();
      await online(p);
      return disk;
    },
  };
}
