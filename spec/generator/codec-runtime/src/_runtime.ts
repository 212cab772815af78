/**
 * Internals of the generated codecs. Not part of the public API: nothing here is re-exported by
 * index.ts. Readers and size functions raise errors with paths relative to their own struct;
 * callers prefix them (nest) on the way out, so the happy path never builds a string.
 */
import { CodecError, type CodecErrorCode } from './errors.ts';

/** End offset of the last reader call: readers return the value and leave their end here. */
export const R = { o: 0 };

/** A run of fixed-size fields: [spec path relative to the struct, byte size]. */
export type Run = readonly (readonly [string, number])[];

/** A short description of a value, for encoder errors. */
export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x instanceof Uint8Array) return x.length + ' bytes';
  if (Array.isArray(x)) return 'an array of ' + x.length;
  if (typeof x === 'number') return String(x);
  if (typeof x === 'string') return 'a string';
  return typeof x === 'object' ? 'an object' : typeof x;
}

/** Throws a CodecError. */
export function fail(code: CodecErrorCode, offset: number, path: string, expected: string, actual: string): never {
  throw new CodecError(code, offset, path, expected, actual);
}

/** Prefixes the path of a CodecError raised inside a nested struct; returns e for throw. */
export function nest(e: unknown, prefix: string): unknown {
  if (e instanceof CodecError) {
    e.path = e.path ? prefix + '.' + e.path : prefix;
    // V8 formats the stack (and its first line, the message) lazily: never read it here.
    e.message = CodecError.format(e.code, e.offset, e.path, e.expected, e.actual);
  }
  return e;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Checks a decoder's input (any Uint8Array, a Node Buffer included). */
export function plain(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) return fail('BAD_VALUE', 0, '', 'a Uint8Array', describe(bytes));
  return bytes;
}

/** SHORT_INPUT: the field at offset at needs need bytes before end. */
export function short(at: number, end: number, path: string, need: number): never {
  return fail('SHORT_INPUT', at, path, need + ' bytes', (end > at ? end - at : 0) + ' bytes left');
}

/** Raises SHORT_INPUT at the first field of a run that does not fit before end. */
export function shortRun(o: number, end: number, run: Run): never {
  let at = o;
  for (const [path, size] of run) {
    if (end - at < size) short(at, end, path, size);
    at += size;
  }
  throw new Error('codec: shortRun called on a run that fits');
}

/** OUT_OF_RANGE: a decoded integer, length or count outside its bounds. */
export function range(at: number, path: string, expected: string, actual: number): never {
  return fail('OUT_OF_RANGE', at, path, expected, String(actual));
}

/** UNKNOWN_CODE: an undefined or reserved enum code. */
export function unknownCode(at: number, path: string, expected: string, actual: number): never {
  return fail('UNKNOWN_CODE', at, path, expected, String(actual));
}

/** NON_CANONICAL: a wrong constant, an undefined flag bit or non-zero padding. */
export function nonCanonical(at: number, path: string, expected: string, actual: number | string): never {
  return fail('NON_CANONICAL', at, path, expected, String(actual));
}

/** TRAILING_BYTES: bytes left over from offset at to end. */
export function trailing(at: number, end: number, path: string): never {
  return fail('TRAILING_BYTES', at, path, 'no more bytes', end - at + ' more');
}

/** u64 whose high word exceeds 2^53 - 1. */
export function u64Over(at: number, path: string, hi: number, lo: number): never {
  return fail('OUT_OF_RANGE', at, path, 'at most 2^53 - 1', (BigInt(hi) * 4294967296n + BigInt(lo)).toString());
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes b[s..e) as strict UTF-8 (a BOM is kept as U+FEFF); BAD_UTF8 at the field's offset. */
export function str(b: Uint8Array, s: number, e: number, at: number, path: string): string {
  if (s === e) return '';
  try {
    return utf8.decode(new Uint8Array(b.buffer, b.byteOffset + s, e - s));
  } catch {
    return fail('BAD_UTF8', at, path, 'UTF-8', 'invalid UTF-8');
  }
}

/** Runs at least this long use the native comparison (below it the scan is as fast). */
const NATIVE_ZERO_MIN = 1024;
const ZERO_BLOCK = new Uint8Array(16384);
type NativeCompare = (a: Uint8Array, zero: Uint8Array, start: number, end: number, n: number) => number;
/** Buffer.prototype.compare when running in Node (feature-detected; browsers scan instead). */
const nativeCompare: NativeCompare | undefined = (() => {
  const B = (globalThis as { Buffer?: { prototype: { compare: (...args: unknown[]) => number } } }).Buffer;
  if (!B || typeof B.prototype.compare !== 'function') return undefined;
  const compare = B.prototype.compare;
  return (a, zero, start, end, n) => compare.call(zero, a, start, end, 0, n);
})();

/** Index of the first non-zero byte of b[s..e), or -1. Scans 32 bytes per step when it can. */
export function firstNonZero(b: Uint8Array, s: number, e: number): number {
  let i = s;
  // Where the platform has a native memcmp (Node's Buffer), long zero runs are compared against a
  // static zero block: padding up to a 64 KiB bucket is the common case and must stay cheap.
  if (e - s >= NATIVE_ZERO_MIN && nativeCompare !== undefined) {
    let allZero = true;
    for (let at = s; at < e && allZero; at += ZERO_BLOCK.length) {
      const n = Math.min(ZERO_BLOCK.length, e - at);
      allZero = nativeCompare(b, ZERO_BLOCK, at, at + n, n) === 0;
    }
    if (allZero) return -1;
  }
  if (e - s >= 64) {
    const head = (4 - ((b.byteOffset + i) & 3)) & 3;
    for (const h = i + head; i < h; i++) if (b[i] !== 0) return i;
    const words = (e - i) >> 2;
    const w = new Int32Array(b.buffer, b.byteOffset + i, words);
    let acc = 0;
    let k = 0;
    for (const k8 = words - 7; k < k8; k += 8) acc |= w[k]! | w[k + 1]! | w[k + 2]! | w[k + 3]! | w[k + 4]! | w[k + 5]! | w[k + 6]! | w[k + 7]!;
    for (; k < words; k++) acc |= w[k]!;
    if (acc !== 0) {
      for (const stop = i + words * 4; i < stop; i++) if (b[i] !== 0) return i;
    }
    i += words * 4;
  }
  for (; i < e; i++) if (b[i] !== 0) return i;
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Raises BAD_VALUE unless v is a non-null object. */
export function obj(v: unknown, path: string): void {
  if (typeof v !== 'object' || v === null) fail('BAD_VALUE', -1, path, 'an object', describe(v));
}

/** An integer that failed its check: BAD_VALUE if it is not a number, OUT_OF_RANGE otherwise. */
export function intBad(path: string, x: unknown, expected: string): never {
  return fail(typeof x === 'number' ? 'OUT_OF_RANGE' : 'BAD_VALUE', -1, path, expected, describe(x));
}

/** A constant field with another value. */
export function constBad(path: string, x: unknown, expected: number): never {
  return fail('BAD_VALUE', -1, path, String(expected), describe(x));
}

/** Checks a fixed-size byte field. */
export function fixedBytes(x: unknown, n: number, path: string): void {
  if (!(x instanceof Uint8Array)) fail('BAD_VALUE', -1, path, 'a Uint8Array', describe(x));
  else if (x.length !== n) fail('OUT_OF_RANGE', -1, path, n + ' bytes', x.length + ' bytes');
}

/** Checks a variable-length byte field; returns its length. */
export function varBytes(x: unknown, min: number, max: number, path: string): number {
  if (!(x instanceof Uint8Array)) return fail('BAD_VALUE', -1, path, 'a Uint8Array', describe(x));
  const n = x.length;
  if (n < min || n > max) fail('OUT_OF_RANGE', -1, path, min + '..' + max + ' bytes', n + ' bytes');
  return n;
}

/** Checks a list; returns its length. */
export function listOf(x: unknown, min: number, max: number, path: string): number {
  if (!Array.isArray(x)) return fail('BAD_VALUE', -1, path, 'an array', describe(x));
  const n = x.length;
  if (n < min || n > max) fail('OUT_OF_RANGE', -1, path, min + '..' + max + ' items', n + ' items');
  return n;
}

/** Checks a padding byte count. */
export function zeroCount(x: unknown, min: number, max: number, path: string): number {
  if (typeof x !== 'number') return fail('BAD_VALUE', -1, path, 'a byte count', describe(x));
  if (!(x >= min && x <= max && Math.floor(x) === x)) fail('OUT_OF_RANGE', -1, path, min + '..' + max, describe(x));
  return x;
}

/** Copies src into out at o; returns the end offset. */
export function put(out: Uint8Array, o: number, src: Uint8Array): number {
  const n = src.length;
  if (n <= 16) for (let i = 0; i < n; i++) out[o + i] = src[i]!;
  else out.set(src, o);
  return o + n;
}

/** Raised if an object changed between the size pass and the write pass (getters, proxies). */
export function changed(path: string): never {
  return fail('BAD_VALUE', -1, path, 'a value that does not change while it is encoded', 'a changing value');
}

/** encodeXInto: the output must hold the encoding. */
export function room(out: Uint8Array, offset: number, n: number): void {
  if (!(out instanceof Uint8Array)) throw new TypeError('expected a Uint8Array to encode into');
  if (!(offset >= 0 && Math.floor(offset) === offset) || out.length - offset < n)
    throw new RangeError('the encoding needs ' + n + ' bytes at offset ' + offset + '; the output has ' + out.length);
}

// The size pass encodes every string into this scratch, in field order; the write pass copies
// them out in the same order. One encoder call at a time (strStart refuses re-entry).
const te = new TextEncoder();
let scratch = new Uint8Array(1024);
let top = 0;
let rd = 0;
const lens: number[] = [];
let nPut = 0;
let nTake = 0;
let busy = false;

type WellFormed = (s: string) => boolean;
const wellFormed: WellFormed =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !/\p{Surrogate}/u.test(s);

/** Starts an encoder call: empties the string scratch. */
export function strStart(): void {
  if (busy) fail('BAD_VALUE', -1, '', 'no codec call from inside an encoder (a getter re-entered it)', 'a re-entrant call');
  busy = true;
  top = 0;
  rd = 0;
  nPut = 0;
  nTake = 0;
}

/** Ends an encoder call. */
export function strDone(): void {
  busy = false;
}

/** Size pass: checks a string and its UTF-8 length, and puts its bytes into the scratch. */
export function strPut(s: unknown, min: number, max: number, path: string): number {
  if (typeof s !== 'string') return fail('BAD_VALUE', -1, path, 'a string', describe(s));
  const len = s.length;
  if (len > max) fail('OUT_OF_RANGE', -1, path, min + '..' + max + ' UTF-8 bytes', 'at least ' + len);
  if (top + 3 * len > scratch.length) {
    const next = new Uint8Array(Math.max(2 * scratch.length, top + 3 * len));
    next.set(scratch.subarray(0, top));
    scratch = next;
  }
  let n = -1;
  if (len <= 64) {
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      scratch[top + i] = c;
    }
    if (i === len) n = len;
  }
  if (n < 0) {
    if (!wellFormed(s)) fail('BAD_UTF8', -1, path, 'a well-formed string', 'a lone surrogate');
    n = te.encodeInto(s, top === 0 ? scratch : scratch.subarray(top)).written;
  }
  if (n < min || n > max) fail('OUT_OF_RANGE', -1, path, min + '..' + max + ' UTF-8 bytes', n + ' bytes');
  top += n;
  lens[nPut++] = n;
  return n;
}

/** Write pass: copies the next string's bytes; returns the end offset. */
export function strTake(out: Uint8Array, o: number): number {
  if (nTake >= nPut) changed('');
  const n = lens[nTake++]!;
  if (n <= 32) for (let i = 0; i < n; i++) out[o + i] = scratch[rd + i]!;
  else out.set(scratch.subarray(rd, rd + n), o);
  rd += n;
  return o + n;
}

/** True once the write pass has taken every string the size pass put. */
export function strAllTaken(): boolean {
  return nTake === nPut;
}
