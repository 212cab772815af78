/**
 * The third-party vectors our crypto tests read are kept in ./vectors so that any clone runs
 * them. Where the project's shared copy sits beside the repository root (../shared/vectors, as in
 * CI), every vendored file must be byte-identical to it: the vectors that must pass are exactly
 * the shared ones, and a copy that drifted (edited, truncated, out of date) fails here.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VENDORED_VECTORS } from './_vectors.ts';

const vendored = fileURLToPath(VENDORED_VECTORS);
const shared = fileURLToPath(new URL('../../../../shared/vectors/', import.meta.url));

/** Data files below `dir` (READMEs describe their own folder and are not data). */
function dataFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name !== 'README.md') out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

describe('vendored third-party vectors', () => {
  it('hold every file the tests read, with its licence', () => {
    expect(dataFiles(vendored)).toEqual([
      'blake3/LICENSE_A2',
      'blake3/test_vectors.json',
      'wycheproof/LICENSE',
      'wycheproof/chacha20_poly1305_test.json',
      'wycheproof/ed25519_test.json',
      'wycheproof/x25519_test.json',
      'wycheproof/xchacha20_poly1305_test.json',
    ]);
  });

  it.skipIf(!existsSync(shared))('are byte-identical to the shared copy beside the repository', () => {
    expect(dataFiles(vendored)).toEqual(dataFiles(shared));
    for (const f of dataFiles(shared)) {
      expect(readFileSync(join(vendored, f)).equals(readFileSync(join(shared, f))), f).toBe(true);
    }
  });
});
