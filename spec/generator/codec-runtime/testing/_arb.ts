/**
 * The value generators every struct arbitrary of arbitraries.ts builds on: bounded byte strings,
 * padding counts and well-formed UTF-8 strings, kept short by default so property runs stay fast.
 */
import fc from 'fast-check';

/** Options of every arbitrary. */
export interface ArbOptions {
  /**
   * Largest length of variable-length bytes, strings (in UTF-8 bytes) and padding, below the
   * spec's own max. Default 256, to keep runs fast; Infinity: up to the spec's max.
   */
  maxLen?: number;
}

/** Fields the spec does not bound (eos padding) stay below this even with maxLen: Infinity. */
const UNBOUNDED_CAP = 65536;

function cap(min: number, max: number, o: ArbOptions): number {
  return Math.max(min, Math.min(max, UNBOUNDED_CAP, o.maxLen ?? 256));
}

/** Byte strings of min..max bytes (capped by the options). */
export function bytes(min: number, max: number, o: ArbOptions): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ minLength: min, maxLength: cap(min, max, o) });
}

/** Padding byte counts of min..max (capped by the options). */
export function padding(min: number, max: number, o: ArbOptions): fc.Arbitrary<number> {
  return fc.integer({ min, max: cap(min, max, o) });
}

const encoder = new TextEncoder();

/** Well-formed strings of min..max UTF-8 bytes: ASCII-heavy or any code point, cut on a code point. */
export function utf8(min: number, max: number, o: ArbOptions): fc.Arbitrary<string> {
  const n = cap(min, max, o);
  const chars = (unit: 'binary' | 'binary-ascii') => fc.string({ unit, minLength: Math.min(min, n), maxLength: n });
  return fc
    .oneof(chars('binary-ascii'), chars('binary'))
    .map((s) => {
      if (s.length <= n / 4 || encoder.encode(s).length <= n) return s;
      let out = '';
      let len = 0;
      for (const c of s) {
        const k = encoder.encode(c).length;
        if (len + k > n) break;
        out += c;
        len += k;
      }
      return out;
    })
    .filter((s) => encoder.encode(s).length >= min);
}
