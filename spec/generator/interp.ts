/**
 * A reference codec that interprets the IR directly: `decodeWith(ir, 'envelope', bytes)` and
 * `encodeWith(ir, 'envelope', value)`. It is the second, independent implementation of the wire
 * format: the test vectors (generated/vectors/codec.json) are produced by it, and the generated
 * TypeScript codec and Kaitai's parser are checked against them. It is written to be plainly
 * correct, not fast: one field at a time, every check spelled out.
 *
 * Value shapes (the same as the generated codec's): field names in camelCase; u8..u64 are numbers
 * (u64 above 2^53 - 1 is OUT_OF_RANGE); bytes are Uint8Array; str is a string (fatal UTF-8, a
 * leading U+FEFF is content); zeros is the number of zero bytes; a list of u8 is number[]; a list
 * of structs is an array of objects; a nested struct is an object; a switch field holds the
 * selected case struct's value (the selector stays a number in its own field). Length prefixes
 * and list counts are implied by the value and do not appear in it.
 *
 * Decode checks, in order, and the error each raises (code, offset where the failing field starts,
 * path such as `envelope.body.text`):
 * - a fixed-size field, a length prefix or list count, or the bytes a prefix announces, run past
 *   the end of the enclosing input: SHORT_INPUT at the field's first byte (its prefix, if any).
 *   `rest: N` with fewer than N bytes left is SHORT_INPUT too. A list whose elements have a fixed
 *   size (u8 or a fixed-size struct) is checked as a whole, like length-prefixed bytes; a list of
 *   variable-size structs fails inside the element that does not fit.
 * - a length or count outside the field's bounds: OUT_OF_RANGE at the field's first byte, checked
 *   before the bytes it announces are looked at.
 * - integers: above 2^53 - 1 (u64, OUT_OF_RANGE), then a constant's wrong value (NON_CANONICAL,
 *   even a code its enum does not define), then not a defined or a reserved enum value
 *   (UNKNOWN_CODE), then min/max (OUT_OF_RANGE), then bits outside the mask (NON_CANONICAL).
 * - str not valid UTF-8: BAD_UTF8; zeros with a non-zero byte: NON_CANONICAL (at the field start).
 * - a sized switch decodes its case inside its slice and must consume it exactly: TRAILING_BYTES at
 *   the first unread byte of the slice, path of the switch field.
 * - bytes after the last field of the top-level struct: TRAILING_BYTES at the first extra byte,
 *   path = the struct id.
 * Encoding applies the same checks to the value, with the same codes, plus BAD_VALUE for a value
 * of the wrong type or shape (missing or unknown member, non-integer number, ...).
 */
import { INT_MAX, INT_WIDTH, type EnumIR, type FieldIR, type IntFieldIR, type SizeIR, type SpecIR, type StructIR } from './ir.ts';

export type CodecErrorCode = 'SHORT_INPUT' | 'TRAILING_BYTES' | 'UNKNOWN_CODE' | 'OUT_OF_RANGE' | 'NON_CANONICAL' | 'BAD_UTF8' | 'BAD_VALUE';

/** Raised by decodeWith / encodeWith for any input the spec does not allow. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    readonly code: CodecErrorCode,
    /** Byte offset where the failing field starts (for TRAILING_BYTES, the first extra byte). */
    readonly offset: number,
    /** Spec path of the field, e.g. `envelope.body.text`. */
    readonly path: string,
    detail: string,
  ) {
    super(`${code} at offset ${offset} (${path}): ${detail}`);
  }
}

export function isCodecError(e: unknown): e is CodecError {
  return e instanceof Error && e.name === 'CodecError' && typeof (e as CodecError).code === 'string';
}

export type Value = number | string | Uint8Array | Value[] | ValueObject;
export interface ValueObject {
  [field: string]: Value;
}

/** One labelled byte range of a decoded input (see traceWith). */
export interface Span {
  /** Spec path of the field, e.g. `envelope.body.text` or `receipt.ids[2].id`. */
  path: string;
  /** `length` and `count` are a field's prefix; `value` is its content. */
  role: 'value' | 'length' | 'count';
  /** First byte of the field (its prefix, if any): where its decode errors point. */
  start: number;
  offset: number;
  size: number;
  /** The spec field and the struct that declares it. */
  field: FieldIR;
  struct: string;
  /** Nesting depth: 0 for the fields of the top-level struct. */
  depth: number;
  /** False for a nested struct, a list of structs or a switch: their fields have spans of their own. */
  leaf: boolean;
}

/** True for u8..u64 fields. */
export function isInt(f: FieldIR): f is IntFieldIR {
  return f.type === 'u8' || f.type === 'u16' || f.type === 'u32' || f.type === 'u64';
}

/** `msg_id` -> `msgId`: the name of a field in a value. */
export function camel(id: string): string {
  return id.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

interface Context {
  structs: Map<string, StructIR>;
  enums: Map<string, EnumIR>;
}
const contexts = new WeakMap<SpecIR, Context>();
function contextOf(ir: SpecIR): Context {
  let c = contexts.get(ir);
  if (!c) {
    c = { structs: new Map(ir.structs.map((s) => [s.id, s])), enums: new Map(ir.enums.map((e) => [e.id, e])) };
    contexts.set(ir, c);
  }
  return c;
}
function structOf(ctx: Context, id: string): StructIR {
  const s = ctx.structs.get(id);
  if (!s) throw new RangeError(`no struct named ${id} in the spec`);
  return s;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();
/** A UTF-16 surrogate without its pair: such a string has no UTF-8 encoding. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Checks an integer against its field's rules (shared by decode and encode). */
function checkInt(ctx: Context, f: IntFieldIR, v: number, offset: number, path: string): void {
  const fail = (code: CodecErrorCode, detail: string): never => {
    throw new CodecError(code, offset, path, detail);
  };
  if (v > INT_MAX[f.type]) fail('OUT_OF_RANGE', `${v} exceeds ${f.type === 'u64' ? '2^53 - 1' : f.type}`);
  // A constant admits one value: any other is NON_CANONICAL, even one its enum does not define.
  if (f.const !== undefined && v !== f.const) fail('NON_CANONICAL', `must be ${f.const}, is ${v}`);
  if (f.enum) {
    const ev = ctx.enums.get(f.enum)!.values.find((x) => x.value === v);
    if (!ev) fail('UNKNOWN_CODE', `${v} is not a value of ${f.enum}`);
    if (ev!.reserved) fail('UNKNOWN_CODE', `${f.enum}.${ev!.id} (${v}) is reserved`);
  }
  if (f.min !== undefined && v < f.min) fail('OUT_OF_RANGE', `${v} is below the minimum ${f.min}`);
  if (f.max !== undefined && v > f.max) fail('OUT_OF_RANGE', `${v} is above the maximum ${f.max}`);
  if (f.mask !== undefined && (BigInt(v) & ~BigInt(f.mask)) !== 0n)
    fail('NON_CANONICAL', `bits 0x${(BigInt(v) & ~BigInt(f.mask)).toString(16)} are outside the mask 0x${f.mask.toString(16)}`);
}

/** Bounds on a sized field's byte length (or a list's count), shared by decode and encode. */
function checkLength(n: number, min: number | undefined, max: number | undefined, offset: number, path: string, what: string): void {
  if (min !== undefined && n < min) throw new CodecError('OUT_OF_RANGE', offset, path, `${what} ${n} is below the minimum ${min}`);
  if (max !== undefined && n > max) throw new CodecError('OUT_OF_RANGE', offset, path, `${what} ${n} is above the maximum ${max}`);
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** A window [pos, end) over the input; nested slices share the buffer, so offsets are absolute. */
class Cursor {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}
  get left(): number {
    return this.end - this.pos;
  }
  /** Reads a little-endian unsigned integer; above 2^53 - 1 the result is only approximate. */
  uint(width: number): number {
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + this.buf[this.pos + i]!;
    this.pos += width;
    return v;
  }
}

class Decoder {
  constructor(
    readonly ctx: Context,
    readonly spans: Span[] | null,
  ) {}

  span(s: Omit<Span, 'leaf'>, leaf = true): Span {
    const sp = { ...s, leaf };
    this.spans?.push(sp);
    return sp;
  }

  struct(s: StructIR, cur: Cursor, path: string, depth: number): ValueObject {
    const out: ValueObject = {};
    const starts = new Map<string, number>();
    for (const f of s.fields) {
      const fp = `${path}.${f.id}`;
      const start = cur.pos;
      starts.set(f.id, start);
      const base = { path: fp, field: f, struct: s.id, depth, start };
      if (isInt(f)) {
        const w = INT_WIDTH[f.type];
        if (cur.left < w) throw new CodecError('SHORT_INPUT', start, fp, `${f.type} needs ${w} bytes, ${cur.left} left`);
        const v = cur.uint(w);
        this.span({ ...base, role: 'value', offset: start, size: w });
        checkInt(this.ctx, f, v, start, fp);
        out[camel(f.id)] = v;
      } else if (f.type === 'bytes' || f.type === 'str' || f.type === 'zeros') {
        const len = this.sized(f.size, f.minLen, f.maxLen, cur, base);
        const content = cur.buf.subarray(cur.pos, cur.pos + len);
        this.span({ ...base, role: 'value', offset: cur.pos, size: len });
        cur.pos += len;
        if (f.type === 'bytes') out[camel(f.id)] = content.slice();
        else if (f.type === 'zeros') {
          if (content.some((b) => b !== 0)) throw new CodecError('NON_CANONICAL', start, fp, 'padding must be zero');
          out[camel(f.id)] = len;
        } else {
          try {
            out[camel(f.id)] = utf8.decode(content);
          } catch {
            throw new CodecError('BAD_UTF8', start, fp, 'not valid UTF-8');
          }
        }
      } else if (f.type === 'list') {
        const w = INT_WIDTH[f.count.width];
        if (cur.left < w) throw new CodecError('SHORT_INPUT', start, fp, `count needs ${w} bytes, ${cur.left} left`);
        const count = cur.uint(w);
        this.span({ ...base, role: 'count', offset: start, size: w });
        checkLength(count, f.minCount, f.maxCount, start, fp, 'count');
        // Elements of a fixed size are checked as a whole, like length-prefixed bytes.
        const size = f.of === 'u8' ? 1 : structOf(this.ctx, f.of).fixedSize;
        if (size !== null && cur.left < count * size)
          throw new CodecError('SHORT_INPUT', start, fp, `${count} elements of ${size} bytes announced, ${cur.left} bytes left`);
        if (f.of === 'u8') {
          this.span({ ...base, role: 'value', offset: cur.pos, size: count });
          out[camel(f.id)] = Array.from(cur.buf.subarray(cur.pos, cur.pos + count));
          cur.pos += count;
        } else {
          const el = structOf(this.ctx, f.of);
          const sp = this.span({ ...base, role: 'value', offset: cur.pos, size: 0 }, false);
          const items: Value[] = [];
          for (let i = 0; i < count; i++) items.push(this.struct(el, cur, `${fp}[${i}]`, depth + 1));
          sp.size = cur.pos - sp.offset;
          out[camel(f.id)] = items;
        }
      } else if (f.type === 'struct') {
        const sp = this.span({ ...base, role: 'value', offset: start, size: 0 }, false);
        out[camel(f.id)] = this.struct(structOf(this.ctx, f.struct), cur, fp, depth + 1);
        sp.size = cur.pos - start;
      } else if (f.type === 'switch') {
        const selector = out[camel(f.on)] as number;
        const c = f.cases.find((x) => x.value === selector);
        if (!c) throw new CodecError('UNKNOWN_CODE', starts.get(f.on)!, `${path}.${f.on}`, `no case for ${selector}`);
        const len = this.sized(f.size, f.minLen, f.maxLen, cur, base);
        const sub = new Cursor(cur.buf, cur.pos, cur.pos + len);
        const sp = this.span({ ...base, role: 'value', offset: cur.pos, size: len }, false);
        out[camel(f.id)] = this.struct(structOf(this.ctx, c.struct), sub, fp, depth + 1);
        if (sub.left > 0) throw new CodecError('TRAILING_BYTES', sub.pos, fp, `${sub.left} bytes left in the ${c.struct} slice`);
        cur.pos = sp.offset + len;
      }
    }
    return out;
  }

  /** Reads a size (and its prefix, if any), checks bounds and fit; returns the content length. */
  sized(size: SizeIR, min: number | undefined, max: number | undefined, cur: Cursor, base: Omit<Span, 'role' | 'offset' | 'size' | 'leaf'>): number {
    const start = cur.pos;
    const short = (detail: string): never => {
      throw new CodecError('SHORT_INPUT', start, base.path, detail);
    };
    let len: number;
    if (size.kind === 'fixed') len = size.value;
    else if (size.kind === 'prefix') {
      const w = INT_WIDTH[size.width];
      if (cur.left < w) short(`length prefix needs ${w} bytes, ${cur.left} left`);
      len = cur.uint(w);
      this.span({ ...base, role: 'length', offset: start, size: w });
      checkLength(len, min, max, start, base.path, 'length');
    } else {
      const minus = size.kind === 'rest' ? size.minus : 0;
      if (cur.left < minus) short(`needs at least ${minus} bytes after it, ${cur.left} left`);
      len = cur.left - minus;
      checkLength(len, min, max, start, base.path, 'length');
    }
    if (cur.left < len) short(`${len} bytes needed, ${cur.left} left`);
    return len;
  }
}

/** Decodes one struct from exactly `bytes`. Throws CodecError for anything the spec does not allow. */
export function decodeWith(ir: SpecIR, structId: string, bytes: Uint8Array): ValueObject {
  return traceWith(ir, structId, bytes, false).value;
}

/** Decodes like decodeWith and also returns every field's byte range (for docs and vectors). */
export function traceWith(ir: SpecIR, structId: string, bytes: Uint8Array, trace = true): { value: ValueObject; spans: Span[] } {
  const ctx = contextOf(ir);
  const spans: Span[] = [];
  const cur = new Cursor(bytes, 0, bytes.length);
  const value = new Decoder(ctx, trace ? spans : null).struct(structOf(ctx, structId), cur, structId, 0);
  if (cur.left > 0) throw new CodecError('TRAILING_BYTES', cur.pos, structId, `${cur.left} bytes after the last field`);
  return { value, spans };
}

// ---------------------------------------------------------------------------------------------
// Encoding

class Encoder {
  readonly out: number[] = [];
  constructor(readonly ctx: Context) {}

  bad(path: string, detail: string): never {
    throw new CodecError('BAD_VALUE', this.out.length, path, detail);
  }

  uint(v: number, width: number): void {
    for (let i = 0; i < width; i++) {
      this.out.push(v % 256);
      v = Math.floor(v / 256);
    }
  }

  int(ctx: Context, f: IntFieldIR, v: Value, path: string): void {
    if (typeof v !== 'number' || !Number.isInteger(v)) this.bad(path, `expected an integer, got ${describe(v)}`);
    const n = v as number;
    if (n < 0) throw new CodecError('OUT_OF_RANGE', this.out.length, path, `${n} is negative`);
    checkInt(ctx, f, n, this.out.length, path);
    this.uint(n, INT_WIDTH[f.type]);
  }

  struct(s: StructIR, value: Value, path: string): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array)
      this.bad(path, `expected an object for ${s.id}, got ${describe(value)}`);
    const obj = value as ValueObject;
    const known = new Set(s.fields.map((f) => camel(f.id)));
    for (const k of Object.keys(obj)) if (!known.has(k)) this.bad(path, `${s.id} has no field ${k}`);
    for (const f of s.fields) {
      const fp = `${path}.${f.id}`;
      const v = obj[camel(f.id)];
      if (v === undefined) this.bad(fp, 'missing');
      this.field(s, obj, f, v!, fp);
    }
  }

  field(s: StructIR, obj: ValueObject, f: FieldIR, v: Value, fp: string): void {
    const start = this.out.length;
    if (isInt(f)) return this.int(this.ctx, f, v, fp);
    if (f.type === 'bytes' || f.type === 'str' || f.type === 'zeros') {
      let content: Uint8Array;
      if (f.type === 'bytes') {
        if (!(v instanceof Uint8Array)) this.bad(fp, `expected a Uint8Array, got ${describe(v)}`);
        content = v as Uint8Array;
      } else if (f.type === 'str') {
        if (typeof v !== 'string') this.bad(fp, `expected a string, got ${describe(v)}`);
        if (LONE_SURROGATE.test(v as string)) throw new CodecError('BAD_UTF8', start, fp, 'the string has a lone surrogate');
        content = utf8Encoder.encode(v as string);
      } else {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) this.bad(fp, `expected a count of zero bytes, got ${describe(v)}`);
        content = new Uint8Array(v as number);
      }
      this.sizePrefix(f.size, f.minLen, f.maxLen, content.length, fp);
      for (const b of content) this.out.push(b);
      return;
    }
    if (f.type === 'list') {
      if (!Array.isArray(v)) this.bad(fp, `expected an array, got ${describe(v)}`);
      const items = v as Value[];
      if (items.length > INT_MAX[f.count.width]) throw new CodecError('OUT_OF_RANGE', start, fp, `${items.length} elements do not fit a ${f.count.width} count`);
      checkLength(items.length, f.minCount, f.maxCount, start, fp, 'count');
      this.uint(items.length, INT_WIDTH[f.count.width]);
      items.forEach((item, i) => {
        const ip = `${fp}[${i}]`;
        if (f.of !== 'u8') return this.struct(structOf(this.ctx, f.of), item, ip);
        if (typeof item !== 'number' || !Number.isInteger(item)) this.bad(ip, `expected an integer, got ${describe(item)}`);
        if ((item as number) < 0 || (item as number) > 255) throw new CodecError('OUT_OF_RANGE', this.out.length, ip, `${item} is not a u8`);
        this.out.push(item as number);
      });
      return;
    }
    if (f.type === 'struct') return this.struct(structOf(this.ctx, f.struct), v, fp);
    if (f.type !== 'switch') return;
    const selector = obj[camel(f.on)] as number;
    const c = f.cases.find((x) => x.value === selector);
    if (!c) throw new CodecError('UNKNOWN_CODE', start, fp, `no case of ${f.on} for ${selector}`);
    // Encode the case after a placeholder prefix, then patch the prefix with its length.
    const width = f.size.kind === 'prefix' ? INT_WIDTH[f.size.width] : 0;
    this.uint(0, width);
    this.struct(structOf(this.ctx, c.struct), v, fp);
    const body = this.out.splice(start + width);
    this.out.length = start;
    this.sizePrefix(f.size, f.minLen, f.maxLen, body.length, fp);
    for (const b of body) this.out.push(b);
  }

  /** Checks a content length against its size and bounds and writes the prefix, if any. */
  sizePrefix(size: SizeIR, min: number | undefined, max: number | undefined, n: number, fp: string): void {
    const start = this.out.length;
    if (size.kind === 'fixed' && n !== size.value) throw new CodecError('OUT_OF_RANGE', start, fp, `must be ${size.value} bytes, is ${n}`);
    if (size.kind === 'prefix' && n > INT_MAX[size.width]) throw new CodecError('OUT_OF_RANGE', start, fp, `${n} bytes do not fit a ${size.width} length`);
    checkLength(n, min, max, start, fp, 'length');
    if (size.kind === 'prefix') this.uint(n, INT_WIDTH[size.width]);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'a Uint8Array';
  return typeof v === 'number' ? String(v) : typeof v;
}

/** Encodes one struct value. Throws CodecError for a value the spec does not allow. */
export function encodeWith(ir: SpecIR, structId: string, value: ValueObject): Uint8Array {
  const ctx = contextOf(ir);
  const enc = new Encoder(ctx);
  enc.struct(structOf(ctx, structId), value, structId);
  return Uint8Array.from(enc.out);
}
