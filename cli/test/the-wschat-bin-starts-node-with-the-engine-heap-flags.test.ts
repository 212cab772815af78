/**
 * wschat's bin starts Node with ENGINE_NODE_FLAGS (runtime/src/node/heap-flags.ts: the small
 * young generation that bounds a file transfer's memory), through its shebang, and started
 * that way (as `npx wschat` and an installed `wschat` start it) it runs.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENGINE_NODE_FLAGS } from '@parley/runtime/node';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/wschat.js', import.meta.url));

describe('the wschat bin', () => {
  it('passes every engine heap flag to node in its shebang', () => {
    const shebang = readFileSync(BIN, 'utf8').split('\n')[0]!;
    expect(shebang.startsWith('#!/usr/bin/env -S node ')).toBe(true);
    const args = shebang.split(/\s+/).slice(3);
    expect(ENGINE_NODE_FLAGS.length).toBeGreaterThan(0);
    for (const f of ENGINE_NODE_FLAGS) expect(args).toContain(f);
  });

  it('runs when started through the shebang', () => {
    const out = execFileSync(BIN, ['--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
