/**
 * What the codec emitters derive from the IR before writing code: names, enum code ranges,
 * runs of fixed-size fields (one length check each), and which structs need the string
 * scratch of the encoder.
 */
import { INT_MAX, INT_WIDTH, type EnumIR, type FieldIR, type IntType, type SpecIR, type StructIR } from '../../ir.ts';
import { camel, checkUnique, pascal } from './names.ts';

/** The codec error codes the generated code raises; the spec's `errors.codec` must define them. */
export const CODEC_CODES = ['SHORT_INPUT', 'TRAILING_BYTES', 'UNKNOWN_CODE', 'OUT_OF_RANGE', 'NON_CANONICAL', 'BAD_UTF8', 'BAD_VALUE'] as const;

export interface EnumModel {
  ir: EnumIR;
  name: string;
  /** Valid (non-reserved) codes, sorted. */
  codes: number[];
  /** The valid codes as inclusive ranges. */
  ranges: [number, number][];
}

/** A field that occupies a fixed number of bytes and needs no nested reader. */
export function isFixedLeaf(f: FieldIR): boolean {
  if (f.type === 'u8' || f.type === 'u16' || f.type === 'u32' || f.type === 'u64') return true;
  if (f.type === 'bytes' || f.type === 'str' || f.type === 'zeros') return f.size.kind === 'fixed';
  return false;
}

/** Byte size of a fixed leaf. */
export function leafSize(f: FieldIR): number {
  if (f.type === 'u8' || f.type === 'u16' || f.type === 'u32' || f.type === 'u64') return INT_WIDTH[f.type];
  if ((f.type === 'bytes' || f.type === 'str' || f.type === 'zeros') && f.size.kind === 'fixed') return f.size.value;
  throw new Error(`not a fixed leaf: ${f.path}`);
}

/** A maximal sequence of fixed leaves: checked for length once, read at constant offsets. */
export interface Run {
  kind: 'run';
  fields: FieldIR[];
  /** Offset of each field from the run's start. */
  offsets: number[];
  size: number;
}

export type Step = Run | { kind: 'field'; field: FieldIR };

export interface StructModel {
  ir: StructIR;
  name: string;
  file: string;
  steps: Step[];
  /** The reader always consumes its whole region (an eos or rest field at this level). */
  consumesAll: boolean;
  /** The encoder's size pass puts strings into the scratch (directly or through nested structs). */
  usesStrings: boolean;
  /** Structs this one reads directly (lists, nested fields, switch cases). */
  children: string[];
}

export interface Model {
  ir: SpecIR;
  enums: Map<string, EnumModel>;
  structs: Map<string, StructModel>;
  struct(id: string): StructModel;
  enumOf(id: string): EnumModel;
}

function ranges(codes: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const c of codes) {
    const last = out[out.length - 1];
    if (last && c === last[1] + 1) last[1] = c;
    else out.push([c, c]);
  }
  return out;
}

function steps(s: StructIR): Step[] {
  const out: Step[] = [];
  let run: Run | null = null;
  for (const f of s.fields) {
    if (isFixedLeaf(f)) {
      if (!run) out.push((run = { kind: 'run', fields: [], offsets: [], size: 0 }));
      run.fields.push(f);
      run.offsets.push(run.size);
      run.size += leafSize(f);
    } else {
      run = null;
      out.push({ kind: 'field', field: f });
    }
  }
  return out;
}

function childIds(s: StructIR): string[] {
  const ids: string[] = [];
  for (const f of s.fields) {
    if (f.type === 'struct') ids.push(f.struct);
    else if (f.type === 'list' && f.of !== 'u8') ids.push(f.of);
    else if (f.type === 'switch') for (const c of f.cases) ids.push(c.struct);
  }
  return [...new Set(ids)];
}

export function buildModel(ir: SpecIR): Model {
  const missing = CODEC_CODES.filter((c) => !ir.errors.find((g) => g.group === 'codec')?.codes.some((x) => x.code === c));
  if (missing.length) throw new Error(`codec emitter: errors.codec must define ${missing.join(', ')}`);

  const enums = new Map<string, EnumModel>();
  for (const e of ir.enums) {
    const codes = e.values.filter((v) => !v.reserved).map((v) => v.value).sort((a, b) => a - b);
    enums.set(e.id, { ir: e, name: pascal(e.id), codes, ranges: ranges(codes) });
    checkUnique(e.values.map((v) => [camel(v.id), v.path]), `enum ${e.id} member`);
  }
  const structs = new Map<string, StructModel>();
  for (const s of ir.structs) {
    checkUnique(s.fields.map((f) => [camel(f.id), f.path]), `struct ${s.id} property`);
    const switches = s.fields.filter((f) => f.type === 'switch');
    if (new Set(switches.map((f) => f.on)).size !== switches.length) throw new Error(`codec emitter: ${s.path} has two switches on one selector; not supported`);
    structs.set(s.id, {
      ir: s,
      name: pascal(s.id),
      file: `src/codec/${s.id}.ts`,
      steps: steps(s),
      consumesAll: s.fields.some((f) => 'size' in f && (f.size.kind === 'eos' || f.size.kind === 'rest')),
      usesStrings: false,
      children: childIds(s),
    });
  }
  // Strings, transitively.
  const direct = (s: StructModel) => s.ir.fields.some((f) => f.type === 'str');
  const memo = new Map<string, boolean>();
  const uses = (id: string, seen = new Set<string>()): boolean => {
    if (memo.has(id)) return memo.get(id)!;
    if (seen.has(id)) return false;
    seen.add(id);
    const s = structs.get(id)!;
    const r = direct(s) || s.children.some((c) => uses(c, seen));
    memo.set(id, r);
    return r;
  };
  for (const s of structs.values()) s.usesStrings = uses(s.ir.id);

  // Top-level names must not collide across enums, structs and their helpers.
  const names: [string, string][] = [];
  for (const e of enums.values()) names.push([e.name, e.ir.path], [`${e.name}Names`, e.ir.path], [`is${e.name}`, e.ir.path]);
  for (const s of structs.values()) {
    names.push([s.name, s.ir.path], [`decode${s.name}`, s.ir.path], [`encode${s.name}`, s.ir.path], [`${s.name}Schema`, s.ir.path]);
    for (const f of s.ir.fields) if (f.type === 'switch') names.push([`${s.name}${pascal(f.id)}`, f.path], [`${s.name}${pascal(f.id)}ByType`, f.path]);
    if (s.ir.fields.some((f) => f.type === 'switch')) names.push([`${s.name}Common`, s.ir.path]);
  }
  for (const r of ir.regions) names.push([camel(r.id), r.path], [`${pascal(r.id)}Parts`, r.path]);
  checkUnique(names, 'top-level');

  return {
    ir,
    enums,
    structs,
    struct(id) {
      const s = structs.get(id);
      if (!s) throw new Error(`codec emitter: unknown struct ${id}`);
      return s;
    },
    enumOf(id) {
      const e = enums.get(id);
      if (!e) throw new Error(`codec emitter: unknown enum ${id}`);
      return e;
    },
  };
}

/** A JS condition that is true when the integer `x` is one of the ranges. */
export function inRanges(x: string, rs: [number, number][]): string {
  const parts = rs.map(([a, b]) => (a === b ? `${x} === ${a}` : rs.length === 1 ? `${x} >= ${a} && ${x} <= ${b}` : `(${x} >= ${a} && ${x} <= ${b})`));
  return parts.length ? parts.join(' || ') : 'false';
}

/** "a frame", "an envelope". */
export function article(id: string): string {
  return (/^[aeiou]/.test(id) ? 'an ' : 'a ') + id;
}

/** The lower and upper bounds a decoded int must satisfy, and whether they need a check. */
export function intBounds(f: Extract<FieldIR, { type: IntType }>): { min: number; max: number; checkMin: boolean; checkMax: boolean } {
  const wmax = INT_MAX[f.type];
  const min = f.min ?? 0;
  const max = f.max ?? wmax;
  return { min, max, checkMin: min > 0, checkMax: max < wmax };
}

/** The bounds of a bytes/str/zeros/switch length. */
export function lenBounds(f: { size: { kind: string; value?: number; width?: IntType }; minLen?: number; maxLen?: number }): { min: number; max: number } {
  const min = f.minLen ?? 0;
  let max = f.maxLen ?? Number.MAX_SAFE_INTEGER;
  if (f.size.kind === 'prefix') max = Math.min(max, INT_MAX[f.size.width as IntType]);
  return { min, max };
}
