/**
 * One runtime engine in its own process, for the files bench and the engine's bounded-memory
 * test: a FileStore with fsync on (as the CLI uses it) in a temporary folder, connected to the
 * relay named on the command line; it sends a file from disk and receives into a part file
 * (streamReceivedFiles). The parent drives it over IPC (`PeerCommand`, see index.ts); it answers
 * with `PeerReply`. It watches its own resident set (PeakRss, ../memory) and reports the peak
 * growth over the baseline the parent sets with `mark`, and the SHA-256 of the file it sent or
 * received (read back after the measurement). Timestamps are wall-clock milliseconds with
 * sub-millisecond precision (performance.timeOrigin + now), comparable across processes on the
 * same machine.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Engine, generateIdentity, pickBackend } from '@parley/runtime';
import { FileBlobs, FileStore, NodeWsTransport } from '@parley/runtime/node';
import { PeakRss } from '../memory/index.ts';

export type PeerCommand =
  | { cmd: 'invite' }
  | { cmd: 'add'; invite: string }
  | { cmd: 'mark' }
  | { cmd: 'send'; contact: string; size: number }
  | { cmd: 'stop' };

export type PeerReply =
  | { ready: true }
  | { invite: string }
  | { contact: string }
  | { queued: true; startedAt: number; sentAt: number[]; sha256: string }
  | { received: true; size: number; chunkAt: number[]; doneAt: number; peakRssGrowth: number; sha256: string }
  | { delivered: true; sentAt: number[]; doneAt: number; peakRssGrowth: number }
  | { error: string };

const now = () => performance.timeOrigin + performance.now();
const [url, xHex, edHex, name] = process.argv.slice(2) as [string, string, string, string];
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-files-'));
const send = (r: PeerReply) => process.send!(r);

// VmRSS samples miss what happens while the event loop is busy; VmHWM, reset by mark(), does not
const rss = new PeakRss(process.pid);

const engine = new Engine({
  identity: await generateIdentity(await pickBackend()),
  relay: { url, x: Uint8Array.from(Buffer.from(xHex, 'hex')), ed: Uint8Array.from(Buffer.from(edHex, 'hex')) },
  store: await FileStore.open(join(dir, 'state')),
  blobs: await FileBlobs.open(join(dir, 'blobs')),
  holdReceivedFiles: true,
  streamReceivedFiles: true, // as the CLI: the file is read from its part file, never whole in memory
  transport: new NodeWsTransport(),
  displayName: name,
  registerWake: false,
});

// Chunk arrival (receiver) and first send (sender) times, the k-th entry for the k-th chunk.
let chunkAt: number[] = [];
let sentAt: number[] = [];
let lastSent = 0;
engine.on('contact-request', ({ contact }) => void engine.acceptContact(contact.key).then(() => send({ contact: contact.key })));
engine.on('error', (e) => process.stderr.write(`${name}: ${e.context}: ${String(e.error)}\n`));
engine.on('file-progress', (p) => {
  if (p.direction === 'in') {
    while (chunkAt.length < p.chunks) chunkAt.push(now());
  } else if (p.sent !== undefined && p.sent > lastSent) {
    for (; lastSent < p.sent; lastSent++) sentAt.push(now());
  }
  if (p.direction === 'out' && p.chunks === p.totalChunks) send({ delivered: true, sentAt, doneAt: now(), peakRssGrowth: (rss.sample(), rss.growth) });
});
engine.on('file', (f) => {
  const doneAt = now();
  rss.sample();
  const peakRssGrowth = rss.growth;
  const run = async (): Promise<void> => {
    // read back in chunks, as `wschat listen` copies a received file out of its part file
    const hash = createHash('sha256');
    for (let at = 0; at < f.size; at += 1 << 20) hash.update(await f.read(at, 1 << 20));
    send({ received: true, size: f.size, chunkAt, doneAt, peakRssGrowth, sha256: hash.digest('hex') });
    await engine.releaseFile(f.contact, f.fileId);
  };
  run().catch((e: unknown) => send({ error: (e as Error).message }));
});

function stop(): void {
  rss.stop();
  void engine.stop().finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
}

process.on('message', (m: PeerCommand) => {
  const run = async (): Promise<void> => {
    if (m.cmd === 'invite') send({ invite: (await engine.createInvite({ maxUses: 1 })).text });
    else if (m.cmd === 'add') {
      const added = await engine.addContact(m.invite);
      await engine.next('contact-accepted');
      send({ contact: added.key });
    } else if (m.cmd === 'mark') {
      (globalThis as { gc?: () => void }).gc?.();
      chunkAt = [];
      sentAt = [];
      lastSent = 0;
      rss.mark();
      send({ ready: true });
    } else if (m.cmd === 'send') {
      // The file is written to disk first (outside the measurement) and read by the engine in
      // chunks, as the CLI sends a file.
      const path = join(dir, 'bench.bin');
      const out = openSync(path, 'w');
      const hash = createHash('sha256');
      for (let at = 0; at < m.size; at += 1 << 20) {
        const block = randomBytes(Math.min(1 << 20, m.size - at));
        hash.update(block);
        writeSync(out, block);
      }
      closeSync(out);
      (globalThis as { gc?: () => void }).gc?.();
      rss.mark(); // writing the file is not part of sending it
      const fd = openSync(path, 'r');
      const source = {
        size: m.size,
        read: async (at: number, n: number) => {
          const b = new Uint8Array(n);
          const got = readSync(fd, b, 0, n, at);
          return b.subarray(0, got);
        },
      };
      const startedAt = now();
      try {
        await engine.sendFile(m.contact, { name: 'bench.bin', mime: 'application/octet-stream', source });
      } finally {
        closeSync(fd);
      }
      send({ queued: true, startedAt, sentAt, sha256: hash.digest('hex') });
    } else if (m.cmd === 'stop') stop();
  };
  run().catch((e: unknown) => send({ error: (e as Error).message }));
});
process.on('disconnect', stop);

await engine.start();
const deadline = Date.now() + 30_000;
while (engine.state.state !== 'online') {
  if (Date.now() > deadline) throw new Error(`${name}: not online after 30 s`);
  await new Promise((r) => setTimeout(r, 20));
}
send({ ready: true });
