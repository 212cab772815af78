/**
 * Writes generated/vectors/codec.json: codec test vectors for every struct of the spec, produced
 * by the reference interpreter (interp.ts) from deterministic values (vectors-values.ts) and
 * targeted corruptions of them (vectors-invalid.ts). The generated codec, Kaitai's parser and any
 * other implementation are tested against this file.
 */
import type { SpecIR, StructIR } from '../ir.ts';
import { camel, decodeWith, encodeWith, isInt, type Value, type ValueObject } from '../interp.ts';
import { moduleOf, stamp, type Emitter } from './file.ts';
import { Rng, TOP_CAP, ValueGen, type GenOptions } from './vectors-values.ts';
import { invalidVectors, toHex, type InvalidVector } from './vectors-invalid.ts';

/** This module's path, named in the header of every file it writes. */
const GENERATOR = moduleOf(import.meta.url);

export type { InvalidVector } from './vectors-invalid.ts';

/** A field value in JSON: bytes become `{ "$bytes": "<hex>" }`, everything else is plain JSON. */
export type JsonValue = number | string | { $bytes: string } | JsonValue[] | { [k: string]: JsonValue };

export interface ValidVector {
  struct: string;
  name: string;
  hex: string;
  fields: { [k: string]: JsonValue };
}

export interface CodecVectors {
  valid: ValidVector[];
  invalid: InvalidVector[];
}

export const CONVENTIONS = [
  'Codec vectors of every struct, written by spec/generator/emit/vectors.ts from the reference interpreter spec/generator/interp.ts.',
  'valid[]: { struct, name, hex, fields }. Decoding hex as struct must give fields, and encoding fields must give hex exactly.',
  'fields uses the codec value shapes: field ids in camelCase; u8..u64 are JSON numbers (never above 2^53 - 1); bytes are {"$bytes": "<lowercase hex>"};',
  'str is a JSON string (a leading U+FEFF is content, not a byte order mark); zeros is the number of zero bytes; a list of u8 is an array of numbers;',
  'a list of structs is an array of objects; a switch field holds the selected case struct as an object; length prefixes and counts do not appear.',
  'invalid[]: { struct, name, hex, error: { code, offset }, path }. Decoding hex as struct must fail with error.code at error.offset;',
  'path (the spec path of the failing field) is informative. offset is where the failing field starts (its length prefix, if it has one);',
  'TRAILING_BYTES points at the first unread byte (of the input, or of a sized switch slice that its case did not consume).',
  'Order of checks: a length or count is checked against its bounds (OUT_OF_RANGE) before the bytes it announces (SHORT_INPUT);',
  'an integer is checked for u64 > 2^53 - 1 (OUT_OF_RANGE), then a constant (NON_CANONICAL, whatever the other value), then enum membership including reserved values (UNKNOWN_CODE),',
  'then min/max (OUT_OF_RANGE), then mask bits (NON_CANONICAL); a list of fixed-size elements (u8 or a fixed-size struct) is checked as a whole, like length-prefixed bytes',
  '(SHORT_INPUT at its count); a list of variable-size structs fails inside the element that does not fit.',
  'Values come from a seeded xorshift128 PRNG (one seed per vector); regenerating gives byte-identical output.',
  'They show structure only: a checksum, key, signature or ciphertext in a codec vector is random bytes of the right size and does not verify (an invite here fails its checksum).',
  'Values that verify are in generated/vectors/frames.json and rules.json (its invites.valid holds invites with a real checksum and an expiry far in the future).',
].join(' ');

export function toJson(v: Value): JsonValue {
  if (v instanceof Uint8Array) return { $bytes: toHex(v) };
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

/** The inverse of toJson. */
export function fromJson(v: JsonValue): Value {
  if (Array.isArray(v)) return v.map(fromJson);
  if (typeof v === 'object') {
    if ('$bytes' in v && typeof v.$bytes === 'string') return Uint8Array.from(Buffer.from(v.$bytes, 'hex'));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(x as JsonValue)]));
  }
  return v;
}

/** Valid values of one struct: min, max, random ones covering every enum value and switch case. */
function validValues(ir: SpecIR, gen: ValueGen, s: StructIR): { name: string; value: ValueObject }[] {
  const out: { name: string; value: ValueObject }[] = [];
  const make = (name: string, opt: GenOptions) => out.push({ name, value: gen.struct(s.id, new Rng(`${s.id}/${name}`), opt) });
  const sw = s.fields.find((f) => f.type === 'switch');
  const selector = sw && s.fields.find((f) => f.id === sw.on);
  const cases = selector && 'enum' in selector && selector.enum ? gen.usable(selector.enum) : [];
  const caseName = (i: number) => {
    const code = cases[i % cases.length];
    return ir.enums.find((e) => sw && e.id === sw.enum)!.values.find((v) => v.value === code)!.id;
  };
  if (cases.length) cases.forEach((_, i) => make(`min ${caseName(i)}`, { mode: 'min', pick: i, cap: TOP_CAP }));
  else make('min', { mode: 'min', pick: null, cap: TOP_CAP });
  make('max', { mode: 'max', pick: null, cap: TOP_CAP });
  if (s.fields.some((f) => 'size' in f && f.size.kind === 'rest')) make('max exact', { mode: 'max', pick: null, cap: Infinity });
  const enumCounts = s.fields.map((f) => (isInt(f) && f.enum && f.const === undefined ? gen.usable(f.enum).length : 0));
  const n = Math.max(3, cases.length, ...enumCounts);
  for (let i = 0; i < n; i++) make(cases.length ? `random ${caseName(i)}` : `random ${i}`, { mode: 'random', pick: i, cap: TOP_CAP });
  // A string that starts with U+FEFF: decoders must keep it (no BOM stripping).
  const str = s.fields.find((f) => f.type === 'str' && (f.maxLen ?? Infinity) >= 6 && (f.minLen ?? 0) <= 6 && f.size.kind !== 'fixed');
  if (str) {
    const value = gen.struct(s.id, new Rng(`${s.id}/bom`), { mode: 'random', pick: 0, cap: TOP_CAP });
    value[camel(str.id)] = '\uFEFFbom';
    out.push({ name: `${str.id} starts with U+FEFF`, value });
  }
  return out;
}

const cache = new WeakMap<SpecIR, CodecVectors>();

/** Every vector of the spec (memoized per IR: the docs emitter shows some of them). */
export function buildVectors(ir: SpecIR): CodecVectors {
  const known = cache.get(ir);
  if (known) return known;
  const gen = new ValueGen(ir);
  const valid: ValidVector[] = [];
  const invalid: InvalidVector[] = [];
  for (const s of ir.structs) {
    const seen = new Set<string>();
    const bytesOf: Uint8Array[] = [];
    for (const { name, value } of validValues(ir, gen, s)) {
      const bytes = encodeWith(ir, s.id, value);
      const back = JSON.stringify(toJson(decodeWith(ir, s.id, bytes)));
      if (back !== JSON.stringify(toJson(value))) throw new Error(`vectors: ${s.id} "${name}" does not survive encode/decode`);
      const hex = toHex(bytes);
      if (seen.has(hex)) continue;
      seen.add(hex);
      bytesOf.push(bytes);
      valid.push({ struct: s.id, name, hex, fields: toJson(value) as ValidVector['fields'] });
    }
    invalid.push(...invalidVectors(ir, s.id, bytesOf));
  }
  const result = { valid, invalid };
  cache.set(ir, result);
  return result;
}

/** Pretty at the top, one vector per line: small and diff-friendly. */
function render(ir: SpecIR, v: CodecVectors): string {
  const list = (items: unknown[]) => (items.length ? `[\n${items.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]` : '[]');
  return [
    '{',
    `  "_generated": ${JSON.stringify(stamp(ir, 'json', GENERATOR))},`,
    `  "conventions": ${JSON.stringify(CONVENTIONS)},`,
    `  "protocol": ${JSON.stringify({ name: ir.protocol.name, version: ir.protocol.version })},`,
    `  "valid": ${list(v.valid)},`,
    `  "invalid": ${list(v.invalid)}`,
    '}',
    '',
  ].join('\n');
}

export const emitVectors: Emitter = (ir) => [{ path: 'vectors/codec.json', content: render(ir, buildVectors(ir)) }];
