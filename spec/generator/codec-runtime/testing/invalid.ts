/**
 * Field spans of valid encodings, and invalid encodings derived from them with the verdict the
 * decoder must give:
 *
 * - truncations at every field boundary: SHORT_INPUT at the field that no longer fits (its
 *   length prefix, for prefixed fields and lists) — or valid, or OUT_OF_RANGE, when an eos or
 *   rest field absorbs the cut;
 * - one byte appended (0x00 and 0xff): TRAILING_BYTES at the old end — or valid when an eos/rest
 *   field takes it (within its max), NON_CANONICAL (at the padding's start) for padding given
 *   0xff, BAD_UTF8 for a string;
 * - undefined, reserved or wrong constant codes, integers outside their bounds or mask, length
 *   prefixes and counts outside their bounds or beyond the input, non-zero padding, invalid UTF-8.
 *
 * Cases whose verdict depends on bytes the layout cannot predict (a rest field followed by
 * non-bytes fields) are left out.
 */
import type { CodecErrorCode } from '../src/errors.ts';
import { Layouts, type FieldLayout, type StructId } from '../src/layouts.ts';

/** One field of one encoding. */
export interface Span {
  /** Spec path from the outermost struct, as in CodecError.path (e.g. envelope.body(text).text). */
  readonly path: string;
  readonly field: FieldLayout;
  /** Offset of the field: of its length or count prefix, if it has one. */
  readonly start: number;
  /** Offset of its content, after any prefix. */
  readonly content: number;
  readonly end: number;
  /** End of the region it was read in: the input's end or that of an enclosing length-prefixed body. */
  readonly regionEnd: number;
  /** Integer value, byte length or item count. */
  readonly value: number;
  /** Nested fields (struct, switch body) or list items (each an item span whose kids are its fields). */
  readonly kids: readonly Span[];
  /** Switch: the path of its body (envelope.body(text)); list item: its path (receipt.ids[0]). */
  readonly inner?: string;
  /** True for a list item (its field is the list's). */
  readonly item?: boolean;
}

/** What a decoder must do with an input: raise this error, or (null) decode it. */
export type Verdict = { code: CodecErrorCode; offset: number; path: string } | null;

/** One derived encoding and the verdict the decoder must give. */
export interface InvalidCase {
  /** What was changed, e.g. "truncated at 33 (frame.payload)". */
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly expect: Verdict;
}

type Maybe = Verdict | undefined;

function uint(b: Uint8Array, o: number, w: number): number {
  let v = 0;
  for (let i = w - 1; i >= 0; i--) v = v * 256 + b[o + i]!;
  return v;
}

function extent(f: FieldLayout, b: Uint8Array, o: number, regionEnd: number): { content: number; end: number; value: number } {
  switch (f.sizeKind) {
    case 'fixed':
      return { content: o, end: o + f.size!, value: f.size! };
    case 'prefix': {
      const n = uint(b, o, f.prefix!);
      return { content: o + f.prefix!, end: o + f.prefix! + n, value: n };
    }
    case 'rest':
      return { content: o, end: regionEnd - f.rest!, value: regionEnd - f.rest! - o };
    case 'eos':
      return { content: o, end: regionEnd, value: regionEnd - o };
    default:
      throw new Error('no extent for ' + f.sizeKind);
  }
}

function walk(id: string, b: Uint8Array, o: number, regionEnd: number, prefix: string): { spans: Span[]; end: number } {
  const layout = Layouts[id as StructId];
  if (!layout) throw new Error('unknown struct ' + id);
  const spans: Span[] = [];
  const values = new Map<string, number>();
  for (const f of layout.fields) {
    const path = prefix + '.' + f.id;
    const start = o;
    let content = o;
    let end: number;
    let value = 0;
    let kids: Span[] = [];
    let inner: string | undefined;
    switch (f.type) {
      case 'u8':
      case 'u16':
      case 'u32':
      case 'u64':
        end = o + f.size!;
        value = uint(b, o, f.size!);
        values.set(f.id, value);
        break;
      case 'bytes':
      case 'str':
      case 'zeros':
        ({ content, end, value } = extent(f, b, o, regionEnd));
        break;
      case 'list': {
        value = uint(b, o, f.prefix!);
        content = o + f.prefix!;
        let p = content;
        if (f.of === 'u8') p += value;
        else
          for (let i = 0; i < value; i++) {
            const ip = path + '[' + i + ']';
            const r = walk(f.of!, b, p, regionEnd, ip);
            kids.push({ path: ip, field: f, start: p, content: p, end: r.end, regionEnd, value: i, kids: r.spans, inner: ip, item: true });
            p = r.end;
          }
        end = p;
        break;
      }
      case 'struct': {
        const r = walk(f.struct!, b, o, regionEnd, path);
        kids = r.spans;
        end = r.end;
        break;
      }
      case 'switch': {
        ({ content, end, value } = extent(f, b, o, regionEnd));
        const sel = values.get(f.on!)!;
        inner = path + '(' + f.caseNames![sel] + ')';
        const r = walk(f.cases![sel]!, b, content, end, inner);
        if (r.end !== end) throw new Error('not a valid encoding: ' + inner + ' ends at ' + r.end + ', not ' + end);
        kids = r.spans;
        break;
      }
    }
    if (end > regionEnd) throw new Error('not a valid encoding: ' + path + ' ends beyond its region');
    spans.push({ path, field: f, start, content, end, regionEnd, value, kids, inner });
    o = end;
  }
  return { spans, end: o };
}

/** The field spans of a valid encoding of a struct. */
export function spans(struct: StructId, bytes: Uint8Array): Span[] {
  const r = walk(struct, bytes, 0, bytes.length, struct);
  if (r.end !== bytes.length) throw new Error('not a valid encoding of ' + struct + ': it ends at ' + r.end + ' of ' + bytes.length);
  return r.spans;
}

function flatten(ss: readonly Span[], out: Span[] = []): Span[] {
  for (const s of ss) {
    out.push(s);
    flatten(s.kids, out);
  }
  return out;
}

/** True if the span's extent depends on where its region ends (eos, rest, or something holding one). */
function open(s: Span): boolean {
  const f = s.field;
  if (f.sizeKind === 'eos' || f.sizeKind === 'rest') return true;
  if (f.type === 'struct') return s.kids.some(open);
  if (f.type === 'list') return s.kids.some((item) => item.kids.some(open));
  return false;
}

const err = (code: CodecErrorCode, offset: number, path: string): Verdict => ({ code, offset, path });

/** Decoding the fields kids (from offset from) with the input cut at p: an error, or where it stops. */
function cut(kids: readonly Span[], from: number, p: number): { v: Maybe } | { end: number } {
  let o = from;
  for (let k = 0; k < kids.length; k++) {
    const s = kids[k]!;
    const f = s.field;
    if (s.end <= p && !open(s)) {
      o = s.end;
      continue;
    }
    const short = { v: err('SHORT_INPUT', s.start, s.path) };
    switch (f.type) {
      case 'u8':
      case 'u16':
      case 'u32':
      case 'u64':
        return short;
      case 'bytes':
      case 'str':
      case 'zeros': {
        if (f.sizeKind === 'fixed' || f.sizeKind === 'prefix') return short;
        const tail = f.sizeKind === 'rest' ? f.rest! : 0;
        if (tail && !kids.slice(k + 1).every((r) => r.field.type === 'bytes' && r.field.sizeKind === 'fixed')) return { v: undefined };
        const n = p - s.start - tail;
        if (n < 0) return short;
        if (n < (f.minLen ?? 0) || n > (f.maxLen ?? Infinity)) return { v: err('OUT_OF_RANGE', s.start, s.path) };
        if (tail && f.type !== 'bytes') return { v: undefined };
        return { end: p };
      }
      case 'list': {
        if (f.of === 'u8' || Layouts[f.of as StructId].fixedSize !== null) return short;
        if (p < s.content) return short;
        for (const item of s.kids) {
          const r = cut(item.kids, item.start, p);
          if ('v' in r) return r;
          if (r.end !== item.end) return { v: undefined };
        }
        return { v: undefined };
      }
      case 'struct': {
        const r = cut(s.kids, s.start, p);
        if ('v' in r) return r;
        if (r.end !== s.end) return k === kids.length - 1 ? r : { v: undefined };
        o = s.end;
        continue;
      }
      case 'switch': {
        if (f.sizeKind === 'rest') return { v: undefined };
        if (f.sizeKind !== 'eos') return short;
        const r = cut(s.kids, s.content, p);
        if ('v' in r) return r;
        if (r.end !== p) return { v: err('TRAILING_BYTES', r.end, s.inner!) };
        return { end: p };
      }
    }
  }
  return { end: o };
}

/** The verdict for a valid encoding of length len with byte x appended. */
function append(kids: readonly Span[], len: number, x: number, level: string): Maybe {
  const k = kids.findIndex(open);
  if (k < 0) return err('TRAILING_BYTES', len, level);
  const s = kids[k]!;
  const f = s.field;
  if (f.type === 'bytes' || f.type === 'str' || f.type === 'zeros') {
    if (f.sizeKind === 'rest' && !kids.slice(k + 1).every((r) => r.field.type === 'bytes' && r.field.sizeKind === 'fixed')) return undefined;
    if (s.value + 1 > (f.maxLen ?? Infinity)) return err('OUT_OF_RANGE', s.start, s.path);
    if (f.type === 'bytes') return null;
    if (f.sizeKind === 'rest') return undefined;
    if (f.type === 'zeros') return x === 0 ? null : err('NON_CANONICAL', s.start, s.path);
    return x < 0x80 ? null : err('BAD_UTF8', s.start, s.path);
  }
  if (f.type === 'switch') return f.sizeKind === 'eos' ? append(s.kids, len, x, s.inner!) : undefined;
  if (f.type === 'struct' && k === kids.length - 1) return append(s.kids, len, x, level);
  return undefined;
}

function withUint(b: Uint8Array, at: number, w: number, v: number): Uint8Array {
  const c = b.slice();
  for (let i = 0; i < w; i++) {
    c[at + i] = v % 256;
    v = Math.floor(v / 256);
  }
  return c;
}

function withByte(b: Uint8Array, at: number, v: number): Uint8Array {
  const c = b.slice();
  c[at] = v;
  return c;
}

function badCodes(f: FieldLayout): number[] {
  const codes = f.codes ?? [];
  const max = f.size === 1 ? 0xff : f.size === 2 ? 0xffff : 0xffffffff;
  const lo = Math.min(...codes);
  const hi = Math.max(...codes);
  let gap = lo;
  while (codes.includes(gap)) gap++;
  const all = [0, gap, hi + 1, ...(f.reserved ?? []), max];
  return [...new Set(all)].filter((c) => c <= max && !codes.includes(c));
}

/** Invalid (and deliberately still valid) variants of a valid encoding of struct, with their verdicts. */
export function invalidEncodings(struct: StructId, bytes: Uint8Array): InvalidCase[] {
  const top = spans(struct, bytes);
  const all = flatten(top);
  const len = bytes.length;
  const out: InvalidCase[] = [];
  const add = (name: string, b: Uint8Array, v: Maybe) => {
    if (v !== undefined) out.push({ name, bytes: b, expect: v });
  };

  // (a) truncations at field boundaries.
  const cuts = new Set<number>([0]);
  for (const s of all) for (const p of [s.start, s.content, s.end]) if (p < len) cuts.add(p);
  for (const p of [...cuts].sort((a, b) => a - b)) {
    const r = cut(top, 0, p);
    const at = all.find((s) => s.start === p && s.end > s.start && !s.item)?.path ?? struct;
    add('truncated at ' + p + ' (' + at + ')', bytes.subarray(0, p), 'v' in r ? r.v : r.end === p ? null : err('TRAILING_BYTES', r.end, struct));
  }

  // (b) one byte appended.
  for (const x of [0x00, 0xff]) {
    const b = new Uint8Array(len + 1);
    b.set(bytes);
    b[len] = x;
    add('appended 0x' + x.toString(16).padStart(2, '0'), b, append(top, len, x, struct));
  }

  // (c) field values.
  for (const s of all) {
    if (s.item) continue;
    const f = s.field;
    const w = f.size ?? 0;
    if (f.type === 'u8' || f.type === 'u16' || f.type === 'u32' || f.type === 'u64') {
      if (f.const !== undefined) {
        const others = [(f.const + 1) % (w === 1 ? 256 : 65536), ...(f.codes ?? [])].filter((c) => c !== f.const);
        for (const c of [...new Set(others)].slice(0, 3)) add(s.path + ' = ' + c + ' (not the constant)', withUint(bytes, s.start, w, c), err('NON_CANONICAL', s.start, s.path));
        continue;
      }
      if (f.codes) {
        for (const c of badCodes(f)) add(s.path + ' = ' + c + ' (undefined code)', withUint(bytes, s.start, w, c), err('UNKNOWN_CODE', s.start, s.path));
        continue;
      }
      const wmax = w === 8 ? 2 ** 53 - 1 : 2 ** (8 * w) - 1;
      if (f.min !== undefined && f.min > 0) add(s.path + ' = ' + (f.min - 1) + ' (below min)', withUint(bytes, s.start, w, f.min - 1), err('OUT_OF_RANGE', s.start, s.path));
      if (f.max !== undefined && f.max < wmax) add(s.path + ' = ' + (f.max + 1) + ' (above max)', withUint(bytes, s.start, w, f.max + 1), err('OUT_OF_RANGE', s.start, s.path));
      if (w === 8) add(s.path + ' = 2^53 (beyond safe integers)', withUint(bytes, s.start, w, 2 ** 53), err('OUT_OF_RANGE', s.start, s.path));
      if (f.mask !== undefined) {
        let bit = 1;
        while (bit & f.mask) bit <<= 1;
        if (bit <= 2 ** (8 * w) - 1) add(s.path + ' |= 0x' + bit.toString(16) + ' (undefined flag)', withUint(bytes, s.start, w, (s.value | bit) >>> 0), err('NON_CANONICAL', s.start, s.path));
      }
      continue;
    }
    if ((f.sizeKind === 'prefix' || f.sizeKind === 'count') && f.prefix) {
      const pmax = 2 ** (8 * f.prefix) - 1;
      const isList = f.sizeKind === 'count';
      const lo = isList ? f.minCount! : (f.minLen ?? 0);
      const hi = isList ? f.maxCount! : (f.maxLen ?? pmax);
      const what = isList ? 'count' : 'length';
      if (hi < pmax) add(s.path + ' ' + what + ' = ' + (hi + 1) + ' (above max)', withUint(bytes, s.start, f.prefix, hi + 1), err('OUT_OF_RANGE', s.start, s.path));
      if (lo > 0) add(s.path + ' ' + what + ' = ' + (lo - 1) + ' (below min)', withUint(bytes, s.start, f.prefix, lo - 1), err('OUT_OF_RANGE', s.start, s.path));
      const avail = s.regionEnd - s.content;
      const item = !isList || f.of === 'u8' ? 1 : Layouts[f.of as StructId].fixedSize;
      if (item) {
        const n = Math.floor(avail / item) + 1;
        if (n <= pmax) add(s.path + ' ' + what + ' = ' + n + ' (beyond the input)', withUint(bytes, s.start, f.prefix, n), err(n > hi ? 'OUT_OF_RANGE' : 'SHORT_INPUT', s.start, s.path));
      }
    }
    if (f.type === 'zeros' && s.end > s.content) {
      add(s.path + ' first byte = 1', withByte(bytes, s.content, 1), err('NON_CANONICAL', s.start, s.path));
      add(s.path + ' last byte = 0x80', withByte(bytes, s.end - 1, 0x80), err('NON_CANONICAL', s.start, s.path));
    }
    if (f.type === 'str' && s.end > s.content) {
      add(s.path + ' first byte = 0xff', withByte(bytes, s.content, 0xff), err('BAD_UTF8', s.start, s.path));
      if (s.end - s.content > 1) add(s.path + ' last byte = 0xc3 (cut sequence)', withByte(bytes, s.end - 1, 0xc3), err('BAD_UTF8', s.start, s.path));
    }
  }
  return out;
}
