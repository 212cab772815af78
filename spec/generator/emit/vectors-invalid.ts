/**
 * Invalid codec vectors: each is a valid vector with one targeted change (a truncation, an extra
 * byte, an enum code the spec does not define, a length above its bound, ...). The interpreter
 * (interp.ts) decides the expected error; each kind of change also states which error it must
 * provoke and at which offset, so a change that trips over some other check first is a bug in
 * this file, not a vector.
 */
import { INT_MAX, INT_WIDTH, type IntFieldIR, type SpecIR } from '../ir.ts';
import { decodeWith, isCodecError, isInt, traceWith, type CodecErrorCode } from '../interp.ts';

export interface InvalidVector {
  struct: string;
  name: string;
  hex: string;
  error: { code: CodecErrorCode; offset: number };
  /** The failing field's path (informative; implementations need not report paths). */
  path: string;
}

/** Resizing a rest/eos field beyond its maximum is skipped when the vector would exceed this. */
const MAX_RESIZED_BYTES = 70_000;

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function writeUint(b: Uint8Array, offset: number, width: number, v: number | bigint): void {
  let x = BigInt(v);
  for (let i = 0; i < width; i++) {
    b[offset + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}
function readUint(b: Uint8Array, offset: number, width: number): number {
  let v = 0;
  for (let i = width - 1; i >= 0; i--) v = v * 256 + b[offset + i]!;
  return v;
}
function splice(b: Uint8Array, at: number, remove: number, insert: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(b.length - remove + insert.length);
  out.set(b.subarray(0, at), 0);
  out.set(insert, at);
  out.set(b.subarray(at + remove), at + insert.length);
  return out;
}

/** Index a path without list indices, e.g. `receipt.ids[3].id` -> `receipt.ids[].id`. */
const normal = (path: string) => path.replace(/\[\d+\]/g, '[]');

export function invalidVectors(ir: SpecIR, structId: string, valid: Uint8Array[]): InvalidVector[] {
  const out: InvalidVector[] = [];
  const seenHex = new Set<string>();
  const seenKey = new Set<string>();
  const enums = new Map(ir.enums.map((e) => [e.id, e]));

  /** Records `bytes` as an invalid vector; `expect` pins the code and offset a change must cause. */
  const add = (name: string, bytes: Uint8Array, expect?: { code: CodecErrorCode; offset: number }) => {
    const hex = toHex(bytes);
    try {
      decodeWith(ir, structId, bytes);
    } catch (e) {
      if (!isCodecError(e)) throw e;
      if (expect && (e.code !== expect.code || e.offset !== expect.offset))
        throw new Error(`vectors: ${structId} "${name}" should fail with ${expect.code} at ${expect.offset}, got ${e.message}`);
      if (seenHex.has(hex)) return;
      seenHex.add(hex);
      out.push({ struct: structId, name, hex, error: { code: e.code, offset: e.offset }, path: e.path });
      return;
    }
    if (expect) throw new Error(`vectors: ${structId} "${name}" should fail with ${expect.code} but decodes`);
  };
  /** Runs `make` once per mutation key (the smallest vector that has the field wins). */
  const once = (key: string, make: () => void) => {
    if (seenKey.has(key)) return;
    seenKey.add(key);
    make();
  };

  const bases = [...valid].sort((a, b) => a.length - b.length);
  const smallest = bases[0];
  if (smallest) {
    // Truncation at every top-level field boundary (and after each length prefix).
    const { spans } = traceWith(ir, structId, smallest);
    const cuts = new Map<number, string>();
    for (const s of spans) {
      if (s.depth !== 0) continue;
      if (!cuts.has(s.start)) cuts.set(s.start, `before ${s.field.id}`);
      if (s.role !== 'value') cuts.set(s.offset + s.size, `after the ${s.role} of ${s.field.id}`);
    }
    for (const [cut, where] of [...cuts].sort((a, b) => a[0] - b[0])) if (cut < smallest.length) add(`truncated ${where} (${cut} bytes)`, smallest.subarray(0, cut));
    // One byte appended.
    for (const extra of [0x00, 0xff]) {
      const longer = splice(smallest, smallest.length, 0, Uint8Array.of(extra));
      try {
        decodeWith(ir, structId, longer);
      } catch {
        add(`one byte 0x${extra.toString(16).padStart(2, '0')} appended`, longer);
        break;
      }
    }
  }

  let utf8Variants = false;
  for (const base of bases) {
    const { spans } = traceWith(ir, structId, base);
    for (const s of spans) {
      const key = (kind: string) => `${kind}|${s.struct}.${s.field.id}|${s.role}`;
      const label = (kind: string) => `${kind}: ${normal(s.path)}${s.depth > 0 ? ` (${s.struct})` : ''}`;
      const set = (width: number, v: number | bigint, at = s.offset) => {
        const b = base.slice();
        writeUint(b, at, width, v);
        return b;
      };
      const f = s.field;
      if (s.role === 'value' && isInt(f)) {
        intMutations(f, readUint(base, s.offset, s.size), enums, (kind, v, code) => once(key(kind), () => add(label(kind), set(s.size, v), { code, offset: s.start })));
      } else if (s.role === 'length' || s.role === 'count') {
        const width = s.size;
        const [min, max] = s.role === 'count' && f.type === 'list' ? [f.minCount, f.maxCount] : 'minLen' in f ? [f.minLen ?? 0, f.maxLen] : [0, undefined];
        if (max !== undefined && max + 1 <= INT_MAX[widthType(width)])
          once(key(`${s.role} above max`), () => add(label(`${s.role} ${max + 1} above max`), set(width, max + 1), { code: 'OUT_OF_RANGE', offset: s.start }));
        if (min > 0) once(key(`${s.role} below min`), () => add(label(`${s.role} ${min - 1} below min`), set(width, min - 1), { code: 'OUT_OF_RANGE', offset: s.start }));
        if (s.depth === 0 && s.role === 'length') {
          const len = base.length - (s.offset + width) + 1;
          if (len <= (max ?? Infinity) && len <= INT_MAX[widthType(width)])
            once(key('length past end'), () => add(label('length past the end'), set(width, len), { code: 'SHORT_INPUT', offset: s.start }));
        }
        if (f.type === 'switch' && s.role === 'length') {
          const len = readUint(base, s.offset, width);
          const end = s.offset + width + len;
          once(key('slice longer'), () => {
            const b = splice(base, end, 0, Uint8Array.of(0));
            writeUint(b, s.offset, width, len + 1);
            add(label('case slice one byte longer'), b);
          });
          if (len > 0)
            once(key('slice shorter'), () => {
              const b = splice(base, end - 1, 1);
              writeUint(b, s.offset, width, len - 1);
              add(label('case slice one byte shorter'), b);
            });
        }
      } else if (s.role === 'value' && f.type === 'str' && s.size > 0) {
        const variants: [string, (b: Uint8Array) => void][] = [['invalid byte 0xff', (b) => (b[s.offset] = 0xff)]];
        if (!utf8Variants) {
          variants.push(['lead byte without continuation', (b) => (b[s.offset + s.size - 1] = 0xe2)]);
          if (s.size >= 2) variants.push(['overlong NUL', (b) => b.set([0xc0, 0x80], s.offset)]);
          if (s.size >= 3) variants.push(['UTF-16 surrogate', (b) => b.set([0xed, 0xa0, 0x80], s.offset)]);
          if (s.size >= 4) variants.push(['above U+10FFFF', (b) => b.set([0xf4, 0x90, 0x80, 0x80], s.offset)]);
          utf8Variants = variants.length === 5;
        }
        for (const [what, mutate] of variants)
          once(key(`utf8 ${what}`), () => {
            const b = base.slice();
            mutate(b);
            add(label(`bad UTF-8, ${what}`), b, { code: 'BAD_UTF8', offset: s.start });
          });
      } else if (s.role === 'value' && f.type === 'zeros' && s.size > 0) {
        once(key('nonzero'), () => {
          const b = base.slice();
          b[s.offset + s.size - 1] = 0x01;
          add(label('non-zero padding'), b, { code: 'NON_CANONICAL', offset: s.start });
        });
      }
      // A rest or eos field resized beyond its bounds (top level only: nested sizes are slices).
      if (s.role === 'value' && s.depth === 0 && 'size' in f && (f.size.kind === 'rest' || f.size.kind === 'eos') && f.type !== 'switch') {
        const fill = f.type === 'str' ? 0x61 : 0x00;
        if (f.minLen !== undefined && f.minLen > 0)
          once(key('resized below min'), () => add(label(`${f.minLen! - 1} bytes, below min`), splice(base, s.offset, s.size, new Uint8Array(f.minLen! - 1).fill(fill)), { code: 'OUT_OF_RANGE', offset: s.start }));
        if (f.maxLen !== undefined && base.length - s.size + f.maxLen + 1 <= MAX_RESIZED_BYTES)
          once(key('resized above max'), () => add(label(`${f.maxLen! + 1} bytes, above max`), splice(base, s.offset, s.size, new Uint8Array(f.maxLen! + 1).fill(fill)), { code: 'OUT_OF_RANGE', offset: s.start }));
      }
    }
  }
  return out;
}

const widthType = (w: number) => (w === 1 ? 'u8' : w === 2 ? 'u16' : w === 4 ? 'u32' : 'u64') as 'u8' | 'u16' | 'u32' | 'u64';

/** The changes an integer field admits: each a value to write and the error it must cause. */
function intMutations(
  f: IntFieldIR,
  current: number,
  enums: Map<string, { values: { id: string; value: number; reserved: boolean }[] }>,
  emit: (kind: string, v: number | bigint, code: CodecErrorCode) => void,
): void {
  const typeMax = f.type === 'u64' ? 2 ** 64 - 1 : INT_MAX[f.type];
  if (f.type === 'u64') {
    emit('u64 2^53, above 2^53 - 1', 2n ** 53n, 'OUT_OF_RANGE');
    emit('u64 2^64 - 1', 2n ** 64n - 1n, 'OUT_OF_RANGE');
  }
  if (f.enum) {
    // On a constant field any other value is NON_CANONICAL, a code the enum lacks included.
    const code: CodecErrorCode = f.const === undefined ? 'UNKNOWN_CODE' : 'NON_CANONICAL';
    const values = enums.get(f.enum)!.values;
    const used = new Set(values.map((v) => v.value));
    let unknown = 0;
    while (used.has(unknown)) unknown++;
    if (unknown <= typeMax) emit(`code ${unknown} not in ${f.enum}`, unknown, code);
    const top = Math.max(...used) + 1;
    if (top !== unknown && top <= typeMax) emit(`code ${top} not in ${f.enum}`, top, code);
    for (const v of values.filter((x) => x.reserved)) emit(`reserved ${f.enum}.${v.id}`, v.value, code);
  }
  if (f.const !== undefined) {
    const other = f.enum
      ? enums.get(f.enum)!.values.find((v) => !v.reserved && v.value !== f.const)?.value
      : (f.const + 1) % (INT_MAX[f.type] + 1);
    if (other !== undefined) emit(`${other} instead of the constant ${f.const}`, other, 'NON_CANONICAL');
    return;
  }
  if (f.enum) return;
  if (f.max !== undefined && f.max < INT_MAX[f.type]) emit(`${f.max + 1} above max`, f.max + 1, 'OUT_OF_RANGE');
  if (f.min !== undefined && f.min > 0) emit(`${f.min - 1} below min`, f.min - 1, 'OUT_OF_RANGE');
  if (f.mask !== undefined) {
    let bit = 1n;
    while (bit & BigInt(f.mask)) bit <<= 1n;
    if (bit <= BigInt(typeMax)) {
      const v = BigInt(current) | bit;
      if (f.max === undefined || v <= BigInt(f.max)) emit(`bit 0x${bit.toString(16)} outside the mask`, v, 'NON_CANONICAL');
    }
  }
}
