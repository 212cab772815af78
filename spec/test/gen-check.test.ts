/**
 * `npm run gen` is the one writer of generated/, and `npm run gen:check` fails on any file that is
 * missing, extra, stale or edited by hand: the tiny spec generated into a temporary folder, then
 * broken in each of those ways. generated/manifest.json holds the hashes, so a small spec change
 * rewrites only the files whose content changes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateAll, runStep, STEPS, type Step } from '../generator/gen.ts';
import { MANIFEST_PATH, readManifest, sha256 } from '../generator/manifest.ts';
import { compareGenerated, writeGenerated } from '../generator/output.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const root = here('../../');
const tinySpec = here('./fixtures/tiny.yaml');
const step: Step = { path: 'vectors/step.json', script: 'spec/test/fixtures/gen-step.ts' };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-gen-check-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const kinds = (problems: { kind: string; path: string }[]) => problems.map((p) => `${p.kind} ${p.path}`).sort();

describe('gen:check over a generated folder', () => {
  it('finds nothing to report right after gen wrote the folder', () => {
    const files = generateAll(tinySpec, []);
    writeGenerated(dir, files, true);
    expect(compareGenerated(dir, files)).toEqual([]);
  });

  it('reports a hand-edited file as edited (its hash is not the manifest\'s), and only that file', () => {
    const files = generateAll(tinySpec, []);
    writeGenerated(dir, files, true);
    writeFileSync(join(dir, 'src/codec/point.ts'), readFileSync(join(dir, 'src/codec/point.ts'), 'utf8').replace('export function', 'export  function'));
    expect(kinds(compareGenerated(dir, files))).toEqual(['edited src/codec/point.ts']);
  });

  it('reports a missing file, and an extra one, but leaves the hand-written files alone', () => {
    const files = generateAll(tinySpec, []);
    writeGenerated(dir, files, true);
    rmSync(join(dir, 'testing/invalid.ts'));
    writeFileSync(join(dir, 'src/leftover.ts'), 'export const x = 1;\n');
    writeFileSync(join(dir, 'package.json'), '{}\n');
    writeFileSync(join(dir, 'README.md'), '# hand-written\n');
    writeFileSync(join(dir, 'tsconfig.json'), '{}\n');
    mkdirSync(join(dir, '.tsbuild'));
    writeFileSync(join(dir, '.tsbuild/constants.d.ts'), '// build output\n');
    mkdirSync(join(dir, 'test'));
    writeFileSync(join(dir, 'test/own.test.ts'), '// hand-written\n');
    expect(kinds(compareGenerated(dir, files))).toEqual(['missing testing/invalid.ts', 'unexpected src/leftover.ts']);

    writeGenerated(dir, files, true); // gen removes what no generator writes, and nothing hand-written
    expect(compareGenerated(dir, files)).toEqual([]);
    expect(existsSync(join(dir, 'src/leftover.ts'))).toBe(false);
    expect(['package.json', 'README.md', 'tsconfig.json', '.tsbuild/constants.d.ts', 'test/own.test.ts'].every((p) => existsSync(join(dir, p)))).toBe(true);
  });

  it('reports a file an older generator wrote (listed with its own hash) as stale, not edited', () => {
    const files = generateAll(tinySpec, []);
    writeGenerated(dir, files, true);
    const old = readFileSync(join(dir, 'src/_runtime.ts'), 'utf8') + '// an older runtime\n';
    writeFileSync(join(dir, 'src/_runtime.ts'), old);
    const manifest = readManifest(dir)!;
    manifest.files['src/_runtime.ts'] = sha256(old);
    writeFileSync(join(dir, MANIFEST_PATH), JSON.stringify(manifest, null, 2) + '\n');
    expect(kinds(compareGenerated(dir, files))).toEqual(['stale manifest.json', 'stale src/_runtime.ts']);
  });

  it('after a small spec change, reports the spec change and rewrites only the files whose content changes', () => {
    // Both versions as tiny.yaml outside the repository, so headers name the same source.
    const specs = mkdtempSync(join(tmpdir(), 'parley-gen-spec-'));
    const originalSpec = join(specs, 'v1', 'tiny.yaml');
    const changedSpec = join(specs, 'v2', 'tiny.yaml');
    mkdirSync(dirname(originalSpec));
    mkdirSync(dirname(changedSpec));
    writeFileSync(originalSpec, readFileSync(tinySpec, 'utf8'));
    writeFileSync(changedSpec, readFileSync(tinySpec, 'utf8').replace('"UTF-8 bytes of a name."', '"UTF-8 bytes of a display name."'));
    writeGenerated(dir, generateAll(originalSpec, []), true);
    try {
      const after = generateAll(changedSpec, []);
      const problems = compareGenerated(dir, after);
      expect(problems[0]).toMatchObject({ kind: 'spec changed', path: MANIFEST_PATH });
      const rewritten = problems.filter((p) => p.kind === 'stale').map((p) => p.path);
      expect(rewritten).toContain('manifest.json');
      expect(rewritten).toContain('src/constants.ts');
      for (const same of ['src/_runtime.ts', 'src/codec-error.ts', 'src/layout-types.ts', 'testing/invalid.ts', 'src/codec/point.ts', 'src/regions.ts'])
        expect(rewritten, same).not.toContain(same);
      expect(rewritten.length).toBeLessThan(after.length / 2);
      // Headers carry no hash: the manifest carries the spec's.
      const hash = sha256(readFileSync(changedSpec, 'utf8'));
      expect(after.filter((f) => f.content.includes(hash)).map((f) => f.path)).toEqual(expect.arrayContaining([MANIFEST_PATH]));
      for (const f of after) if (f.path.endsWith('.ts')) expect(f.content.split('\n')[0], f.path).toMatch(/^\/\/ @generated by @parley\/spec from \S+ \(\S+\)\. DO NOT EDIT\.$/);
    } finally {
      rmSync(specs, { recursive: true, force: true });
    }
  });
});

describe('gen steps (files computed by another package)', () => {
  it('writes what the step prints and lists it in the manifest', () => {
    const files = generateAll(tinySpec, [step]);
    writeGenerated(dir, files, true);
    expect(JSON.parse(readFileSync(join(dir, step.path), 'utf8'))).toEqual({ computed: 'by a step' });
    expect(readManifest(dir)!.files[step.path]).toBe(sha256(readFileSync(join(dir, step.path))));
    expect(compareGenerated(dir, files)).toEqual([]);
  });

  it('fails with the step program and its error output when the step fails', () => {
    process.env.PARLEY_TEST_STEP_FAIL = '1';
    try {
      expect(() => runStep(step)).toThrow(/spec\/test\/fixtures\/gen-step\.ts \(for generated\/vectors\/step\.json\) failed: exit 3\nthe step could not compute its file/);
    } finally {
      delete process.env.PARLEY_TEST_STEP_FAIL;
    }
  });

  it('frames.json is a step of npm run gen, listed in generated/manifest.json', () => {
    expect(STEPS.map((s) => s.path)).toContain('vectors/frames.json');
    const manifest = readManifest(join(root, 'generated'))!;
    expect(manifest.files['vectors/frames.json']).toBe(sha256(readFileSync(join(root, 'generated/vectors/frames.json'))));
    expect(manifest.spec.sha256).toBe(sha256(readFileSync(join(root, 'spec/protocol.yaml'))));
  });
});

describe('the gen command', () => {
  const tsx = join(root, 'node_modules/.bin/tsx');
  const gen = (...args: string[]) =>
    spawnSync(tsx, [join(root, 'spec/generator/gen.ts'), '--spec', tinySpec, '--out', dir, '--no-steps', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

  it('writes the folder, passes --check, and fails --check (exit 1, naming the file) once a file is edited', () => {
    expect(gen().status).toBe(0);
    expect(gen('--check').status).toBe(0);
    writeFileSync(join(dir, 'src/constants.ts'), readFileSync(join(dir, 'src/constants.ts'), 'utf8') + '// edited\n');
    const r = gen('--check');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/edited +\S*src\/constants\.ts/);
    expect(r.stderr).toContain('Run `npm run gen` and commit.');
  });
});
