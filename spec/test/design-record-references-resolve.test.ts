/**
 * The design record is the repository's own: every mention of a DESIGN.md in code, docs and the
 * spec names spec/DESIGN.md (by that path, or by a relative path or link that resolves to it),
 * never a file outside the repository, and every section it names in quotes is a heading of
 * spec/DESIGN.md.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RECORD = join(ROOT, 'spec', 'DESIGN.md');
const SKIP = new Set(['node_modules', '.git', 'dist', 'build', '.gradle', 'results']);
const TEXT = /\.(ts|tsx|mjs|js|md|yaml|yml|py|kt|java|html)$/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const p = join(dir, name);
    const s = statSync(p);
    return s.isDirectory() ? files(p) : TEXT.test(name) && s.size < 2_000_000 ? [p] : [];
  });
}

/** Comment continuations (` * `, `// `, `# `) joined, so a section name wrapped over lines reads whole. */
const joined = (text: string) => text.replace(/\s*\n\s*(?:\*(?!\/)|\/\/|#(?!#))?\s*/g, ' ');

/** A reference's path prefix resolves to spec/DESIGN.md from the file, or from the repository root. */
function resolves(file: string, prefix: string): boolean {
  if (prefix === '') return dirname(file) === dirname(RECORD) || relative(ROOT, file) === 'README.md';
  return resolve(dirname(file), `${prefix}DESIGN.md`) === RECORD || resolve(ROOT, `${prefix}DESIGN.md`) === RECORD;
}

describe('references to the design record', () => {
  const headings = readFileSync(RECORD, 'utf8').split('\n').filter((l) => /^#{2,4} /.test(l)).map((l) => l.replace(/^#+ /, '').trim());
  const self = fileURLToPath(import.meta.url);
  const all = files(ROOT).filter((f) => f !== RECORD && f !== self);
  const refs: { file: string; prefix: string; section?: string }[] = [];
  for (const file of all) {
    const text = joined(readFileSync(file, 'utf8'));
    for (const m of text.matchAll(/([\w./-]*?)DESIGN\.md(?:\]\([^)]*\))?[,:]?\s*(?:section\s+)?(?:"([^"]{2,80})"|“([^”]{2,80})”)?/g)) {
      refs.push({ file: relative(ROOT, file), prefix: m[1]!, section: m[2] ?? m[3] });
    }
  }

  it('finds the references it checks (the scan can fail)', () => {
    expect(headings).toContain('What the threat model gives up');
    expect(refs.length).toBeGreaterThan(30);
    expect(refs.filter((r) => r.section !== undefined).length).toBeGreaterThan(20);
    expect(resolves(join(ROOT, 'relay', 'src', 'x.ts'), '../shared/')).toBe(false);
  });

  it('points every reference at spec/DESIGN.md', () => {
    const outside = refs.filter((r) => !resolves(join(ROOT, r.file), r.prefix)).map((r) => `${r.file}: ${r.prefix}DESIGN.md`);
    expect(outside).toEqual([]);
  });

  it('names only sections spec/DESIGN.md has', () => {
    const missing = refs
      .filter((r) => r.section !== undefined && !headings.some((h) => h.startsWith(r.section!.replace(/[.,;]$/, ''))))
      .map((r) => `${r.file}: "${r.section}"`);
    expect(missing).toEqual([]);
  });
});
