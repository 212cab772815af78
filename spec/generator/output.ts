/**
 * The generated folder as the generator owns it: writing a complete set of generated files
 * (removing whatever an earlier run wrote that this one does not), and comparing a folder with
 * the set it should hold. Every file under generated/ is the generator's except the hand-written
 * ones (HAND_WRITTEN).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GeneratedFile } from './emit/file.ts';
import { MANIFEST_PATH, readManifest, sha256 } from './manifest.ts';

/** Hand-written parts of generated/ (a trailing slash: a folder): the package, its README, its tsconfig, its tests. */
export const HAND_WRITTEN = ['package.json', 'README.md', 'tsconfig.json', 'test/'];

/** Folders never looked into: installed packages and TypeScript's build output (both git-ignored). */
const SKIPPED = new Set(['node_modules', '.tsbuild']);

function isHandWritten(path: string): boolean {
  return HAND_WRITTEN.some((h) => (h.endsWith('/') ? path.startsWith(h) : path === h));
}

function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const rel = prefix + d.name;
    if (d.isDirectory()) return SKIPPED.has(d.name) ? [] : listFiles(join(dir, d.name), rel + '/');
    return [rel];
  });
}

/** The files of a generated folder that the generator owns (paths relative to it, sorted). */
export function ownedFiles(dir: string): string[] {
  return listFiles(dir)
    .filter((p) => !isHandWritten(p))
    .sort();
}

/** Writes files into dir; with prune, removes owned files not among them (and folders left empty). */
export function writeGenerated(dir: string, files: readonly GeneratedFile[], prune: boolean): void {
  for (const f of files) {
    const p = join(dir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    if (!existsSync(p) || readFileSync(p, 'utf8') !== f.content) writeFileSync(p, f.content);
  }
  if (!prune) return;
  const keep = new Set(files.map((f) => f.path));
  for (const p of ownedFiles(dir)) {
    if (keep.has(p)) continue;
    rmSync(join(dir, p));
    removeEmptyParents(dir, dirname(p));
  }
}

function removeEmptyParents(root: string, rel: string): void {
  for (let d = rel; d !== '.' && d !== ''; d = dirname(d)) {
    const abs = join(root, d);
    if (!statSync(abs).isDirectory() || readdirSync(abs).length) return;
    rmdirSync(abs);
  }
}

/** One way a generated folder differs from what the generator writes. */
export interface Problem {
  kind: 'missing' | 'unexpected' | 'stale' | 'edited' | 'spec changed';
  /** Relative to the generated folder. */
  path: string;
  detail: string;
}

/**
 * Compares a generated folder with the complete set of files it should hold (the manifest
 * included). A file that differs is `edited` when its hash is not the one the folder's own
 * manifest lists (someone changed it after gen wrote it), `stale` otherwise (the spec or the
 * generator changed since).
 */
export function compareGenerated(dir: string, want: readonly GeneratedFile[]): Problem[] {
  const problems: Problem[] = [];
  const recorded = readManifest(dir);
  const wantManifest = want.find((f) => f.path === MANIFEST_PATH);
  if (recorded && wantManifest) {
    const now = (JSON.parse(wantManifest.content) as { spec: { path: string; sha256: string } }).spec;
    if (recorded.spec.sha256 !== now.sha256)
      problems.push({ kind: 'spec changed', path: MANIFEST_PATH, detail: `${now.path} has sha256 ${now.sha256.slice(0, 12)}…, generated/ was written from ${recorded.spec.sha256.slice(0, 12)}…` });
  }
  const wanted = new Set(want.map((f) => f.path));
  for (const f of want) {
    const p = join(dir, f.path);
    if (!existsSync(p)) {
      problems.push({ kind: 'missing', path: f.path, detail: 'not in the folder' });
      continue;
    }
    const have = readFileSync(p, 'utf8');
    if (have === f.content) continue;
    const listed = recorded?.files[f.path];
    const edited = f.path !== MANIFEST_PATH && listed !== undefined && listed !== sha256(have);
    problems.push({ kind: edited ? 'edited' : 'stale', path: f.path, detail: firstDifference(have, f.content) });
  }
  for (const p of ownedFiles(dir)) if (!wanted.has(p)) problems.push({ kind: 'unexpected', path: p, detail: 'no generator writes it' });
  return problems;
}

function firstDifference(have: string, want: string): string {
  const x = have.split('\n');
  const y = want.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if (x[i] !== y[i]) return `line ${i + 1}:\n    - ${(x[i] ?? '<end>').slice(0, 160)}\n    + ${(y[i] ?? '<end>').slice(0, 160)}`;
  return '';
}
