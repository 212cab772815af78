/**
 * transferGrowthVerdict, which the bounded-memory file tests (cli, runtime) rest on: it passes
 * streaming figures and refuses a side over the bound or one that grows with the file's size.
 */
import { describe, expect, it } from 'vitest';
import { BOUNDED_TEST_SIZES, FILE_TRANSFER_RSS_GROWTH_MAX, transferGrowthVerdict } from '../src/memory/index.ts';

const MiB = 2 ** 20;

describe('transferGrowthVerdict', () => {
  it('passes sides that stay small at both sizes, and reports the figures', () => {
    const v = transferGrowthVerdict({ sender: 4 * MiB, receiver: 13 * MiB }, { sender: 5 * MiB, receiver: 16 * MiB });
    expect(v.broken).toEqual([]);
    expect(v.report).toBe('growth at 16 MiB: sender 4.0 MiB, receiver 13.0 MiB; at 128 MiB: sender 5.0 MiB, receiver 16.0 MiB');
  });

  it('refuses a receiver that holds the whole file (it grows by the size difference)', () => {
    const { small, large } = BOUNDED_TEST_SIZES;
    const v = transferGrowthVerdict({ sender: 4 * MiB, receiver: small + 10 * MiB }, { sender: 5 * MiB, receiver: large + 10 * MiB });
    expect(v.broken).toContain('receiver over 64 MiB on the large file');
    expect(v.broken).toContain("receiver grows with the file's size");
    expect(v.broken.some((b) => b.startsWith('sender'))).toBe(false);
  });

  it('refuses a side just over the bound even when it does not grow with the size', () => {
    const over = FILE_TRANSFER_RSS_GROWTH_MAX + 1;
    expect(transferGrowthVerdict({ sender: over, receiver: 0 }, { sender: over, receiver: 0 }).broken).toEqual(['sender over 64 MiB on the small file', 'sender over 64 MiB on the large file']);
  });
});
