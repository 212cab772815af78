/**
 * Codec benchmark: decode and encode of the outer `frame` and of a text `envelope` with 128 B,
 * 1 KiB and 32 KiB bodies, against the Kaitai Struct JavaScript parser compiled from
 * generated/protocol.ksy at bench time, on the same bytes in the same process.
 *
 * Our decoder checks strictly more than the Kaitai parser: trailing bytes, strict UTF-8, zero
 * padding, reserved codes, u64 bounds, exact switch slices. Envelopes are zero-padded to their
 * size bucket as the runtime sends them (PAD_BUCKET_*), so decode includes the padding scan;
 * the `unpadded` rows show the same bodies without padding.
 *
 * Text is ASCII: Node 20's TextDecoder leaves its fast path on any non-ASCII byte (about 15x
 * slower, for us and Kaitai alike); the `mixed-script` row shows that case.
 *
 * Method: every case gets its own loop function (monomorphic call site); rounds of at least
 * ROUND_MS alternate between the implementations compared (our decode with Kaitai's; then our
 * encode, encodeInto and decode), a full GC runs before every round so that no round pays for
 * another's garbage (encoders allocate off-heap buffers), and the median round is reported.
 *
 * Standalone: `npx tsx bench/codec/codec.bench.ts` (BENCH_ROUND_MS, BENCH_ROUNDS to tune).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext, runInThisContext } from 'node:vm';
import { parse } from 'yaml';
import {
  decodeEnvelope,
  decodeFrame,
  encodedSizeEnvelope,
  encodeEnvelope,
  encodeEnvelopeInto,
  encodeFrame,
  encodeFrameInto,
  FrameKind,
  MessageType,
  PAD_BUCKET_1,
  PAD_BUCKET_2,
  PAD_BUCKET_3,
  PAD_BUCKET_4,
  PAD_BUCKET_5,
  type Envelope,
  type Frame,
} from '@parley/generated';
import { renderTable, type BenchTable } from '../table.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const require = createRequire(import.meta.url);

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 150);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

// ---------------------------------------------------------------------------------------------
// Kaitai: compile the .ksy to JavaScript in a temporary folder and load it with its runtime.

interface KaitaiParser {
  source: string;
  Frame: new (io: unknown) => { payload: Uint8Array };
  Envelope: new (io: unknown) => { body: { text: string } };
  Stream: new (buf: ArrayBuffer) => unknown;
}

async function kaitai(): Promise<KaitaiParser> {
  const source = join(root, 'generated/protocol.ksy');
  if (!existsSync(source)) throw new Error(`${source} is missing: run npm run gen`);
  const ksy = parse(readFileSync(source, 'utf8')) as { meta: { id: string } };
  const loaded = require('kaitai-struct-compiler') as unknown;
  // 0.11 exports the compiler object; earlier versions a constructor.
  const compiler = (typeof loaded === 'function' ? new (loaded as new () => unknown)() : loaded) as {
    compile(lang: string, ksy: unknown, importer: unknown, debug: boolean): Promise<Record<string, string>>;
  };
  const files = await compiler.compile('javascript', ksy, null, false);
  const dir = mkdtempSync(join(tmpdir(), 'parley-kaitai-'));
  const Stream = require('kaitai-struct/KaitaiStream') as KaitaiParser['Stream'];
  const exports: Record<string, Record<string, unknown>> = {}; // the UMD wrapper sets exports[ClassName]
  for (const [name, code] of Object.entries(files)) {
    const file = join(dir, name);
    writeFileSync(file, code);
    const fn = runInThisContext(`(function (exports, require, module) {\n${code}\n})`, { filename: file }) as (e: unknown, r: unknown, m: unknown) => void;
    fn(exports, (id: string) => (id === 'kaitai-struct/KaitaiStream' ? Stream : require(id)), { exports });
  }
  const id = ksy.meta.id.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
  const Root = exports[id];
  if (!Root) throw new Error(`kaitai: ${source} did not define ${id}`);
  return { source: source.slice(root.length + 1), Frame: Root.Frame as KaitaiParser['Frame'], Envelope: Root.Envelope as KaitaiParser['Envelope'], Stream };
}

// ---------------------------------------------------------------------------------------------
// Inputs.

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) b[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return b;
}

function frame(payload: number): Frame {
  return { route: bytes(8, 1), nonce: bytes(24, 2), kind: FrameKind.peer, payload: bytes(payload, 3), sig: bytes(64, 4) };
}

const BUCKETS = [PAD_BUCKET_1, PAD_BUCKET_2, PAD_BUCKET_3, PAD_BUCKET_4, PAD_BUCKET_5];

/** A text envelope with `n` bytes of text, padded to its bucket or not. */
function envelope(n: number, padded: boolean, mixed = false): Envelope {
  const words = mixed ? ['parley', 'relay', 'héllo', 'message', 'zéro', 'привет', 'bucket'] : ['parley', 'relay', 'hello', 'message', 'zero', 'bucket'];
  let text = '';
  for (let i = 0; new TextEncoder().encode(text).length < n; i++) text += words[i % words.length] + ' ';
  while (new TextEncoder().encode(text).length > n) text = text.slice(0, -1);
  const v: Envelope = { msgId: bytes(16, 5), sentAt: 1_700_000_000_000, type: MessageType.text, flags: 0, body: { text, replyTo: new Uint8Array(16) }, extensions: [], padding: 0 };
  if (padded) {
    const size = encodedSizeEnvelope(v);
    v.padding = BUCKETS.find((b) => b >= size)! - size;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Measurement.

type Op = () => number;

/** A fresh loop per case, so each call site sees one function. */
function loop(): (op: Op, n: number) => number {
  return new Function('op', 'n', 'let s = 0; for (let i = 0; i < n; i++) s = (s + op()) | 0; return s;') as (op: Op, n: number) => number;
}

interface Timed {
  op: Op;
  run: (op: Op, n: number) => number;
  batch: number;
  samples: number[];
}

function timed(op: Op): Timed {
  const t: Timed = { op, run: loop(), batch: 1, samples: [] };
  // Warm up and size the batch to about ROUND_MS / 10.
  const start = performance.now();
  while (performance.now() - start < ROUND_MS / 2) t.run(op, (t.batch *= 2));
  return t;
}

let sink = 0;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function round(t: Timed): void {
  gc();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    sink ^= t.run(t.op, t.batch);
    n += t.batch;
    elapsed = performance.now() - start;
  }
  t.samples.push((n / elapsed) * 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

// ---------------------------------------------------------------------------------------------

export async function benchCodec(): Promise<BenchTable> {
  const k = await kaitai();
  const cases: { name: string; bytes: Uint8Array; ours: Op; theirs: Op; encode: Op; encodeInto: Op }[] = [];
  for (const n of [128, 1024, 32768]) {
    const v = frame(n);
    const b = encodeFrame(v);
    const ab = b.buffer as ArrayBuffer;
    const out = new Uint8Array(b.length);
    if (new k.Frame(new k.Stream(ab)).payload.length !== n) throw new Error('kaitai frame mismatch');
    cases.push({
      name: `frame, ${n < 1024 ? n + ' B' : n / 1024 + ' KiB'} payload`,
      bytes: b,
      ours: () => decodeFrame(b).payload.length,
      theirs: () => new k.Frame(new k.Stream(ab)).payload.length,
      encode: () => encodeFrame(v).length,
      encodeInto: () => encodeFrameInto(v, out, 0),
    });
  }
  const envelopes = [true, false].flatMap((padded) => [128, 1024, 32768].map((n) => ({ n, padded, mixed: false })));
  envelopes.push({ n: 1024, padded: false, mixed: true });
  for (const { n, padded, mixed } of envelopes) {
      const v = envelope(n, padded, mixed);
      const b = encodeEnvelope(v);
      const ab = b.buffer as ArrayBuffer;
      const out = new Uint8Array(b.length);
      if (new k.Envelope(new k.Stream(ab)).body.text !== (v.body as { text: string }).text) throw new Error('kaitai envelope mismatch');
      cases.push({
        name: `envelope, ${n < 1024 ? n + ' B' : n / 1024 + ' KiB'} ${mixed ? 'mixed-script ' : ''}text${padded ? ` (padded to ${b.length})` : ', unpadded'}`,
        bytes: b,
        ours: () => decodeEnvelope(b).padding,
        theirs: () => new k.Envelope(new k.Stream(ab)).body.text.length,
        encode: () => encodeEnvelope(v).length,
        encodeInto: () => encodeEnvelopeInto(v, out, 0),
      });
    }

  const rows: Record<string, string | number>[] = [];
  for (const c of cases) {
    const versus = [timed(c.ours), timed(c.theirs)];
    for (let r = 0; r < ROUNDS; r++) for (const t of versus) round(t);
    const encoders = [timed(c.encode), timed(c.encodeInto)];
    for (let r = 0; r < ROUNDS; r++) for (const t of encoders) round(t);
    const [dec, kai, enc, into] = [...versus, ...encoders].map((t) => median(t.samples)) as [number, number, number, number];
    rows.push({
      case: c.name,
      bytes: String(c.bytes.length),
      'decode/s': Math.round(dec),
      'kaitai/s': Math.round(kai),
      'decode vs kaitai': ratio(dec, kai),
      'encode/s': Math.round(enc),
      'encode vs decode': ratio(enc, dec),
      'encodeInto/s': Math.round(into),
      'encodeInto vs decode': ratio(into, dec),
    });
  }
  if (sink === 0.5) console.log(sink);
  return {
    title: `codec: @parley/generated vs Kaitai Struct (${k.source}), ops/s, median of ${ROUNDS} rounds, node ${process.version}`,
    rows,
    note:
      'Targets: decode >= 1.5x Kaitai (which does not check trailing bytes, padding, strict UTF-8, reserved codes or exact switch slices); encode >= decode. ' +
      'encode allocates a fresh buffer (off-heap above 64 bytes in V8: hundreds of ns); encodeInto writes into a reused one. ' +
      'Decode is zero-copy (views), encode copies byte fields, so large payloads favour decode.',
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(renderTable(await benchCodec()));
}
