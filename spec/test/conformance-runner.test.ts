// The conformance runner's mechanics, with a mock implementation that answers from the vectors and
// misbehaves on request: framing, bounds (timeout, size, restarts), the hello handshake, frame
// vectors, and the known-failures file.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeMessage, MessageReader, FramingError } from '../src/conformance/framing.ts';
import { KnownFailures } from '../src/conformance/known.ts';
import { parseCommandLine } from '../src/conformance/main.ts';
import { runConformance, type RunOptions } from '../src/conformance/runner.ts';
import { firstDifference } from '../src/conformance/check.ts';
import { loadVectors } from '../src/conformance/vectors.ts';
import { isConformanceError } from '../src/conformance/errors.ts';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures/conformance');
const codec = join(fixtures, 'vectors/codec.json');
const frames = join(fixtures, 'frames.json');
const mock = join(fixtures, 'mock-adapter.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'parley-runner-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function runMock(faults: string[], extra: Partial<RunOptions> = {}) {
  const lines: string[] = [];
  const args = [mock, codec, frames, ...(faults.length ? [`--fault=${faults.join(',')}`] : [])];
  const result = await runConformance({ command: process.execPath, args, vectors: [join(fixtures, 'vectors'), frames], log: (l) => lines.push(l), ...extra });
  return { result, lines };
}

const byCode = (r: Awaited<ReturnType<typeof runMock>>['result']) => {
  const out: Record<string, number> = {};
  for (const x of r.results) if (x.code) out[x.code] = (out[x.code] ?? 0) + 1;
  return out;
};

describe('framing', () => {
  it('splits a stream cut anywhere into messages', () => {
    const bytes = Buffer.concat([encodeMessage({ id: 1, op: 'hello' }), encodeMessage({ id: 2, text: 'é ✓' })]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const r = new MessageReader();
      const got = [...r.push(bytes.subarray(0, cut)), ...r.push(bytes.subarray(cut))];
      expect(got).toEqual([{ id: 1, op: 'hello' }, { id: 2, text: 'é ✓' }]);
      expect(r.pending).toBe(0);
    }
  });

  it('refuses a length over the limit before buffering it', () => {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(1025, 0);
    expect(() => new MessageReader(1024).push(head)).toThrow(FramingError);
  });

  it('returns a bad message in place and keeps the stream', () => {
    const bad = Buffer.from('[1]');
    const head = Buffer.alloc(4);
    head.writeUInt32LE(bad.length, 0);
    const got = new MessageReader().push(Buffer.concat([head, bad, encodeMessage({ id: 3 })]));
    expect(got[0]).toBeInstanceOf(FramingError);
    expect(got[1]).toEqual({ id: 3 });
  });
});

describe('vectors', () => {
  it('makes a decode and an encode case of each valid codec vector, a decode case of each invalid one', () => {
    const { cases, notes } = loadVectors([codec]);
    expect(cases.filter((c) => c.op === 'encode').length).toBe(15);
    expect(cases.filter((c) => c.op === 'decode').length).toBe(15 + 14);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(cases[0]!.name).toBe('codec/decode/ring/min');
    expect(notes.join()).toMatch(/no frames\*\.json/);
  });

  it('makes open_frame cases of frame vectors, sending their input', () => {
    const { cases, notes } = loadVectors([frames]);
    expect(cases.map((c) => [c.name, c.expect.kind])).toEqual([
      ['frames/open_frame/peer text', 'result'],
      ['frames/open_frame/bad signature', 'error'],
    ]);
    expect(cases[0]!.request).toMatchObject({ op: 'open_frame', frame: '00112233' });
    expect(notes).toEqual([]);
  });

  it('rejects a missing path and a malformed file', () => {
    const bad = join(scratch, 'codec.json');
    writeFileSync(bad, JSON.stringify({ valid: [{ struct: 'x', hex: '', fields: {} }] }));
    for (const p of [join(scratch, 'none'), bad]) {
      try {
        loadVectors([p]);
        expect.unreachable();
      } catch (e) {
        expect(isConformanceError(e) && e.code).toBe('CONF_VECTORS');
      }
    }
  });
});

describe('runner with a mock implementation', () => {
  it('passes a correct implementation, frames included', async () => {
    const { result, lines } = await runMock([]);
    expect(result.failed).toBe(0);
    expect(result.passed).toBe(44 + 2);
    expect(lines[0]).toMatch(/^conformance: mock good \(ops: decode, encode, open_frame\); 46 cases from 2 file\(s\)$/);
    expect(lines).toContain('pass  frames/open_frame/bad signature');
    expect(lines.at(-1)).toBe('conformance: 46 passed, 0 failed');
  });

  it('times out a hung request, restarts the implementation and goes on', async () => {
    const { result } = await runMock(['hang'], { timeoutMs: 300, maxRestarts: 20 });
    const wakeDecodes = result.results.filter((r) => r.name.startsWith('codec/decode/wake/'));
    expect(wakeDecodes.every((r) => r.code === 'TIMEOUT')).toBe(true);
    expect(byCode(result)).toEqual({ TIMEOUT: wakeDecodes.length });
    expect(result.exitCode).toBe(1);
  });

  it('reports a crash with the exit status and restarts', async () => {
    const { result } = await runMock(['crash'], { maxRestarts: 50 });
    const crashed = result.results.filter((r) => r.code === 'CRASHED');
    expect(crashed.length).toBe(result.results.filter((r) => r.name.startsWith('codec/decode/typing/')).length);
    expect(crashed[0]!.detail).toMatch(/status 3/);
    expect(result.results.filter((r) => r.status === 'pass').length).toBe(result.results.length - crashed.length);
  });

  it('abandons the rest after too many restarts', async () => {
    const { result } = await runMock(['crash'], { maxRestarts: 1 });
    expect(byCode(result).ABANDONED).toBeGreaterThan(0);
  });

  it('refuses an answer over the size limit', async () => {
    const { result } = await runMock(['huge'], { maxRestarts: 50 });
    expect(result.results.filter((r) => r.name.startsWith('codec/decode/presence/')).every((r) => r.code === 'RESPONSE_TOO_LARGE')).toBe(true);
  });

  it('flags answers that are not JSON or carry the wrong id', async () => {
    const { result } = await runMock(['garbage', 'wrong-id'], { maxRestarts: 50 });
    const ring = result.results.filter((r) => r.name.includes('/ring/'));
    expect(ring.every((r) => r.code === 'BAD_RESPONSE')).toBe(true);
    expect(byCode(result)).toEqual({ BAD_RESPONSE: ring.length });
  });

  it('fails the cases of an op the implementation does not list', async () => {
    const { result } = await runMock(['no-encode']);
    expect(byCode(result)).toEqual({ UNSUPPORTED: 15 });
  });

  it('stops with CONF_HANDSHAKE on a malformed hello', async () => {
    await expect(runMock(['bad-hello'])).rejects.toMatchObject({ code: 'CONF_HANDSHAKE' });
  });

  it('stops with CONF_SPAWN when the command does not exist', async () => {
    await expect(runConformance({ command: join(scratch, 'no-such-binary'), args: [], vectors: [codec], log: () => {} })).rejects.toMatchObject({ code: 'CONF_SPAWN' });
  });

  it('ignores offsets on request', async () => {
    const lines: string[] = [];
    const broken = join(scratch, 'off-by-one.json');
    const doc = { valid: [], invalid: [{ struct: 'ring', name: 'x', hex: '00', error: { code: 'INTERNAL', offset: 99 } }] };
    writeFileSync(broken, JSON.stringify(doc));
    const opts = { command: process.execPath, args: [mock, codec], vectors: [broken], log: (l: string) => lines.push(l) };
    // The mock answers an unknown vector with INTERNAL and no offset.
    expect((await runConformance(opts)).failed).toBe(1);
    expect((await runConformance({ ...opts, ignoreOffsets: true })).failed).toBe(0);
  });
});

describe('known failures', () => {
  it('parses names, comments and patterns', () => {
    const k = KnownFailures.parse('# comment\n\ncodec/decode/ring/min\ncodec/encode/*\nnever/*\n');
    expect(k.has('codec/decode/ring/min')).toBe(true);
    expect(k.has('codec/encode/wake/max')).toBe(true);
    expect(k.has('codec/decode/wake/max')).toBe(false);
    expect(k.unused()).toEqual(['never/*']);
  });
});

describe('command line', () => {
  it('takes options before the command and leaves the command alone', () => {
    const o = parseCommandLine(['--timeout', '50', '--vectors=v', '--quiet', 'python3', '-u', 'impl.py', '--timeout', '1'], '/w');
    expect(o).toMatchObject({ command: 'python3', args: ['-u', 'impl.py', '--timeout', '1'], timeoutMs: 50, vectors: ['/w/v'], quiet: true });
  });

  it('rejects unknown options and bad numbers', () => {
    expect(() => parseCommandLine(['--nope', 'x'], '/')).toThrow(/unknown option/);
    expect(() => parseCommandLine(['--timeout', 'soon', 'x'], '/')).toThrow(/non-negative integer/);
  });

  it('describes the first difference of two answers', () => {
    expect(firstDifference({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] })).toBe('at a[1].b: expected 2, got 3');
    expect(firstDifference({ a: 1 }, { a: 1, c: 2 })).toBe('at c: unexpected member');
  });
});
