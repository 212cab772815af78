import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from '../generator/load.ts';
import { CodecError, decodeWith, encodeWith, isCodecError, traceWith, type ValueObject } from '../generator/interp.ts';
import { Rng, ValueGen, type Mode } from '../generator/emit/vectors-values.ts';
import { toJson } from '../generator/emit/vectors.ts';

const tiny = loadSpecFile(fileURLToPath(new URL('./fixtures/tiny-docs.yaml', import.meta.url)));
const ir = loadSpecFile(fileURLToPath(new URL('../protocol.yaml', import.meta.url)));

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function failure(fn: () => unknown): { code: string; offset: number; path: string } {
  try {
    fn();
  } catch (e) {
    if (!isCodecError(e)) throw e;
    return { code: e.code, offset: e.offset, path: e.path };
  }
  throw new Error('expected a CodecError');
}

describe('interp: decoding and encoding by hand-computed bytes', () => {
  const hello = { kind: 1, flags: 3, name: 'ab', versions: [2], time: 5 };
  const helloHex = '01 0300 02 6162 01 02 0500000000000000';

  it('encodes and decodes a struct with a constant, a mask, a prefixed string, a u8 list and a u64', () => {
    expect(toHex(encodeWith(tiny, 'hello', hello))).toBe(helloHex.replace(/ /g, ''));
    expect(decodeWith(tiny, 'hello', hex(helloHex))).toEqual(hello);
  });

  it('puts the selected case in a switch field and the padding count in a zeros field', () => {
    const bytes = hex(`01 1000 ${helloHex} 0000`);
    const value = decodeWith(tiny, 'message', bytes);
    expect(value).toEqual({ kind: 1, body: hello, padding: 2 });
    expect(encodeWith(tiny, 'message', value)).toEqual(bytes);
  });

  it('decodes nested structs and lists of structs', () => {
    const bytes = hex('0100 0200 2c01 0200 0300 0400 0500 0600');
    const value = decodeWith(tiny, 'shape', bytes);
    expect(value).toEqual({ origin: { x: 1, y: 2 }, color: 300, points: [{ x: 3, y: 4 }, { x: 5, y: 6 }] });
    expect(encodeWith(tiny, 'shape', value)).toEqual(bytes);
  });

  it('reads `rest: N` as every byte but the last N', () => {
    const bytes = hex('02 01020304 aabbcc 1111111111111111');
    const value = decodeWith(tiny, 'frame', bytes);
    expect(value).toEqual({ kind: 2, key: hex('01020304'), payload: hex('aabbcc'), sig: hex('1111111111111111') });
    expect(encodeWith(tiny, 'frame', value)).toEqual(bytes);
  });

  it('keeps a leading U+FEFF as content', () => {
    const value = { marker: 1, zero: 3, note: '\uFEFFhi' };
    const bytes = encodeWith(tiny, 'pad', value);
    expect(toHex(bytes)).toBe('01000000efbbbf6869');
    expect(decodeWith(tiny, 'pad', bytes)).toEqual(value);
  });

  it('decodes a real envelope', () => {
    const bytes = hex('07070707070707070707070707070707 ffffffffffff1f00 01 01 1a000000 06000000 68c3a96c6c6f 00000000000000000000000000000000 01 0500 0200 0102 000000');
    expect(toJson(decodeWith(ir, 'envelope', bytes))).toEqual({
      msgId: { $bytes: '07'.repeat(16) },
      sentAt: Number.MAX_SAFE_INTEGER,
      type: 1,
      flags: 1,
      body: { text: 'héllo', replyTo: { $bytes: '00'.repeat(16) } },
      extensions: [{ tag: 5, value: { $bytes: '0102' } }],
      padding: 3,
    });
  });

  it('labels every byte in the trace', () => {
    const { spans } = traceWith(tiny, 'message', hex(`01 1000 ${helloHex} 0000`));
    const leaves = spans.filter((s) => s.leaf).map((s) => [s.path, s.role, s.offset, s.size]);
    expect(leaves).toEqual([
      ['message.kind', 'value', 0, 1],
      ['message.body', 'length', 1, 2],
      ['message.body.kind', 'value', 3, 1],
      ['message.body.flags', 'value', 4, 2],
      ['message.body.name', 'length', 6, 1],
      ['message.body.name', 'value', 7, 2],
      ['message.body.versions', 'count', 9, 1],
      ['message.body.versions', 'value', 10, 1],
      ['message.body.time', 'value', 11, 8],
      ['message.padding', 'value', 19, 2],
    ]);
  });
});

describe('interp: decode errors carry code, offset and path', () => {
  const cases: [string, string, string, number, string][] = [
    // struct, hex, code, offset, path
    ['hello', '01 0300 02 61', 'SHORT_INPUT', 3, 'hello.name'],
    ['hello', '01 03', 'SHORT_INPUT', 1, 'hello.flags'],
    ['hello', '01 0300 0d', 'OUT_OF_RANGE', 3, 'hello.name'], // 13 > 12, checked before the bytes
    ['hello', '01 0300 00', 'OUT_OF_RANGE', 3, 'hello.name'], // below min 1
    ['hello', '01 0300 01 61 02 05', 'SHORT_INPUT', 5, 'hello.versions'], // u8 list read like bytes
    ['hello', '01 0300 01 61 04', 'OUT_OF_RANGE', 5, 'hello.versions'],
    ['hello', '02 0300 01 61 01 02 0500000000000000', 'NON_CANONICAL', 0, 'hello.kind'],
    ['hello', '07 0300 01 61 01 02 0500000000000000', 'NON_CANONICAL', 0, 'hello.kind'], // const before enum
    ['hello', '09 0300 01 61 01 02 0500000000000000', 'NON_CANONICAL', 0, 'hello.kind'],
    ['frame', '09 01020304 1111111111111111', 'UNKNOWN_CODE', 0, 'frame.kind'], // reserved
    ['hello', '01 0700 01 61 01 02 0500000000000000', 'NON_CANONICAL', 1, 'hello.flags'],
    ['hello', '01 0300 01 ff 01 02 0500000000000000', 'BAD_UTF8', 3, 'hello.name'],
    ['hello', '01 0300 01 61 01 02 0000000000002000', 'OUT_OF_RANGE', 7, 'hello.time'], // 2^53
    ['hello', '01 0300 01 61 01 02 0500000000000000 00', 'TRAILING_BYTES', 15, 'hello'],
    ['frame', '02 01020304 11111111111111', 'SHORT_INPUT', 5, 'frame.payload'],
    ['frame', `02 01020304 ${'00'.repeat(65)} 1111111111111111`, 'OUT_OF_RANGE', 5, 'frame.payload'],
    ['shape', '0100 0200 0100 0100 0300', 'SHORT_INPUT', 6, 'shape.points'], // fixed-size elements: as a whole
    ['shape', '0100 0000 0100 0000', 'OUT_OF_RANGE', 2, 'shape.origin.y'],
    ['shape', '0100 0200 0200 0000', 'UNKNOWN_CODE', 4, 'shape.color'],
    ['message', '02 0900 0100 0200 2c01 0000 00', 'TRAILING_BYTES', 11, 'message.body'],
    ['message', '02 0700 0100 0200 2c01 00', 'SHORT_INPUT', 9, 'message.body.points'],
    ['message', '02 0a00 0100 0200 2c01 0100 0100', 'SHORT_INPUT', 9, 'message.body.points'],
    ['message', '02 0800 0100 0200 2c01 0000 0001', 'NON_CANONICAL', 11, 'message.padding'],
    ['message', '02 4100', 'OUT_OF_RANGE', 1, 'message.body'],
    ['message', '09 0000', 'UNKNOWN_CODE', 0, 'message.kind'],
    ['pad', '01 000100', 'NON_CANONICAL', 1, 'pad.zero'],
    ['pad', `01 000000 ${'61'.repeat(11)}`, 'OUT_OF_RANGE', 4, 'pad.note'],
  ];
  it.each(cases)('%s %s -> %s at %i', (struct, h, code, offset, path) => {
    expect(failure(() => decodeWith(tiny, struct, hex(h)))).toEqual({ code, offset, path });
  });

  it('raises CodecError objects with a name and a message', () => {
    try {
      decodeWith(tiny, 'point', new Uint8Array(1));
    } catch (e) {
      expect(e).toBeInstanceOf(CodecError);
      expect((e as Error).name).toBe('CodecError');
      expect((e as Error).message).toMatch(/SHORT_INPUT at offset 0 \(point.x\)/);
    }
  });

  it('refuses to decode a struct the spec does not have', () => {
    expect(() => decodeWith(tiny, 'nope', new Uint8Array())).toThrow(RangeError);
  });
});

describe('interp: encode errors', () => {
  const hello: ValueObject = { kind: 1, flags: 3, name: 'ab', versions: [2], time: 5 };
  const cases: [string, ValueObject, string, string][] = [
    ['missing field', { ...hello, time: undefined as unknown as number }, 'BAD_VALUE', 'hello.time'],
    ['unknown field', { ...hello, extra: 1 }, 'BAD_VALUE', 'hello'],
    ['string for a number', { ...hello, flags: '3' }, 'BAD_VALUE', 'hello.flags'],
    ['fraction', { ...hello, flags: 1.5 }, 'BAD_VALUE', 'hello.flags'],
    ['negative', { ...hello, flags: -1 }, 'OUT_OF_RANGE', 'hello.flags'],
    ['constant', { ...hello, kind: 2 }, 'NON_CANONICAL', 'hello.kind'],
    ['mask', { ...hello, flags: 4 }, 'NON_CANONICAL', 'hello.flags'],
    ['unsafe u64', { ...hello, time: 2 ** 53 }, 'OUT_OF_RANGE', 'hello.time'],
    ['name too long', { ...hello, name: 'x'.repeat(13) }, 'OUT_OF_RANGE', 'hello.name'],
    ['lone surrogate', { ...hello, name: 'a\uD800' }, 'BAD_UTF8', 'hello.name'],
    ['too many versions', { ...hello, versions: [1, 2, 3, 4] }, 'OUT_OF_RANGE', 'hello.versions'],
    ['u8 list element', { ...hello, versions: [256] }, 'OUT_OF_RANGE', 'hello.versions[0]'],
  ];
  it.each(cases)('%s', (_, value, code, path) => {
    expect(failure(() => encodeWith(tiny, 'hello', value))).toMatchObject({ code, path });
  });

  it('checks fixed sizes, enum values, nested shapes and switch bodies', () => {
    expect(failure(() => encodeWith(tiny, 'frame', { kind: 2, key: new Uint8Array(3), payload: new Uint8Array(), sig: new Uint8Array(8) }))).toMatchObject({ code: 'OUT_OF_RANGE', path: 'frame.key', offset: 1 });
    expect(failure(() => encodeWith(tiny, 'frame', { kind: 9, key: new Uint8Array(4), payload: new Uint8Array(), sig: new Uint8Array(8) }))).toMatchObject({ code: 'UNKNOWN_CODE' });
    expect(failure(() => encodeWith(tiny, 'shape', { origin: [], color: 1, points: [] }))).toMatchObject({ code: 'BAD_VALUE', path: 'shape.origin' });
    expect(failure(() => encodeWith(tiny, 'message', { kind: 2, body: { origin: { x: 1, y: 0 }, color: 1, points: [] }, padding: 0 }))).toMatchObject({
      code: 'OUT_OF_RANGE',
      path: 'message.body.origin.y',
      offset: 5,
    });
    expect(failure(() => encodeWith(tiny, 'pad', { marker: 1, zero: 2, note: '' }))).toMatchObject({ code: 'OUT_OF_RANGE', path: 'pad.zero' });
  });
});

describe('interp: properties over every struct of protocol.yaml', () => {
  const gen = new ValueGen(ir);
  const modes: Mode[] = ['min', 'max', 'random'];

  it.each(ir.structs.map((s) => s.id))('%s: generated values survive encode then decode', (id) => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom(...modes), fc.nat(100), (seed, mode, pick) => {
        const value = gen.struct(id, new Rng(seed), { mode, pick, cap: 300 });
        const bytes = encodeWith(ir, id, value);
        expect(toJson(decodeWith(ir, id, bytes))).toEqual(toJson(value));
      }),
      { numRuns: 60 },
    );
  });

  it.each(ir.structs.map((s) => s.id))('%s: whatever decodes re-encodes to the same bytes (one encoding per value)', (id) => {
    const base = encodeWith(ir, id, gen.struct(id, new Rng(`${id}-canonical`), { mode: 'random', pick: 0, cap: 64 }));
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete'), (at, byte, op) => {
        const i = base.length ? at % (base.length + (op === 'insert' ? 1 : 0)) : 0;
        let bytes: Uint8Array;
        if (op === 'set' && base.length) (bytes = base.slice()), (bytes[i] = byte);
        else if (op === 'insert') bytes = Uint8Array.from([...base.subarray(0, i), byte, ...base.subarray(i)]);
        else bytes = Uint8Array.from([...base.subarray(0, i), ...base.subarray(i + 1)]);
        let value: ValueObject;
        try {
          value = decodeWith(ir, id, bytes);
        } catch (e) {
          expect(isCodecError(e)).toBe(true);
          expect((e as CodecError).offset).toBeLessThanOrEqual(bytes.length);
          return;
        }
        expect(encodeWith(ir, id, value)).toEqual(bytes);
      }),
      { numRuns: 150 },
    );
  });
});
