/**
 * A large file goes from one wschat to another without either process holding it in memory
 * (issue 19: "peak RSS growth at most 64 MiB … on both sides, independent of file size"). Real
 * relay on 127.0.0.1, `file send` and `listen` each in its own process with fsync on (as users
 * run them), the file read from disk and saved to disk. Each side's resident set is read from
 * /proc/<pid>/status (@parley/test-kit/memory, the same measure as the files bench):
 * - sender: the peak of the `file send` process, over the peak of the same command sending a
 *   1-byte file just before (code loaded, connected, one transfer done);
 * - receiver: the peak of the `listen` process from the moment it saved that 1-byte file (its
 *   receive path loaded) to the moment it saved the large one, over its RSS at that moment.
 * Two sizes, each with fresh processes: both growths stay under the bound at both sizes, and
 * the larger file does not cost memory in proportion to its extra bytes. The saved file's
 * SHA-256 must equal the sent file's, so a failed transfer cannot pass.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOUNDED_TEST_SIZES, FILE_TRANSFER_RSS_GROWTH_MAX, PeakRss, transferGrowthVerdict, type SidesGrowth } from '@parley/test-kit/memory';
import { World, befriend, pair } from './_harness.ts';

const MiB = 2 ** 20;
const { small: SMALL, large: LARGE } = BOUNDED_TEST_SIZES;
/** Longest one transfer may take: 128 MiB at 1.5 MB/s, on a machine shared with other tests. */
const TRANSFER_MS = 90_000;
/** fsync on for the measured commands, as the CLI runs by default (the harness turns it off). */
const FSYNC = { WSCHAT_FSYNC: '1' };

/** Writes `size` random bytes to `path` a MiB at a time; returns their SHA-256. */
function writeRandomFile(path: string, size: number): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  try {
    for (let at = 0; at < size; at += MiB) {
      const block = randomBytes(Math.min(MiB, size - at));
      hash.update(block);
      writeSync(fd, block);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const block of createReadStream(path)) hash.update(block as Buffer);
  return hash.digest('hex');
}

describe('a large file transfer keeps both sides memory bounded', () => {
  const w = new World();
  let a = '';
  let b = '';
  let bob = { id: '' };
  let tiny = '';

  beforeAll(async () => {
    const relay = await w.relay();
    ({ a, b } = await pair(w, relay));
    bob = await befriend(w, a, b);
    tiny = join(await w.root(), 'tiny.bin');
    writeRandomFile(tiny, 1);
  }, 120_000);

  afterAll(() => w.cleanup());

  /** One file of `size` bytes sent in fresh processes; each side's peak RSS growth. */
  async function transfer(size: number): Promise<SidesGrowth> {
    const file = join(await w.root(), `file-${size}.bin`);
    const digest = writeRandomFile(file, size);
    const listen = w.start(['listen', '--json', '--count', '2', '--home', b], { env: FSYNC });
    const receiver = new PeakRss(listen.child.pid!);
    try {
      const warm = w.start(['file', 'send', bob.id, tiny, '--json', '--home', a], { env: FSYNC });
      const warmRss = new PeakRss(warm.child.pid!);
      await listen.event('file', (e) => e.size === 1, TRANSFER_MS);
      expect(await warm.exited).toBe(0);
      warmRss.stop();
      receiver.mark();

      const send = w.start(['file', 'send', bob.id, file, '--json', '--timeout', String(TRANSFER_MS / 1000), '--home', a], { env: FSYNC });
      const sender = new PeakRss(send.child.pid!);
      const saved = await listen.event('file', (e) => e.size === size && typeof e.path === 'string', TRANSFER_MS);
      receiver.sample();
      expect(await send.exited).toBe(0);
      sender.stop();
      expect(await sha256Of(saved.path as string)).toBe(digest);
      return { sender: sender.peak - warmRss.peak, receiver: receiver.growth };
    } finally {
      receiver.stop();
      await listen.stop();
    }
  }

  it(`stays under ${FILE_TRANSFER_RSS_GROWTH_MAX / MiB} MiB on both sides, not growing with the file's size`, async () => {
    const small = await transfer(SMALL);
    const large = await transfer(LARGE);
    const { report, broken } = transferGrowthVerdict(small, large);
    console.info(report); // the figures, for the issue and the bench notes
    expect(broken, report).toEqual([]);
  }, 2 * TRANSFER_MS + 120_000);
});
