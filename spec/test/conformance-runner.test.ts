// The conformance runner's mechanics, with a mock implementation that answers from the vectors and
// misbehaves on request: framing, bounds (timeout, size, restarts), the hello handshake, frame
// vectors (the sections of frames.json turned into requests), and the known-failures file.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeMessage, MessageReader, FramingError } from '../conformance/framing.ts';
import { KnownFailures } from '../conformance/known.ts';
import { parseCommandLine } from '../conformance/main.ts';
import { runConformance, type RunOptions } from '../conformance/runner.ts';
import { firstDifference } from '../conformance/check.ts';
import { loadVectors, type Case } from '../conformance/vectors.ts';
import { isConformanceError } from '../conformance/errors.ts';
import { FRAME_OPS } from '../conformance/frames.ts';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures/runner');
const codec = join(fixtures, 'vectors/codec.json');
const frames = join(fixtures, 'frames.json');
const mock = join(fixtures, 'mock-adapter.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'parley-runner-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** What a correct implementation answers to a case. */
function answerOf(c: Case): Record<string, unknown> {
  const e = c.expect;
  switch (e.kind) {
    case 'fields':
      return { ok: true, fields: e.fields };
    case 'hex':
      return { ok: true, hex: e.hex };
    case 'result':
      return { ok: true, result: e.result };
    case 'error':
      return { ok: false, error: e.offset === undefined ? { code: e.code } : { code: e.code, offset: e.offset } };
  }
}

/** The mock's answer book for the vectors at `paths`: every case's request with its right answer. */
function answerBook(paths: string[]): string {
  const file = join(scratch, `book-${paths.map((p) => p.replace(/\W+/g, '_')).join('-').slice(-80)}.json`);
  writeFileSync(file, JSON.stringify(loadVectors(paths).cases.map((c) => ({ request: c.request, answer: answerOf(c) }))));
  return file;
}

async function runMock(faults: string[], extra: Partial<RunOptions> = {}) {
  const lines: string[] = [];
  const args = [mock, answerBook([codec, frames]), ...(faults.length ? [`--fault=${faults.join(',')}`] : [])];
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

  it('makes cases of every section of frames.json: seal and open of each valid frame, open of each invalid one', () => {
    const { cases, notes } = loadVectors([frames]);
    expect(cases.map((c) => [c.name, c.op, c.expect.kind])).toEqual([
      ['frames/handshake/handshake alice', 'handshake', 'result'],
      ['frames/peer/seal/alice_to_bob_text', 'seal_peer', 'result'],
      ['frames/peer/open/alice_to_bob_text', 'open_peer', 'result'],
      ['frames/peer/open/bad_signature', 'open_peer', 'error'],
      ['frames/peer/open/replayed', 'open_peer', 'error'],
      ['frames/control/seal/register_wake', 'seal_control', 'result'],
      ['frames/control/open/register_wake', 'open_control', 'result'],
      ['frames/control/open/control_reflected', 'open_control', 'error'],
      ['frames/first_contact/seal/alice_requests_bob', 'seal_first_contact', 'result'],
      ['frames/first_contact/open/alice_requests_bob', 'open_first_contact', 'result'],
      ['frames/first_contact/open/key_conflict', 'open_first_contact', 'error'],
    ]);
    expect(new Set(cases.map((c) => c.op))).toEqual(new Set(FRAME_OPS));
    expect(notes).toEqual([]);
  });

  it('builds each request from the vector alone: seeds, keys, counters, injected randomness, clocks', () => {
    const doc = JSON.parse(readFileSync(frames, 'utf8'));
    const { cases } = loadVectors([frames]);
    const byName = (n: string) => cases.find((c) => c.name === n)!;
    const h = doc.handshake[0];
    expect(byName('frames/handshake/handshake alice').request).toEqual({
      op: 'handshake',
      client_seed: doc.parties.alice.seed,
      relay_seed: doc.parties.relay.seed,
      versions: [1],
      relay_ephemeral_secret: h.inputs.relay_ephemeral_secret,
      challenge_nonce: h.inputs.challenge_nonce,
      relay_time: h.inputs.relay_time,
      client_ephemeral_secret: h.inputs.client_ephemeral_secret,
      hello_nonce: h.inputs.hello_nonce,
      client_time: h.inputs.client_time,
      welcome_nonce: h.inputs.welcome_nonce,
      welcome_body: h.welcome_body,
    });
    expect(byName('frames/handshake/handshake alice').expect).toEqual({ kind: 'result', result: { frames: h.frames, th0: h.th0, th1: h.th1, th2: h.th2, welcome_body: h.welcome_body, session: h.session } });

    const v = doc.peer.valid[0];
    const alice = { x25519: doc.parties.alice.x25519, ed25519: doc.parties.alice.ed25519 };
    expect(byName('frames/peer/seal/alice_to_bob_text')).toMatchObject({
      request: { sender_seed: doc.parties.alice.seed, recipient: { x25519: doc.parties.bob.x25519, ed25519: doc.parties.bob.ed25519 }, nonce: v.nonce, envelope: v.envelope.fields, c2r_key: v.route.c2r_key, c2r_counter: 0 },
      expect: { result: { frame: v.frame_sent } },
    });
    expect(byName('frames/peer/open/alice_to_bob_text')).toMatchObject({
      request: { recipient_seed: doc.parties.bob.seed, contacts: [alice], r2c_key: v.route.r2c_key, r2c_counter: 0, now: doc.now, seen_msg_ids: [], frame: v.frame_delivered },
      expect: { result: { sender_id: doc.parties.alice.id, sender: alice, envelope: v.envelope.fields } },
    });
    // A party named by an invalid vector is resolved through "parties"; the error keeps its receive step.
    expect(byName('frames/peer/open/replayed')).toMatchObject({
      request: { recipient_seed: doc.parties.bob.seed, seen_msg_ids: doc.peer.invalid[1].seen_msg_ids, r2c_counter: 1 },
      expect: { kind: 'error', code: 'REPLAYED', stage: 'replay' },
    });
    // Control cases carry the session keys of their client's handshake; invalid ones the relay's seed too.
    expect(byName('frames/control/open/control_reflected')).toMatchObject({
      request: { client_seed: doc.parties.alice.seed, relay_seed: doc.parties.relay.seed, session: h.session, direction: 'relay_to_client', counter: 0 },
      expect: { kind: 'error', code: 'BAD_SIGNATURE' },
    });
    // An invalid first contact is opened with the valid case's invite.
    expect(byName('frames/first_contact/open/key_conflict')).toMatchObject({
      request: { invite: doc.first_contact.valid[0].invite.hex, invite_uses: 0, contacts: doc.first_contact.invalid[0].contacts_with_id },
      expect: { kind: 'error', code: 'KEY_CONFLICT' },
    });
  });

  it('rejects a frame vector file it cannot turn into requests', () => {
    const doc = JSON.parse(readFileSync(frames, 'utf8'));
    const bad = (name: string, edit: (d: any) => void, message: RegExp) => {
      const copy = structuredClone(doc);
      edit(copy);
      const file = join(scratch, `${name}.json`);
      writeFileSync(file, JSON.stringify(copy));
      expect(() => loadVectors([file])).toThrow(message);
    };
    bad('frames-unknown-party', (d) => (d.peer.invalid[0].recipient = 'zed'), /peer\.invalid\[0\] \(bad_signature\): "recipient": no party "zed"/);
    bad('frames-no-handshake', (d) => (d.handshake = []), /control\.valid\[0\] \(register_wake\): no handshake of client "alice"/);
    bad('frames-bad-hex', (d) => (d.peer.valid[0].nonce = 'XYZ'), /"nonce" must be lowercase hex/);
    bad('frames-no-sections', (d) => {
      for (const s of ['handshake', 'peer', 'control', 'first_contact']) delete d[s];
    }, /needs at least one of the sections/);
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
    expect(result.passed).toBe(44 + 11);
    expect(lines[0]).toBe(`conformance: mock good (ops: decode, encode, ${FRAME_OPS.join(', ')}); 55 cases from 2 file(s)`);
    expect(lines).toContain('pass  frames/peer/open/bad_signature');
    expect(lines.at(-1)).toBe('conformance: 55 passed, 0 failed');
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
    const opts = { command: process.execPath, args: [mock, answerBook([codec])], vectors: [broken], log: (l: string) => lines.push(l) };
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
    // Long hex (frames, keys) is compared bytewise: where the bytes first differ.
    const frame = '00'.repeat(40) + 'aabb';
    expect(firstDifference({ frame }, { frame: '00'.repeat(40) + 'aacc' })).toBe('at frame: expected 42 bytes, got 42 bytes; first difference at byte 41: expected bb…, got cc…');
    expect(firstDifference({ frame }, { frame: frame.toUpperCase() })).toMatch(/must be lowercase/);
  });
});
