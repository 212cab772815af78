/**
 * OffHeapGovernor (runtime/src/node/off-heap-governor.ts), which keeps a file transfer's dead
 * chunk buffers bounded: it looks at the array-buffer total only every `checkEveryBytes` of file
 * data, asks for a full collection only past `limitBytes`, and that collection frees dead buffers.
 */
import { describe, expect, it } from 'vitest';
import { OffHeapGovernor } from '../../src/node/off-heap-governor.ts';

const MiB = 2 ** 20;

/** `n` MiB of buffers, held by the returned array until the caller drops it. */
const buffers = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => new Uint8Array(MiB).fill(i));

describe('the off-heap governor', () => {
  it('collects once the array buffers pass the limit, and frees the dead ones', async () => {
    const g = new OffHeapGovernor({ limitBytes: 8 * MiB, checkEveryBytes: MiB });
    let held: Uint8Array[] | undefined = buffers(32);
    const before = process.memoryUsage().arrayBuffers;
    expect(before).toBeGreaterThan(32 * MiB);
    expect(held.length).toBe(32);
    held = undefined; // dead now, but counted until a collection
    g.moved(MiB);
    expect(g.collections).toBe(1);
    await new Promise((r) => setTimeout(r, 50)); // buffers are swept after the collection
    expect(process.memoryUsage().arrayBuffers).toBeLessThan(before - 16 * MiB);
  });

  it('does not look before `checkEveryBytes` of file data moved', () => {
    const g = new OffHeapGovernor({ limitBytes: 0, checkEveryBytes: 4 * MiB });
    g.moved(MiB);
    g.moved(MiB);
    expect(g.collections).toBe(0);
    g.moved(2 * MiB);
    expect(g.collections).toBe(1);
  });

  it('does not collect under the limit', () => {
    const g = new OffHeapGovernor({ limitBytes: Number.MAX_SAFE_INTEGER, checkEveryBytes: 1 });
    for (let i = 0; i < 10; i++) g.moved(MiB);
    expect(g.collections).toBe(0);
  });
});
