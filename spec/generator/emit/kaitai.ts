/**
 * Writes generated/protocol.ksy: a Kaitai Struct description of every struct of the spec, for the
 * Kaitai Web IDE and Kaitai's compilers (checked against the codec vectors by
 * spec/test/kaitai-crosscheck.test.ts with compilers 0.10 and 0.11).
 *
 * Mapping: a struct is a type; u8..u64 are u1..u8 (meta endian le); a length-prefixed field is a
 * `len_<id>` field then `size: len_<id>`; a list is a `num_<id>` count then `repeat: expr`;
 * `rest: N` is `size: _io.size - _io.pos - N`; eos is `size-eos: true`; a switch is
 * `type: { switch-on, cases }` over its slice. Constraints become `valid` where Kaitai can check
 * them: constants `eq`, bounds `min`/`max` (the u64 bound 2^53 - 1 included), enum membership
 * `any-of` the defined, non-reserved values (`in-enum` would accept reserved codes and needs 0.11),
 * masks and byte-length bounds `expr`. What Kaitai cannot check is written as `-parley-*` keys,
 * which Kaitai ignores; the root doc lists them.
 */
import { Document, isCollection, isScalar, visit } from 'yaml';
import { INT_MAX, type FieldIR, type IntFieldIR, type SizeIR, type SpecIR, type StructIR } from '../ir.ts';
import { moduleOf, stamp, type Emitter } from './file.ts';

/** This module's path, named in the header of every file it writes. */
const GENERATOR = moduleOf(import.meta.url);

const KS_INT = { u8: 'u1', u16: 'u2', u32: 'u4', u64: 'u8' } as const;

type Ksy = Record<string, unknown>;

/** The extension keys and the rules they carry, as the root doc explains them. */
export const EXTENSION_KEYS: Record<string, string> = {
  '-parley-spec-hash': 'SHA-256 of spec/protocol.yaml, the source of this file.',
  '-parley-trailing-bytes': 'forbidden: a struct decoded on its own must consume its whole input (TRAILING_BYTES otherwise).',
  '-parley-utf8': 'strict: an invalid UTF-8 sequence is BAD_UTF8, and a leading U+FEFF is content.',
  '-parley-size': 'The spec expression of a fixed size (e.g. KEY_SIZE).',
  '-parley-zeros': 'Padding: every byte must be zero (NON_CANONICAL otherwise).',
  '-parley-mask': 'Bits that may be set; any other bit is NON_CANONICAL (also checked by valid/expr).',
  '-parley-exact': 'The case type must consume its whole slice (TRAILING_BYTES otherwise).',
  '-parley-min-bytes': 'Least UTF-8 byte length of a string with a rest/eos size.',
  '-parley-max-bytes': 'Largest UTF-8 byte length of a string with a rest/eos size.',
  '-parley-reserved': 'A reserved enum value: decoders reject it (UNKNOWN_CODE); valid/any-of leaves it out.',
  '-parley-fixed-size': 'Encoded size of a type whose fields all have fixed sizes.',
};

const RULES = [
  'Rules Kaitai does not check (see the -parley-* keys):',
  '- Every struct decoded on its own must consume its input exactly: bytes after the last field are TRAILING_BYTES (-parley-trailing-bytes).',
  '- Strings are strict UTF-8 (BAD_UTF8 on any invalid sequence); a leading U+FEFF is content (-parley-utf8). Kaitai runtimes decode leniently and may drop a leading U+FEFF.',
  '- Padding (-parley-zeros) must be all zero; a sized switch (-parley-exact) must consume its slice exactly.',
  '- Reserved enum values (-parley-reserved) are rejected.',
  'Kaitai ignores keys that start with "-". Integers are little-endian. Numbers above 2^53 - 1 never occur.',
].join('\n');

export function ksyDocument(ir: SpecIR): Ksy {
  const names = new Map<string, string>();
  const claim = (name: string, what: string) => {
    const pascal = name.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
    const prior = names.get(pascal);
    if (prior) throw new Error(`kaitai: ${what} and ${prior} would both be named ${pascal} in generated code`);
    names.set(pascal, what);
  };
  // The root type (meta id) is named after the protocol: `parley`.
  const rootId = ir.protocol.name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^[^a-z]+|_+$/g, '') || 'protocol';
  claim(rootId, 'the root type');
  for (const s of ir.structs) claim(s.id, `struct ${s.id}`);
  for (const e of ir.enums) claim(e.id, `enum ${e.id}`);

  const root = ir.structs.find((s) => s.id === 'frame') ?? ir.structs[0];
  const enumDocs: Record<string, string> = {};
  for (const e of ir.enums) enumDocs[e.id] = e.doc;
  return {
    meta: {
      id: rootId,
      title: `${ir.protocol.name} wire protocol, version ${ir.protocol.version}`,
      'ks-version': '0.10',
      endian: 'le',
      '-parley-spec-hash': ir.hash,
      '-parley-protocol-version': ir.protocol.version,
      '-parley-trailing-bytes': 'forbidden',
      '-parley-utf8': 'strict',
    },
    doc: `${ir.protocol.doc}\n\n${root ? `The root type parses one ${root.id}; every struct of the spec is a type below.\n\n` : ''}${RULES}`,
    'doc-ref': 'generated/PROTOCOL.md',
    '-parley-extension-keys': EXTENSION_KEYS,
    '-parley-enum-docs': enumDocs,
    seq: root ? [{ id: root.id, type: root.id, doc: root.doc }] : [],
    types: Object.fromEntries(ir.structs.map((s) => [s.id, typeOf(ir, s)])),
    enums: Object.fromEntries(
      ir.enums.map((e) => [
        e.id,
        new Map(e.values.map((v) => [v.value, v.reserved ? { id: v.id, doc: v.doc, '-parley-reserved': true } : { id: v.id, doc: v.doc }])),
      ]),
    ),
  };
}

function typeOf(ir: SpecIR, s: StructIR): Ksy {
  const ids = new Set(s.fields.map((f) => f.id));
  const seq = s.fields.flatMap((f) => fieldOf(ir, f, ids));
  return { doc: s.doc, ...(s.fixedSize !== null ? { '-parley-fixed-size': s.fixedSize } : {}), seq };
}

function helperId(prefix: 'len' | 'num', f: FieldIR, ids: Set<string>): string {
  const id = `${prefix}_${f.id}`;
  if (ids.has(id)) throw new Error(`kaitai: field ${id} of the spec collides with the ${prefix} field of ${f.id}`);
  return id;
}

/** Kaitai's size keys for a size, plus the length field a prefix needs (pushed into `pre`). */
function sizeOf(f: FieldIR & { size: SizeIR; minLen?: number; maxLen?: number }, ids: Set<string>, pre: Ksy[]): Ksy {
  const size = f.size;
  if (size.kind === 'fixed') return { size: size.value, ...(String(size.value) !== size.expr ? { '-parley-size': size.expr } : {}) };
  if (size.kind === 'eos') return { 'size-eos': true };
  if (size.kind === 'rest') return { size: size.minus ? `_io.size - _io.pos - ${size.minus}` : '_io.size - _io.pos', '-parley-size': `rest: ${size.expr}` };
  const len = helperId('len', f, ids);
  pre.push({ id: len, type: KS_INT[size.width], ...validRange(f.minLen, f.maxLen, INT_MAX[size.width]), doc: `Byte length of ${f.id}.` });
  return { size: len };
}

function validRange(min: number | undefined, max: number | undefined, typeMax: number): Ksy {
  const v: Ksy = {};
  if (min !== undefined && min > 0) v.min = min;
  if (max !== undefined && max < typeMax) v.max = max;
  return Object.keys(v).length ? { valid: v } : {};
}

function intField(f: IntFieldIR, ir: SpecIR): Ksy {
  const out: Ksy = { id: f.id, type: KS_INT[f.type] };
  if (f.enum) out.enum = f.enum;
  const typeMax = f.type === 'u64' ? Number.MAX_SAFE_INTEGER + 1 : INT_MAX[f.type];
  if (f.const !== undefined) out.valid = { eq: f.enum && f.constName ? `${f.enum}::${f.constName}` : f.const };
  else if (f.enum) {
    const e = ir.enums.find((x) => x.id === f.enum)!;
    out.valid = { 'any-of': e.values.filter((v) => !v.reserved).map((v) => `${f.enum}::${v.id}`) };
  } else if (f.mask !== undefined && f.type !== 'u64') {
    // Kaitai's JavaScript does bitwise operations on 32 bits: fine up to u32.
    const terms = [`(_ & ${(INT_MAX[f.type] ^ f.mask) >>> 0}) == 0`];
    if (f.min !== undefined && f.min > 0) terms.push(`_ >= ${f.min}`);
    if (f.max !== undefined && f.max < typeMax) terms.push(`_ <= ${f.max}`);
    out.valid = { expr: terms.join(' and ') };
  } else Object.assign(out, validRange(f.min, f.max, typeMax));
  if (f.mask !== undefined) out['-parley-mask'] = `0x${f.mask.toString(16)}`;
  return out;
}

function fieldOf(ir: SpecIR, f: FieldIR, ids: Set<string>): Ksy[] {
  const pre: Ksy[] = [];
  let main: Ksy;
  switch (f.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64':
      main = intField(f, ir);
      break;
    case 'bytes':
    case 'str':
    case 'zeros': {
      main = { id: f.id };
      if (f.type === 'zeros' && f.size.kind === 'fixed' && f.size.value <= 64) main.contents = new Array(f.size.value).fill(0);
      else Object.assign(main, sizeOf(f, ids, pre));
      if (f.type === 'str') Object.assign(main, { type: 'str', encoding: 'UTF-8' });
      if (f.type === 'zeros') main['-parley-zeros'] = true;
      if (f.size.kind === 'rest' || f.size.kind === 'eos') {
        const terms = [];
        if (f.minLen !== undefined && f.minLen > 0) terms.push(`_.length >= ${f.minLen}`);
        if (f.maxLen !== undefined) terms.push(`_.length <= ${f.maxLen}`);
        if (f.type === 'bytes' && terms.length) main.valid = { expr: terms.join(' and ') };
        else if (f.type !== 'bytes') {
          if (f.minLen) main['-parley-min-bytes'] = f.minLen;
          if (f.maxLen !== undefined) main['-parley-max-bytes'] = f.maxLen;
        }
      }
      break;
    }
    case 'list': {
      const num = helperId('num', f, ids);
      pre.push({ id: num, type: KS_INT[f.count.width], ...validRange(f.minCount, f.maxCount, INT_MAX[f.count.width]), doc: `Number of elements of ${f.id}.` });
      main = { id: f.id, type: f.of === 'u8' ? 'u1' : f.of, repeat: 'expr', 'repeat-expr': num };
      break;
    }
    case 'struct':
      main = { id: f.id, type: f.struct };
      break;
    case 'switch': {
      main = { id: f.id, ...sizeOf(f, ids, pre) };
      main.type = { 'switch-on': f.on, cases: Object.fromEntries(f.cases.map((c) => [`${f.enum}::${c.valueId}`, c.struct])) };
      main['-parley-exact'] = true;
      if ((f.size.kind === 'rest' || f.size.kind === 'eos') && (f.minLen !== undefined || f.maxLen !== undefined)) {
        if (f.minLen) main['-parley-min-bytes'] = f.minLen;
        if (f.maxLen !== undefined) main['-parley-max-bytes'] = f.maxLen;
      }
      break;
    }
  }
  main.doc = f.doc;
  return [...pre, main];
}

export function renderKsy(ir: SpecIR): string {
  const doc = new Document(ksyDocument(ir));
  // Short constraint collections read better on one line.
  visit(doc, {
    Pair(_, pair) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if ((key === 'valid' || key === 'contents') && isCollection(pair.value)) pair.value.flow = true;
    },
  });
  return stamp(ir, '#', GENERATOR) + doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

export const emitKaitai: Emitter = (ir) => [{ path: 'protocol.ksy', content: renderKsy(ir) }];
