/**
 * Small byte helpers: concatenation, constant-time equality, hex, UTF-8,
 * little-endian u64 (spec/DESIGN.md "Notation": integers are little-endian).
 */
import { abytes, astring } from './_assert.ts';

/** Concatenates byte arrays into a new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (let i = 0; i < parts.length; i++) total += abytes(parts[i], `parts[${i}]`).length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Equality whose running time depends only on the lengths (which are public),
 * never on where the first difference is. Use it for tags and MACs.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  abytes(a, 'a');
  abytes(b, 'b');
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Overwrites arrays with zeros (best effort: JS engines may keep copies). */
export function wipe(...arrays: Uint8Array[]): void {
  for (const a of arrays) a.fill(0);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex encoding. */
const encodedOf = new WeakMap<Uint8Array, { copy: Uint8Array; encoded: string }>();

/**
 * `encode(bytes)`, remembered per array while its contents stay the same: hot paths that key
 * maps by a public key's bytes (key caches, pair caches) meet the same arrays again and again,
 * and the same string (its hash cached by the engine) is cheaper than a fresh one. For public
 * values only: a copy of the bytes is kept with the string.
 */
export function encodedBytes(bytes: Uint8Array, encode: (b: Uint8Array) => string): string {
  const hit = encodedOf.get(bytes);
  if (hit !== undefined && equalBytes(hit.copy, bytes)) return hit.encoded;
  const encoded = encode(bytes);
  encodedOf.set(bytes, { copy: bytes.slice(), encoded });
  return encoded;
}

export function toHex(bytes: Uint8Array): string {
  abytes(bytes, 'bytes');
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

/** Strict hex decoding: even length, [0-9a-fA-F] only. */
export function fromHex(hex: string): Uint8Array {
  astring(hex, 'hex');
  if (hex.length % 2 !== 0) throw new RangeError(`hex must have an even length, got ${hex.length}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(hex.charCodeAt(2 * i));
    const lo = nibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new RangeError(`hex has a non-hex character near index ${2 * i}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 encoding of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(astring(text, 'text'));
}

/** Strict UTF-8 decoding (throws TypeError on malformed input). */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(abytes(bytes, 'bytes'));
}

const TWO_32 = 0x1_0000_0000;
const U64_MAX = (1n << 64n) - 1n;

/**
 * Writes `value` as an 8-byte little-endian integer into `out` at `offset`
 * (a new 8-byte array if `out` is omitted). Numbers must be safe integers >= 0;
 * bigints must fit in 64 bits.
 */
export function u64le(value: number | bigint, out?: Uint8Array, offset = 0): Uint8Array {
  const [lo, hi] = u64Words(value, 'value');
  const o = out === undefined ? new Uint8Array(8) : abytes(out, 'out');
  if (!Number.isInteger(offset) || offset < 0 || offset + 8 > o.length) {
    throw new RangeError(`offset must leave 8 bytes in out (length ${o.length}), got ${offset}`);
  }
  o[offset] = lo; o[offset + 1] = lo >>> 8; o[offset + 2] = lo >>> 16; o[offset + 3] = lo >>> 24;
  o[offset + 4] = hi; o[offset + 5] = hi >>> 8; o[offset + 6] = hi >>> 16; o[offset + 7] = hi >>> 24;
  return o;
}

/**
 * Splits a u64 counter into [low, high] 32-bit words (internal, shared with blake3.ts).
 * Safe integers are split exactly: `value >>> 0` is value mod 2^32 and the
 * division by 2^32 is exact below 2^53.
 */
export function u64Words(value: number | bigint, name: string): [number, number] {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${name} must be a safe integer >= 0, got ${value}`);
    }
    return [value >>> 0, Math.floor(value / TWO_32) >>> 0];
  }
  if (typeof value === 'bigint') {
    if (value < 0n || value > U64_MAX) throw new RangeError(`${name} must fit in 64 bits, got ${value}`);
    return [Number(value & 0xffffffffn), Number(value >> 32n)];
  }
  throw new TypeError(`${name} must be a number or bigint, got ${typeof value}`);
}
