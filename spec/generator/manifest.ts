/**
 * generated/manifest.json: the spec's hash and the hash of every file `npm run gen` writes. The
 * generated files themselves carry a short header without a hash, so a spec change rewrites only
 * the files whose content changes; the manifest is the one place that ties generated/ to a
 * spec version, and the record `gen:check` uses to tell a hand edit from a stale file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpecIR } from './ir.ts';
import { moduleOf, stamp, type GeneratedFile } from './emit/file.ts';

/** Path of the manifest, relative to generated/. */
export const MANIFEST_PATH = 'manifest.json';

const GENERATOR = moduleOf(import.meta.url);

export interface Manifest {
  _generated: string;
  about: string;
  spec: { path: string; sha256: string };
  /** Every file gen writes but the manifest, relative to generated/: its sha256 (hex). */
  files: Record<string, string>;
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The manifest of a set of generated files (which must not include the manifest itself). */
export function buildManifest(ir: SpecIR, files: readonly GeneratedFile[]): GeneratedFile {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest: Manifest = {
    _generated: stamp(ir, 'json', GENERATOR),
    about:
      'Every file `npm run gen` writes into generated/, with its sha256, and the sha256 of the spec it was written from. ' +
      '`npm run gen:check` regenerates everything and fails on a missing, extra or different file; a file whose hash differs from the one listed here was edited by hand.',
    spec: { path: ir.source, sha256: ir.hash },
    files: Object.fromEntries(sorted.map((f) => [f.path, sha256(f.content)])),
  };
  return { path: MANIFEST_PATH, content: JSON.stringify(manifest, null, 2) + '\n' };
}

/** The manifest in a generated folder, or undefined when it is missing or unreadable. */
export function readManifest(dir: string): Manifest | undefined {
  const file = join(dir, MANIFEST_PATH);
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Partial<Manifest>;
    if (typeof m.spec?.sha256 !== 'string' || typeof m.files !== 'object' || m.files === null) return undefined;
    return m as Manifest;
  } catch {
    return undefined;
  }
}
