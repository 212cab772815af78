/**
 * A large file goes from one engine to another without either holding it in memory (issue 19:
 * "peak RSS growth at most 64 MiB … on both sides, independent of file size"). Real relay on
 * 127.0.0.1; each engine in its own process (@parley/test-kit/files, the files bench's peer) with
 * a FileStore and fsync on, as the CLI runs it: the sender reads the file from disk in chunks,
 * the receiver writes a part file and reads the finished file back in chunks
 * (streamReceivedFiles). Each process measures its own resident set (VmRSS samples and the
 * kernel's VmHWM, @parley/test-kit/memory) from a baseline taken after a garbage collection just
 * before the send, on an engine that already sent or received one file (code loaded, online).
 * Two sizes through the same pair: both growths stay under the bound at both sizes, and the
 * larger file does not cost memory in proportion to its extra bytes. The received file's SHA-256
 * must equal the sent file's, so a failed transfer cannot pass.
 */
import { startRelay } from '@parley/relay';
import { enginePair, sendThrough, type EnginePair } from '@parley/test-kit/files';
import { BOUNDED_TEST_SIZES, FILE_TRANSFER_RSS_GROWTH_MAX, transferGrowthVerdict } from '@parley/test-kit/memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MiB = 2 ** 20;
const { small: SMALL, large: LARGE } = BOUNDED_TEST_SIZES;
/** Longest one transfer may take: 128 MiB at 1.5 MB/s, on a machine shared with other tests. */
const TRANSFER_MS = 90_000;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('a large file transfer keeps both engines memory bounded', () => {
  let close: () => Promise<void> = async () => undefined;
  let pair: EnginePair;

  beforeAll(async () => {
    const relay = await startRelay({ port: 0, host: '127.0.0.1', logLevel: 'silent', limits: { shutdownRetryAfterMs: 0 } });
    close = () => relay.close();
    pair = await enginePair({ port: relay.port, x: hex(relay.publicKeys.x), ed: hex(relay.publicKeys.ed) });
    close = async () => {
      await pair.sender.stop();
      await pair.receiver.stop();
      await relay.close();
    };
  }, 120_000);

  afterAll(() => close());

  /** One file of `size` bytes; each engine's peak RSS growth. */
  async function transfer(size: number): Promise<{ sender: number; receiver: number }> {
    const { sent, received, delivered } = await sendThrough(pair, size, TRANSFER_MS);
    expect(received.size).toBe(size);
    expect(received.sha256).toBe(sent.sha256);
    return { sender: delivered.peakRssGrowth, receiver: received.peakRssGrowth };
  }

  it(`stays under ${FILE_TRANSFER_RSS_GROWTH_MAX / MiB} MiB on both sides, not growing with the file's size`, async () => {
    // warm-up: the first file loads the send and receive paths in each process
    await transfer(MiB);
    const small = await transfer(SMALL);
    const large = await transfer(LARGE);
    const { report, broken } = transferGrowthVerdict(small, large);
    console.info(report); // the figures, for the issue and the bench notes
    expect(broken, report).toEqual([]);
  }, 3 * TRANSFER_MS + 60_000);
});
