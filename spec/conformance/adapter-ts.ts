/**
 * The reference adapter: Parley's own TypeScript codec (generated/src/index.ts) behind the
 * conformance protocol of PROTOCOL.md. It is both what `npm run conformance` is tested with and an
 * example for implementers: read a length-prefixed JSON request, call your codec, write the answer.
 *
 *   npm run conformance -- npx tsx spec/conformance/adapter-ts.ts
 *
 * Until generated/src/index.ts exists it falls back to the reference interpreter
 * (spec/src/interp.ts) and says so in its hello answer. `open_frame` is not offered yet: the
 * runtime's frame opening is not wired here (frames.json does not exist yet either).
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_MAX_MESSAGE_BYTES, encodeMessage, isFramingError, MessageReader } from '../src/conformance/framing.ts';

const here = dirname(fileURLToPath(import.meta.url));
const GENERATED_INDEX = resolve(here, '../../generated/src/index.ts');

/** What the adapter needs from a codec. */
export interface Codec {
  name: string;
  decode(struct: string, bytes: Uint8Array): unknown;
  encode(struct: string, value: unknown): Uint8Array;
}

/** Raised by the adapter itself (not the codec) for requests it cannot serve. */
class AdapterError extends Error {
  constructor(
    readonly code: 'UNKNOWN_STRUCT' | 'UNSUPPORTED_OP' | 'BAD_REQUEST',
    message: string,
  ) {
    super(message);
  }
}

/** `relay_error_body` → `RelayErrorBody`, the generated codec's naming. */
function pascal(id: string): string {
  const camel = id.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}

type Fn = (x: unknown) => unknown;

/** The generated codec when it exists, else the interpreter. */
export async function loadCodec(): Promise<Codec> {
  if (existsSync(GENERATED_INDEX)) {
    const mod = (await import(pathToFileURL(GENERATED_INDEX).href)) as Record<string, unknown>;
    const fn = (name: string): Fn => {
      const f = mod[name];
      if (typeof f !== 'function') throw new AdapterError('UNKNOWN_STRUCT', `generated codec has no ${name}`);
      return f as Fn;
    };
    return {
      name: 'parley-ts (generated codec)',
      decode: (struct, bytes) => fn(`decode${pascal(struct)}`)(bytes),
      encode: (struct, value) => fn(`encode${pascal(struct)}`)(value) as Uint8Array,
    };
  }
  const { loadSpecFile } = await import('../src/load.ts');
  const { decodeWith, encodeWith } = await import('../src/interp.ts');
  const ir = loadSpecFile(resolve(here, '../protocol.yaml'));
  const known = (struct: string) => {
    if (!ir.structs.some((s) => s.id === struct)) throw new AdapterError('UNKNOWN_STRUCT', `no struct ${struct}`);
    return struct;
  };
  return {
    name: 'parley-ts (reference interpreter: generated/src/index.ts not found)',
    decode: (struct, bytes) => decodeWith(ir, known(struct), bytes),
    encode: (struct, value) => encodeWith(ir, known(struct), value as Parameters<typeof encodeWith>[2]),
  };
}

/** Codec values → the vectors' JSON convention: bytes become {"$bytes": hex}. */
export function toJson(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

/** The vectors' JSON convention → codec values. */
export function fromJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromJson);
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    if (typeof o.$bytes === 'string' && Object.keys(o).length === 1) return hexBytes(o.$bytes);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromJson(x)]));
  }
  return v;
}

function hexBytes(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new AdapterError('BAD_REQUEST', 'hex must be an even number of hex digits');
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

const OPS = ['decode', 'encode'];

/** Answers one request; never throws. */
export function createHandler(codec: Codec): (req: Record<string, unknown>) => Record<string, unknown> {
  return (req) => {
    const id = req.id;
    try {
      const struct = () => {
        if (typeof req.struct !== 'string') throw new AdapterError('BAD_REQUEST', 'struct must be a string');
        return req.struct;
      };
      switch (req.op) {
        case 'hello':
          return { id, ok: true, name: codec.name, version: '0.1.0', ops: OPS };
        case 'decode': {
          if (typeof req.hex !== 'string') throw new AdapterError('BAD_REQUEST', 'hex must be a string');
          return { id, ok: true, fields: toJson(codec.decode(struct(), hexBytes(req.hex))) };
        }
        case 'encode': {
          if (typeof req.fields !== 'object' || req.fields === null) throw new AdapterError('BAD_REQUEST', 'fields must be an object');
          const bytes = codec.encode(struct(), fromJson(req.fields));
          return { id, ok: true, hex: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') };
        }
        default:
          throw new AdapterError('UNSUPPORTED_OP', `op ${String(req.op)} is not supported`);
      }
    } catch (e) {
      return { id, ok: false, error: errorOf(e) };
    }
  };
}

/** A codec error keeps its code and offset; anything else is INTERNAL (never what a vector expects). */
function errorOf(e: unknown): Record<string, unknown> {
  const err = e as { code?: unknown; offset?: unknown; message?: unknown };
  if (e instanceof AdapterError) return { code: e.code, message: e.message };
  if (e instanceof Error && typeof err.code === 'string' && typeof err.offset === 'number') return { code: err.code, offset: err.offset, message: e.message };
  return { code: 'INTERNAL', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

/** Reads requests from stdin and writes answers to stdout until stdin closes. */
export function serve(handle: (req: Record<string, unknown>) => Record<string, unknown>, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): void {
  const reader = new MessageReader(maxBytes);
  process.stdin.on('data', (chunk: Buffer) => {
    let requests;
    try {
      requests = reader.push(chunk);
    } catch (e) {
      // A request over the limit: the stream cannot be resynchronised. Say why, then stop.
      process.stdout.write(encodeMessage({ id: null, ok: false, error: { code: 'REQUEST_TOO_LARGE', message: (e as Error).message } }));
      process.exit(1);
    }
    for (const r of requests) {
      const answer = isFramingError(r) ? { id: null, ok: false, error: { code: 'BAD_REQUEST', message: r.message } } : handle(r);
      process.stdout.write(encodeMessage(answer));
    }
  });
  // When stdin ends nothing is left to wait for and the process exits on its own.
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) serve(createHandler(await loadCodec()));
