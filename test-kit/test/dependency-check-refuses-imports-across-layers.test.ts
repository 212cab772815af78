/**
 * The dependency check (src/layers): a small repository written to a temporary folder, with one
 * import of each kind the layers forbid and the same kinds done right, gets exactly the
 * violations it should, and `npm run deps:check`'s command exits 1 on it and names the file;
 * the real repository has none.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRepository, formatViolation } from '../src/layers/check.ts';
import { MAX_SOURCE_LINES } from '../src/layers/rules.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/layers/main.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function repo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'parley-layers-'));
  dirs.push(root);
  const all: Record<string, string> = {
    'package.json': JSON.stringify({ workspaces: ['generated', 'runtime', 'relay', 'web', 'test-kit'] }),
    'tsconfig.base.json': JSON.stringify({ compilerOptions: { lib: ['ES2022'] } }),
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** What a well-layered repository holds: every kind of import that is allowed. */
const GOOD: Record<string, string> = {
  'generated/src/index.ts': 'export const X = 1;\n',
  'runtime/src/index.ts': "import { X } from '@parley/generated';\nimport './engine/a.ts';\nexport const Y = X;\n",
  'runtime/src/engine/a.ts': "import { readFile } from 'node:fs';\nexport { readFile };\n",
  'runtime/tsconfig.json': JSON.stringify({ compilerOptions: { lib: ['ES2022'] } }),
  'relay/src/index.ts': "export { Y } from '@parley/runtime';\n",
  'relay/test/a.test.ts': "import { Y } from '../src/index.ts';\nimport type { T } from '@parley/test-kit/notifier';\n",
  'web/src/worker/host.ts': "import type { Api } from '../messages/protocol.ts';\nimport { rule } from '../shared/rule.ts';\n",
  'web/src/messages/protocol.ts': "import type { Y } from '@parley/runtime';\nexport type Api = { y: typeof Y };\n",
  'web/src/shared/rule.ts': 'export const rule = 1;\n',
  'web/src/ui-thread/client.ts': "import type { Api } from '../messages/protocol.ts';\nconst w = new URL('../worker/host.ts', import.meta.url);\n",
  'web/src/App.tsx': "import { rule } from './shared/rule.ts';\nimport './ui-thread/client.ts';\n",
  'web/test/e2e.test.ts': "import { startRelay } from '@parley/relay';\nimport '../src/worker/host.ts';\n",
  'web/tsconfig.json': JSON.stringify({ compilerOptions: { lib: ['ES2022', 'DOM'] } }),
  'test-kit/src/index.ts': "export { startRelay } from '@parley/relay';\n",
};

describe('the dependency check', () => {
  it('passes a repository whose imports follow the layers', () => {
    expect(checkRepository(repo(GOOD)).map(formatViolation)).toEqual([]);
  });

  it('reports each import that breaks the layers, and nothing else', () => {
    const root = repo({
      ...GOOD,
      // a lower layer importing a higher one
      'runtime/src/engine/b.ts': "import { startRelay } from '@parley/relay';\n",
      'generated/src/c.ts': "export type { Y } from '@parley/runtime';\n",
      // code (not a test) using test-kit
      'relay/src/d.ts': "const kit = await import('@parley/test-kit/notifier');\n",
      // another package's src/ and test/ by relative path
      'web/test/e.test.ts': "import { K } from '../../runtime/src/engine/a.ts';\n",
      'relay/test/f.test.ts': "import type { T } from '../../web/test/e2e.test.ts';\n",
      // the page importing the worker's code; the worker importing the page's
      'web/src/stores/g.ts': "import '../worker/host.ts';\n",
      'web/src/worker/h.ts': "export * from '../ui-thread/client.ts';\n",
      // the DOM library outside the web app
      'runtime/tsconfig.json': JSON.stringify({ compilerOptions: { lib: ['ES2022', 'DOM'] } }),
    });
    const found = checkRepository(root);
    expect(found.map((v) => `${v.file} ${v.imports}`).sort()).toEqual(
      [
        'generated/src/c.ts @parley/runtime',
        'relay/src/d.ts @parley/test-kit/notifier',
        'relay/test/f.test.ts ../../web/test/e2e.test.ts',
        'runtime/src/engine/b.ts @parley/relay',
        'runtime/tsconfig.json lib DOM',
        'web/src/stores/g.ts ../worker/host.ts',
        'web/src/worker/h.ts ../ui-thread/client.ts',
        'web/test/e.test.ts ../../runtime/src/engine/a.ts',
      ].sort(),
    );
    const byFile = new Map(found.map((v) => [v.file, v.rule]));
    expect(byFile.get('runtime/src/engine/b.ts')).toBe('runtime may import only @parley/generated');
    expect(byFile.get('web/test/e.test.ts')).toMatch(/another package's folder \(runtime\/src\); import it by name \(@parley\/runtime\)/);
    expect(byFile.get('web/src/stores/g.ts')).toMatch(/code in ui may import only ui, ui-thread, messages, shared/);
  });

  it('counts source lines: more than MAX_SOURCE_LINES is refused, except in generated/ and golden fixtures', () => {
    const long = (n: number) => 'export const x = 1;\n'.repeat(n);
    const root = repo({ ...GOOD, 'relay/src/long.ts': long(MAX_SOURCE_LINES + 1), 'relay/src/edge.ts': long(MAX_SOURCE_LINES), 'generated/src/big.ts': long(3 * MAX_SOURCE_LINES), 'relay/test/fixtures/golden.expected.ts': long(3 * MAX_SOURCE_LINES) });
    expect(checkRepository(root).map(formatViolation)).toEqual([`relay/src/long.ts: ${MAX_SOURCE_LINES + 1} lines, more than ${MAX_SOURCE_LINES}: split it into modules with one job each`]);
  });

  it('refuses a package missing from the layer table', () => {
    const root = repo({ ...GOOD, 'package.json': JSON.stringify({ workspaces: ['generated', 'runtime', 'plugins'] }), 'plugins/src/a.ts': '' });
    expect(checkRepository(root).map(formatViolation)).toEqual(['plugins/package.json: plugins is not in the layer table (test-kit/src/layers/rules.ts)']);
  });

  it("npm run deps:check's command exits 1 on a bad import and names it, 0 on a good repository", () => {
    const bad = repo({ ...GOOD, 'relay/test/x.test.ts': "import '../../runtime/test/helpers.ts';\n" });
    const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, bad], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("relay/test/x.test.ts: '../../runtime/test/helpers.ts': a relative import reaches into another package's folder (runtime/test)");
    const good = spawnSync(process.execPath, ['--import', 'tsx', MAIN, repo(GOOD)], { encoding: 'utf8', timeout: 60_000 });
    expect(good.status, good.stderr).toBe(0);
  });

  it('finds nothing wrong in this repository', () => {
    expect(checkRepository(REPO).map(formatViolation)).toEqual([]);
  });
});
