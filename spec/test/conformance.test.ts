// The conformance runner against real implementations: our TypeScript adapter must pass every
// vector, and a deliberately broken one must be reported, case by case.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FRAME_OPS } from '../conformance/frames.ts';
import { RULE_OPS } from '../conformance/rules.ts';
import { RATCHET_OPS } from '../conformance/ratchet.ts';
import { KnownFailures } from '../conformance/known.ts';
import { runConformance, type RunResult } from '../conformance/runner.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');
const adapter = join(root, 'spec/conformance/adapters/typescript.ts');
const broken = join(here, 'fixtures/runner/broken-adapter-ts.ts');
const generatedVectors = join(root, 'generated/vectors');
// generated/vectors/codec.json is the real suite; the fixture subset stands in until it exists.
const vectors = existsSync(join(generatedVectors, 'codec.json')) ? generatedVectors : join(here, 'fixtures/runner/vectors');
const framesJson = join(generatedVectors, 'frames.json');
const rulesJson = join(generatedVectors, 'rules.json');
const ratchetJson = join(generatedVectors, 'ratchet.json');
const scratch = mkdtempSync(join(tmpdir(), 'parley-conformance-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function run(command: string[], extra: Partial<Parameters<typeof runConformance>[0]> = {}): Promise<{ result: RunResult; lines: string[] }> {
  const lines: string[] = [];
  const result = await runConformance({ command: command[0]!, args: command.slice(1), vectors: [vectors], log: (l) => lines.push(l), ...extra });
  return { result, lines };
}

describe('the TypeScript reference adapter', () => {
  it('passes every vector', async () => {
    const { result, lines } = await run([tsx, adapter]);
    const failures = lines.filter((l) => l.startsWith('FAIL'));
    expect(failures.slice(0, 20)).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.passed).toBeGreaterThan(0);
    expect(result.passed).toBe(result.results.length);
    expect(result.exitCode).toBe(0);
    expect(lines.at(-1)).toBe(`conformance: ${result.passed} passed, 0 failed`);
    // Every valid vector is a decode and an encode case; every invalid vector a decode case.
    expect(result.results.some((r) => r.op === 'encode')).toBe(true);
  });

  it('passes every case of ratchet.json: each frame sealed and opened byte for byte, each invalid one refused with its code, the session reset replayed', async () => {
    const { result } = await run([tsx, adapter], { vectors: [ratchetJson], quiet: true });
    expect(result.implementation.ops).toEqual(expect.arrayContaining([...RATCHET_OPS]));
    const doc = JSON.parse(readFileSync(ratchetJson, 'utf8'));
    expect(result.results.length).toBe(2 * doc.frames.length + doc.invalid.length + 3);
    expect(result.results.filter((r) => r.name.includes('/reset/')).map((r) => r.op).sort()).toEqual(['accept_session', 'answer_session', 'offer_session']);
    expect(result.results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: ${r.code}: ${r.detail}`)).toEqual([]);
    expect(new Set(result.results.map((r) => r.op))).toEqual(new Set(RATCHET_OPS));
  }, 60_000);

  it('passes every case of frames.json, each op, each section', async () => {
    const { result } = await run([tsx, adapter], { vectors: [framesJson], quiet: true });
    expect(result.implementation.ops).toEqual(expect.arrayContaining([...FRAME_OPS]));
    // handshake: one case; valid peer, control and first-contact frames: seal and open; invalid ones: open.
    const doc = JSON.parse(readFileSync(framesJson, 'utf8'));
    const expected =
      doc.handshake.length +
      2 * doc.peer.valid.length +
      doc.peer.invalid.length +
      2 * doc.control.valid.length +
      doc.control.invalid.length +
      2 * doc.first_contact.valid.length +
      doc.first_contact.invalid.length;
    expect(result.results.length).toBe(expected);
    expect(result.results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: ${r.code}: ${r.detail}`)).toEqual([]);
    expect(new Set(result.results.map((r) => r.op))).toEqual(new Set(FRAME_OPS));
    for (const section of ['handshake', 'peer', 'control', 'first_contact']) expect(result.results.some((r) => r.name.startsWith(`frames/${section}/`)), section).toBe(true);
    for (const c of doc.peer.invalid) expect(result.results.map((r) => r.name)).toContain(`frames/peer/open/${c.name}`);
  });

  it('passes every case of rules.json, each rule op', async () => {
    const { result } = await run([tsx, adapter], { vectors: [rulesJson], quiet: true });
    expect(result.implementation.ops).toEqual(expect.arrayContaining([...RULE_OPS]));
    const doc = JSON.parse(readFileSync(rulesJson, 'utf8'));
    const expected =
      doc.keys.x25519.length +
      doc.keys.ed25519.length +
      doc.replay.length +
      doc.invites.valid.length +
      doc.invites.invalid.length +
      doc.invites.expiry.checks.length +
      doc.derived.relay_fingerprint.length +
      doc.derived.safety_number.length +
      doc.derived.file_digest.length +
      doc.order.valid.length +
      doc.order.invalid.length +
      doc.handshake_failures.client.length +
      doc.handshake_failures.relay.length;
    expect(result.results.length).toBe(expected);
    expect(result.results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: ${r.code}: ${r.detail}`)).toEqual([]);
    expect(new Set(result.results.map((r) => r.op))).toEqual(new Set(RULE_OPS));
  });

  it('uses the generated codec once it exists', async () => {
    const { result } = await run([tsx, adapter], { filter: '/decode/', quiet: true });
    const generated = existsSync(join(root, 'generated/src/index.ts'));
    expect(result.implementation.name).toContain(generated ? 'generated codec' : 'reference interpreter');
  });
});

describe('a broken adapter', () => {
  let first: { result: RunResult; lines: string[] };

  it('is reported as failing, case by case', async () => {
    first = await run([tsx, broken]);
    const { result, lines } = first;
    expect(result.exitCode).toBe(1);
    expect(result.unexpectedFailures).toBeGreaterThan(0);
    expect(new Set(result.results.filter((r) => r.status === 'fail').map((r) => r.code))).toEqual(new Set(['MISMATCH', 'WRONG_ERROR']));
    expect(result.results.some((r) => r.status === 'fail' && r.op === 'encode' && /got \d+ bytes/.test(r.detail!))).toBe(true);
    expect(result.results.some((r) => r.status === 'fail' && /unexpected member/.test(r.detail!))).toBe(true);
    expect(lines.filter((l) => l.startsWith('FAIL ')).length).toBe(result.unexpectedFailures);
    expect(lines.at(-1)).toBe(`conformance: ${result.passed} passed, ${result.failed} failed`);
  });

  it('fails some frame cases and passes the others', () => {
    const frames = first.result.results.filter((r) => r.name.startsWith('frames/'));
    const failed = frames.filter((r) => r.status === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    expect(frames.some((r) => r.status === 'pass')).toBe(true);
    // A sealed frame off by one byte: the first differing byte is named.
    expect(failed.some((r) => r.op.startsWith('seal_') && r.code === 'MISMATCH' && /at frame: .*first difference at byte \d+/.test(r.detail!))).toBe(true);
    // A frame rejected with another error than the vector's.
    expect(failed.some((r) => r.op.startsWith('open_') && r.code === 'WRONG_ERROR' && /^expected [A-Z_]+/.test(r.detail!))).toBe(true);
    // A handshake whose transcript hash differs.
    expect(failed.some((r) => r.op === 'handshake' && /at th2/.test(r.detail!))).toBe(true);
  });

  it('passes when every failure is in the known-failures list', async () => {
    const names = first.result.results.filter((r) => r.status === 'fail').map((r) => r.name);
    const { result, lines } = await run([tsx, broken], { knownFailures: new KnownFailures(names), knownFailuresFile: 'known.txt', quiet: true });
    expect(result.exitCode).toBe(0);
    expect(result.results.some((r) => r.status === 'xfail' && r.name.startsWith('frames/'))).toBe(true);
    expect(result.expectedFailures).toBe(names.length);
    expect(lines).toContain(`conformance: ${names.length} of the failures are listed in known.txt`);
  });

  it('fails when a listed case passes', async () => {
    const names = first.result.results.filter((r) => r.status === 'fail').map((r) => r.name);
    const passing = first.result.results.find((r) => r.status === 'pass')!.name;
    const { result, lines } = await run([tsx, broken], { knownFailures: new KnownFailures([...names, passing]), knownFailuresFile: 'known.txt', quiet: true });
    expect(result.exitCode).toBe(1);
    expect(result.unexpectedPasses).toBe(1);
    expect(lines).toContain(`XPASS ${passing}: passed, but is listed in known.txt`);
  });
});

describe('npm run conformance', () => {
  const cli = (args: string[]) =>
    spawnSync(tsx, [join(root, 'spec/conformance/main.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, INIT_CWD: root }, timeout: 120_000 });

  it('exits 1 on unexpected failures and ends with the summary line', () => {
    const r = cli(['--vectors', vectors, '--quiet', tsx, broken]);
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^conformance: \d+ passed, [1-9]\d* failed$/);
  });

  it('honours --known-failures with patterns', () => {
    const file = join(scratch, 'known.txt');
    writeFileSync(file, '# the broken adapter\n*\n');
    const r = cli(['--vectors', vectors, '--known-failures', file, '--quiet', tsx, broken]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1); // `*` also lists the passing cases: unexpected passes
    expect(r.stdout).toMatch(/listed case\(s\) passed: remove them/);
  });

  it('exits 2 without a command', () => {
    const r = cli(['--vectors', vectors]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('CONF_USAGE');
  });

  it('keeps the default known-failures list empty', () => {
    expect(KnownFailures.read(join(root, 'spec/conformance/known-failures.txt')).entries).toEqual([]);
  });
});
