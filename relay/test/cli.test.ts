import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'parley-relay-cli-'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `relay ARGS`; `until` (on stdout) sends SIGTERM once it matches. */
function relay(args: string[], env: Record<string, string> = {}, until?: RegExp): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      // metrics on a free port unless a test names one: the default port may be taken on this machine
      env: { PATH: process.env.PATH ?? '', METRICS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (until !== undefined && !signalled && until.test(stdout)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('relay command', () => {
  it('keygen writes a 0600 key file and prints the public keys and how to pin them', async () => {
    const dir = tmp();
    const r = await relay(['keygen', '--data', dir]);
    expect(r.code).toBe(0);
    expect(statSync(join(dir, 'relay.key')).mode & 0o777).toBe(0o600);
    expect(r.stdout).toMatch(/relay_x\s+[0-9a-f]{64}/);
    expect(r.stdout).toMatch(/relay_ed\s+[0-9a-f]{64}/);
    expect(r.stdout).toMatch(/pin/i);
    const again = await relay(['keygen', '--data', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('exits 2 naming the setting of a bad value', async () => {
    const r = await relay(['--port', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port: must be a whole number/);
    const e = await relay([], { PORT: '-1' });
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/^relay: PORT:/m);
  });

  it('refuses to start with an all-zero or missing key file', async () => {
    const dir = tmp();
    const zero = join(dir, 'zero.key');
    writeFileSync(zero, '00'.repeat(32), { mode: 0o600 });
    const r = await relay(['--key-file', zero, '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/all zero/);
    const m = await relay(['--port', '0'], { RELAY_KEY_FILE: join(dir, 'none.key') });
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/relay keygen/);
  });

  it('in the local default generates its key in the data folder, says so, and stops on SIGTERM', async () => {
    const dir = tmp();
    const r = await relay(['--port', '0'], { PARLEY_DATA: dir, WEB_ROOT: join(dir, 'no-web'), METRICS_PORT: '0' }, /relay started/);
    expect(r.code).toBe(0);
    expect(statSync(join(dir, 'relay.key')).mode & 0o777).toBe(0o600);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; key_file?: string });
    expect(lines.some((l) => /generated a new relay key/.test(l.msg) && l.key_file === join(dir, 'relay.key'))).toBe(true);
    expect(lines.some((l) => l.msg === 'relay stopped')).toBe(true);
  });

  it('says first, in words, the http:// address to open, before any JSON log line', async () => {
    const dir = tmp();
    const web = join(dir, 'web');
    mkdirSync(web);
    writeFileSync(join(web, 'index.html'), '<!doctype html>');
    const r = await relay(['--port', '0'], { PARLEY_DATA: dir, WEB_ROOT: web }, /relay started/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^\n {2}Parley relay is running\.\n {2}Open http:\/\/127\.0\.0\.1:\d+ in a browser/);
    const port = /127\.0\.0\.1:(\d+)/.exec(r.stderr)![1];
    // the JSON lines (stdout) start only after the banner; every one of them is still JSON
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; port?: number });
    expect(lines.find((l) => l.msg === 'relay listening')?.port).toBe(Number(port));
    expect(r.stderr).toContain(`Relay key: ${join(dir, 'relay.key')}`);
  });

  it('the root README names the settings of npm start next to it: PORT and PARLEY_DATA', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const start = readme.slice(readme.indexOf('npm ci && npm start'), readme.indexOf('## What is where'));
    expect(start).toMatch(/`PORT` \(default 8080\)/);
    expect(start).toMatch(/`PARLEY_DATA`/);
  });
});
