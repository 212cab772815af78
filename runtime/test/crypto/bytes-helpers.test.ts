/** The byte helpers: hex, UTF-8, constant-time equality, concatenation, u64le. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, encodedBytes, equalBytes, fromHex, fromUtf8, toHex, u64le, utf8, wipe } from '../../src/crypto/bytes.ts';

describe('bytes helpers', () => {
  it('hex round-trips and is strict', () => {
    fc.assert(
      fc.property(fc.uint8Array(), (b) => {
        expect(fromHex(toHex(b))).toEqual(b);
      }),
    );
    expect(fromHex('00FFa0')).toEqual(Uint8Array.of(0, 255, 160));
    expect(() => fromHex('abc')).toThrow(/even length/);
    expect(() => fromHex('zz')).toThrow(/non-hex/);
  });

  it('utf8 round-trips and rejects malformed input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(fromUtf8(utf8(s))).toBe(s);
      }),
    );
    expect(() => fromUtf8(Uint8Array.of(0xff))).toThrow(TypeError);
  });

  it('equalBytes compares content and length', () => {
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBe(false);
  });

  it('concatBytes and wipe', () => {
    const c = concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3));
    expect(c).toEqual(Uint8Array.of(1, 2, 3));
    wipe(c);
    expect(c).toEqual(new Uint8Array(3));
  });

  it('u64le writes little-endian for safe numbers and 64-bit bigints', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(new DataView(u64le(n).buffer).getBigUint64(0, true)).toBe(BigInt(n));
      }),
    );
    expect(toHex(u64le(2n ** 64n - 1n))).toBe('ffffffffffffffff');
    expect(toHex(u64le(0x0102030405060708n))).toBe('0807060504030201');
    const out = new Uint8Array(10);
    u64le(2 ** 32, out, 2);
    expect(toHex(out)).toBe('00000000000001000000');
    expect(() => u64le(-1)).toThrow(RangeError);
    expect(() => u64le(2 ** 53)).toThrow(RangeError);
    expect(() => u64le(2n ** 64n)).toThrow(RangeError);
    expect(() => u64le(1, new Uint8Array(8), 1)).toThrow(/offset/);
  });

  it('encodedBytes remembers an encoding per array only while its contents stay the same', () => {
    let calls = 0;
    const hex = (b: Uint8Array) => (calls++, toHex(b));
    const a = Uint8Array.of(1, 2, 3);
    expect(encodedBytes(a, hex)).toBe('010203');
    expect(encodedBytes(a, hex)).toBe('010203');
    expect(calls).toBe(1);
    a[1] = 9; // changed in place: encoded again
    expect(encodedBytes(a, hex)).toBe('010903');
    expect(encodedBytes(Uint8Array.of(1, 9, 3), hex)).toBe('010903'); // another array: its own entry
    expect(calls).toBe(3);
  });
});
