/**
 * Property tests over every struct: decode(encode(v)) equals v, encode(decode(b)) equals b,
 * encodeInto and encodedSize agree with encode, and decoded byte fields are views of the input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codecs, hex } from './_codecs.ts';

const runs = { numRuns: 200, seed: 0x5eed, endOnFailure: true };

describe.each(codecs)('$id', ({ id, arb, encode, encodeInto, encodedSize, decode }) => {
  it('decode(encode(v)) deep-equals v, and encode(decode(b)) equals b', () => {
    fc.assert(
      fc.property(arb(), (v) => {
        const b = encode(v);
        const d = decode(b);
        expect(d).toEqual(v);
        expect(hex(encode(d))).toBe(hex(b));
      }),
      runs,
    );
  });

  it('encodeInto writes the same bytes at an offset, and encodedSize is their length', () => {
    fc.assert(
      fc.property(arb(), fc.nat({ max: 7 }), (v, at) => {
        const b = encode(v);
        expect(encodedSize(v)).toBe(b.length);
        const out = new Uint8Array(at + b.length + 3).fill(0xa5);
        expect(encodeInto(v, out, at)).toBe(at + b.length);
        expect(hex(out.subarray(at, at + b.length))).toBe(hex(b));
        expect(out[at + b.length]).toBe(0xa5);
        if (at > 0) expect(out[at - 1]).toBe(0xa5);
      }),
      { ...runs, numRuns: 50 },
    );
  });

  it('round-trips values with fields at their largest sizes', () => {
    fc.assert(
      fc.property(arb({ maxLen: Infinity }), (v) => {
        expect(decode(encode(v))).toEqual(v);
      }),
      { ...runs, numRuns: id === 'frame' || id === 'first_contact' || id === 'envelope' ? 20 : 40 },
    );
  });
});

describe('strings', () => {
  it('keep a leading U+FEFF (it is content, not a byte order mark) and any code point', async () => {
    const { decodeTurnUrl, encodeTurnUrl } = await import('../src/index.ts');
    for (const url of ['\ufeffturn:x', '\u0000', 'é😀中', '']) {
      const b = encodeTurnUrl({ url });
      expect(decodeTurnUrl(b).url).toBe(url);
      expect(b[0]).toBe(new TextEncoder().encode(url).length);
    }
  });
});

describe('decoding is zero-copy', () => {
  it('byte fields of a decoded frame are views of the input', async () => {
    const { decodeFrame, encodeFrame, FrameKind } = await import('../src/index.ts');
    const b = encodeFrame({ route: new Uint8Array(8), nonce: new Uint8Array(24), kind: FrameKind.peer, payload: new Uint8Array([1, 2, 3]), sig: new Uint8Array(64) });
    const f = decodeFrame(b);
    expect(f.payload.buffer).toBe(b.buffer);
    b[33] = 9;
    expect(f.payload[0]).toBe(9);
  });

  it('a Node Buffer input gives plain Uint8Array fields', async () => {
    const { decodeFrame, encodeFrame, FrameKind } = await import('../src/index.ts');
    const b = Buffer.from(encodeFrame({ route: new Uint8Array(8), nonce: new Uint8Array(24), kind: FrameKind.peer, payload: new Uint8Array(3), sig: new Uint8Array(64) }));
    expect(decodeFrame(b).payload.constructor).toBe(Uint8Array);
  });
});
