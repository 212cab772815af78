// The spec:diff command line: exit statuses, --json, errors, and --against a git revision.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const fixtures = join(here, 'fixtures/diff');
const main = join(root, 'spec/diff/main.ts');
const tsx = join(root, 'node_modules/.bin/tsx');

function run(args: string[], cwd = root) {
  const r = spawnSync(tsx, [main, ...args], { cwd, encoding: 'utf8', env: { ...process.env, INIT_CWD: cwd }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const scratch = mkdtempSync(join(tmpdir(), 'parley-diff-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('spec:diff command line', () => {
  it('exits 1 on a WIRE change without a version raise, and prints the rule lines', () => {
    const r = run([join(fixtures, 'base.yaml'), join(fixtures, 'WIRE_FIELD_SIZE_CHANGED.yaml')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^WIRE WIRE_FIELD_SIZE_CHANGED structs\.frame\.fields\[1\] old:\d+ new:\d+ — nonce size 24 → 32$/m);
    expect(r.stdout).toContain('FAIL');
  });

  it('exits 0 when protocol.version was raised', () => {
    const r = run([join(fixtures, 'base.yaml'), join(fixtures, 'wire-with-version-raise.yaml')]);
    expect(r.status).toBe(0);
  });

  it('prints JSON with --json, resolving paths against INIT_CWD', () => {
    const r = run(['base.yaml', 'API_FIELD_RENAMED.yaml', '--json'], fixtures);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.counts).toEqual({ WIRE: 0, API: 1, DOC: 0, INFO: 0 });
    expect(report.changes[0]).toMatchObject({ rule: 'API_FIELD_RENAMED', severity: 'API', path: 'structs.item.fields[1]' });
    expect(report.changes[0].old.line).toBeGreaterThan(0);
  });

  it('exits 2 with DIFF_USAGE on a wrong command line', () => {
    const r = run([join(fixtures, 'base.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('DIFF_USAGE');
  });

  it('exits 2 with DIFF_SPEC_INVALID and the problem line on an invalid spec', () => {
    const bad = join(scratch, 'bad.yaml');
    writeFileSync(bad, readFileSync(join(fixtures, 'base.yaml'), 'utf8').replace('of: item,', 'of: nothing,'));
    const r = run([join(fixtures, 'base.yaml'), bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/DIFF_SPEC_INVALID[\s\S]*structs\.message\.fields\[4\]\.of/);
  });

  it('exits 2 with DIFF_READ on a missing file', () => {
    const r = run([join(fixtures, 'base.yaml'), join(scratch, 'missing.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('DIFF_READ');
  });
});

describe('spec:diff --against', () => {
  const repo = join(scratch, 'repo');
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, stdio: 'pipe' });
  mkdirSync(join(repo, 'spec'), { recursive: true });
  git('init', '-q');
  copyFileSync(join(fixtures, 'base.yaml'), join(repo, 'spec/protocol.yaml'));
  git('add', '.');
  git('commit', '-q', '-m', 'base');

  it('exits 0 with no changes against HEAD in an unchanged working copy', () => {
    const r = run(['--against', 'HEAD', 'spec/protocol.yaml'], repo);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('no changes');
    expect(r.stdout).toContain('HEAD:spec/protocol.yaml');
  });

  it('reports working-copy changes against HEAD', () => {
    copyFileSync(join(fixtures, 'WIRE_ENUM_CODE_REUSED.yaml'), join(repo, 'spec/protocol.yaml'));
    const r = run(['--against', 'HEAD', join(repo, 'spec/protocol.yaml')], repo);
    copyFileSync(join(fixtures, 'base.yaml'), join(repo, 'spec/protocol.yaml'));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('WIRE_ENUM_CODE_REUSED');
  });

  it('exits 2 with DIFF_GIT on an unknown revision', () => {
    const r = run(['--against', 'no-such-rev', 'spec/protocol.yaml'], repo);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('DIFF_GIT');
  });

  it('compares the real spec at HEAD with the working copy', () => {
    const dirty = spawnSync('git', ['diff', '--quiet', 'HEAD', '--', 'spec/protocol.yaml'], { cwd: root }).status !== 0;
    const r = run(['--against', 'HEAD', '--json']);
    const report = JSON.parse(r.stdout);
    expect(report.old.file).toBe('HEAD:spec/protocol.yaml');
    if (dirty) {
      // Someone is editing protocol.yaml: the diff must still run and account for its status.
      expect(r.status).toBe(report.exitCode);
    } else {
      expect(report.changes).toEqual([]);
      expect(r.status).toBe(0);
    }
  });
});
