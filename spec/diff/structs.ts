/** Structures and their fields: layout, sizes, offsets, bounds, constants, switches. */
import { INT_WIDTH, type BytesFieldIR, type FieldIR, type IntFieldIR, type SizeIR, type SpecIR, type StructIR } from '../generator/ir.ts';
import { alignList, matchRenamesFixpoint } from './align.ts';
import { show, type DiffContext } from './context.ts';
import type { Side } from './report.ts';

type MapId = (id: string | undefined) => string | undefined;
const same: MapId = (id) => id;

function sizeKey(s: SizeIR): string {
  if (s.kind === 'fixed') return `fixed ${s.value}`;
  if (s.kind === 'prefix') return `prefix ${s.width}`;
  if (s.kind === 'rest') return `rest ${s.minus}`;
  return 'eos';
}

/**
 * Everything about a field that its bytes depend on, without its id and doc. Struct and enum ids
 * go through the given maps (old names become new ones); a switch's selector is named by position.
 */
export function fieldShape(f: FieldIR, s: StructIR, structs: MapId, enums: MapId): string {
  switch (f.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64':
      return JSON.stringify([f.type, enums(f.enum), f.const, f.min, f.max, f.mask]);
    case 'bytes':
    case 'str':
    case 'zeros':
      return JSON.stringify([f.type, sizeKey(f.size), f.minLen, f.maxLen]);
    case 'list':
      return JSON.stringify([f.type, f.of === 'u8' ? 'u8' : structs(f.of), f.count.width, f.minCount, f.maxCount]);
    case 'struct':
      return JSON.stringify([f.type, structs(f.struct)]);
    case 'switch': {
      const cases = f.cases.map((c) => [c.value, structs(c.struct)]).sort((a, b) => (a[0] as number) - (b[0] as number));
      return JSON.stringify([f.type, s.fields.findIndex((g) => g.id === f.on), enums(f.enum), sizeKey(f.size), f.minLen, f.maxLen, cases]);
    }
  }
}

function structShape(s: StructIR, structs: MapId, enums: MapId): string {
  return JSON.stringify(s.fields.map((f) => [f.id, fieldShape(f, s, structs, enums)]));
}

/** Bytes a field always occupies, or null when its size varies. */
function fixedSize(ir: SpecIR, f: FieldIR): number | null {
  if (f.type === 'u8' || f.type === 'u16' || f.type === 'u32' || f.type === 'u64') return INT_WIDTH[f.type];
  if ((f.type === 'bytes' || f.type === 'str' || f.type === 'zeros') && f.size.kind === 'fixed') return f.size.value;
  if (f.type === 'struct') return ir.structs.find((s) => s.id === f.struct)?.fixedSize ?? null;
  return null;
}

/** Byte offset of each field from the struct's start, null once a variable-size field precedes it. */
function offsets(ir: SpecIR, s: StructIR): (number | null)[] {
  let at: number | null = 0;
  return s.fields.map((f) => {
    const here = at;
    const size = fixedSize(ir, f);
    at = at === null || size === null ? null : at + size;
    return here;
  });
}

export function compareStructs(ctx: DiffContext): void {
  const oldById = new Map(ctx.old.structs.map((s) => [s.id, s]));
  const newById = new Map(ctx.now.structs.map((s) => [s.id, s]));
  const enums = (id: string | undefined) => ctx.map('enums', id);
  ctx.renames.structs = matchRenamesFixpoint([...oldById.keys()], [...newById.keys()], (o, n, renames) => {
    const mapStruct = (id: string | undefined) => (id === undefined ? id : (renames.get(id) ?? id));
    return structShape(oldById.get(o)!, mapStruct, enums) === structShape(newById.get(n)!, same, same);
  });
  for (const so of ctx.old.structs) {
    const sn = newById.get(ctx.map('structs', so.id));
    if (!sn) {
      ctx.out.add('WIRE_STRUCT_REMOVED', ctx.side(so), null, `struct ${so.id} removed`);
      continue;
    }
    if (sn.id !== so.id) ctx.out.add('API_STRUCT_RENAMED', ctx.side(so), ctx.side(sn), `struct ${so.id} renamed ${sn.id}; layout unchanged`);
    compareStruct(ctx, so, sn);
  }
  const renamedTo = new Set(ctx.renames.structs.values());
  for (const sn of ctx.now.structs)
    if (!oldById.has(sn.id) && !renamedTo.has(sn.id)) ctx.out.add('API_STRUCT_ADDED', null, ctx.side(sn), `struct ${sn.id} added`);
}

function compareStruct(ctx: DiffContext, so: StructIR, sn: StructIR): void {
  ctx.doc(`${sn.id} doc`, so.doc, sn.doc, ctx.side(so), ctx.side(sn));
  const structs = (id: string | undefined) => ctx.map('structs', id);
  const enums = (id: string | undefined) => ctx.map('enums', id);
  const a = alignList(
    so.fields,
    sn.fields,
    (f) => f.id,
    (f) => fieldShape(f, so, structs, enums),
    (f) => fieldShape(f, sn, same, same),
  );
  const fieldRenames = new Map(a.pairs.filter((p) => p.renamed).map((p) => [p.old.id, p.new.id]));
  for (const r of a.removed) ctx.out.add('WIRE_FIELD_REMOVED', ctx.side(r.item), null, `${so.id}.${r.item.id} (${typeLabel(r.item)}) removed from position ${r.index}`);
  for (const x of a.added) ctx.out.add('WIRE_FIELD_ADDED', null, ctx.side(x.item), `${sn.id}.${x.item.id} (${typeLabel(x.item)}) added at position ${x.index}`);
  const oldOffsets = offsets(ctx.old, so);
  const newOffsets = offsets(ctx.now, sn);
  for (const p of a.pairs) {
    const o = ctx.side(p.old);
    const n = ctx.side(p.new);
    if (p.renamed) ctx.out.add('API_FIELD_RENAMED', o, n, `${sn.id}.${p.old.id} renamed ${p.new.id}; same position and type`);
    if (p.moved) ctx.out.add('WIRE_FIELD_REORDERED', o, n, `${p.new.id} moved from position ${p.oldIndex} to ${p.newIndex}`);
    compareField(ctx, p.old, p.new, o, n, fieldRenames);
    const oo = oldOffsets[p.oldIndex];
    const no = newOffsets[p.newIndex];
    if (!p.moved && oo !== no && !(oo === null && no === null))
      ctx.out.add('WIRE_FIELD_OFFSET_CHANGED', o, n, `${p.new.id} offset ${show(oo ?? 'variable')} → ${show(no ?? 'variable')}`);
  }
}

const isInt = (f: FieldIR): f is IntFieldIR => f.type === 'u8' || f.type === 'u16' || f.type === 'u32' || f.type === 'u64';
const isBytes = (f: FieldIR): f is BytesFieldIR => f.type === 'bytes' || f.type === 'str' || f.type === 'zeros';

function typeLabel(f: FieldIR): string {
  return f.type === 'struct' ? f.struct : f.type;
}

function compareField(ctx: DiffContext, fo: FieldIR, fn: FieldIR, o: Side, n: Side, fieldRenames: Map<string, string>): void {
  const id = fn.id;
  ctx.doc(`${id} doc`, fo.doc, fn.doc, o, n);
  if (fo.type !== fn.type) {
    ctx.out.add('WIRE_FIELD_TYPE_CHANGED', o, n, `${id} type ${typeLabel(fo)} → ${typeLabel(fn)}`);
    return;
  }
  const bound = (what: string, kind: 'min' | 'max', a: number | undefined, b: number | undefined) => checkBound(ctx, o, n, `${id} ${what}`, kind, a, b);
  if (isInt(fo)) {
    const g = fn as typeof fo;
    if (ctx.map('enums', fo.enum) !== g.enum) ctx.out.add('WIRE_FIELD_TYPE_CHANGED', o, n, `${id} enum ${show(fo.enum)} → ${show(g.enum)}`);
    if (fo.const !== g.const) ctx.out.add('WIRE_CONST_CHANGED', o, n, `${id} const ${show(fo.constName ?? fo.const)} → ${show(g.constName ?? g.const)}`);
    bound('min', 'min', fo.min, g.min);
    bound('max', 'max', fo.max, g.max);
    checkMask(ctx, o, n, id, fo.mask, g.mask);
  } else if (isBytes(fo)) {
    const g = fn as typeof fo;
    checkSize(ctx, o, n, id, fo.size, g.size);
    bound('min length', 'min', fo.minLen, g.minLen);
    bound('max length', 'max', fo.maxLen, g.maxLen);
  } else if (fo.type === 'list') {
    const g = fn as typeof fo;
    const of = fo.of === 'u8' ? 'u8' : ctx.map('structs', fo.of);
    if (of !== g.of) ctx.out.add('WIRE_FIELD_TYPE_CHANGED', o, n, `${id} list of ${fo.of} → ${g.of}`);
    if (fo.count.width !== g.count.width) ctx.out.add('WIRE_PREFIX_WIDTH_CHANGED', o, n, `${id} count prefix ${fo.count.width} → ${g.count.width}`);
    bound('min_count', 'min', fo.minCount, g.minCount);
    bound('max_count', 'max', fo.maxCount, g.maxCount);
  } else if (fo.type === 'struct') {
    const g = fn as typeof fo;
    if (ctx.map('structs', fo.struct) !== g.struct) ctx.out.add('WIRE_FIELD_TYPE_CHANGED', o, n, `${id} struct ${fo.struct} → ${g.struct}`);
  } else if (fo.type === 'switch') {
    const g = fn as typeof fo;
    if ((fieldRenames.get(fo.on) ?? fo.on) !== g.on) ctx.out.add('WIRE_SWITCH_CHANGED', o, n, `${id} selector ${fo.on} → ${g.on}`);
    if (ctx.map('enums', fo.enum) !== g.enum) ctx.out.add('WIRE_FIELD_TYPE_CHANGED', o, n, `${id} enum ${fo.enum} → ${g.enum}`);
    checkSize(ctx, o, n, id, fo.size, g.size);
    bound('min length', 'min', fo.minLen, g.minLen);
    bound('max length', 'max', fo.maxLen, g.maxLen);
    const newCases = new Map(g.cases.map((c) => [c.value, c]));
    for (const c of fo.cases) {
      const d = newCases.get(c.value);
      if (!d) ctx.out.add('WIRE_SWITCH_CHANGED', o, n, `${id} case ${c.valueId} (${c.value}) removed`);
      else if (ctx.map('structs', c.struct) !== d.struct) ctx.out.add('WIRE_SWITCH_CHANGED', o, n, `${id} case ${d.valueId} (${c.value}) ${c.struct} → ${d.struct}`);
    }
    const oldCodes = new Set(fo.cases.map((c) => c.value));
    for (const d of g.cases) if (!oldCodes.has(d.value)) ctx.out.add('API_SWITCH_CASE_ADDED', o, n, `${id} case ${d.valueId} (${d.value}) → ${d.struct} added`);
  }
}

function checkSize(ctx: DiffContext, o: Side, n: Side, id: string, a: SizeIR, b: SizeIR): void {
  if (a.kind === 'prefix' && b.kind === 'prefix') {
    if (a.width !== b.width) ctx.out.add('WIRE_PREFIX_WIDTH_CHANGED', o, n, `${id} length prefix ${a.width} → ${b.width}`);
    return;
  }
  const describe = (s: SizeIR) => (s.kind === 'fixed' ? String(s.value) : sizeKey(s));
  if (sizeKey(a) !== sizeKey(b)) ctx.out.add('WIRE_FIELD_SIZE_CHANGED', o, n, `${id} size ${describe(a)} → ${describe(b)}`);
  else if ((a.kind === 'fixed' || a.kind === 'rest') && (b.kind === 'fixed' || b.kind === 'rest') && a.expr !== b.expr)
    ctx.out.add('API_EXPR_REWRITTEN', o, n, `${id} size ${a.expr} → ${b.expr} (both ${describe(b)})`);
}

/** min: raising or adding tightens. max: lowering or adding tightens. */
export function checkBound(ctx: DiffContext, o: Side, n: Side, label: string, kind: 'min' | 'max', a: number | undefined, b: number | undefined): void {
  if (a === b || (kind === 'min' && (a ?? 0) === (b ?? 0))) return; // an absent min is 0
  const tighter = kind === 'max' ? b !== undefined && (a === undefined || b < a) : b !== undefined && (a === undefined || b > a);
  ctx.out.add(tighter ? 'WIRE_BOUND_TIGHTENED' : 'API_BOUND_LOOSENED', o, n, `${label} ${show(a)} → ${show(b)}`);
}

function checkMask(ctx: DiffContext, o: Side, n: Side, id: string, a: number | undefined, b: number | undefined): void {
  if (a === b) return;
  const hex = (m: number | undefined) => (m === undefined ? 'none (any bits)' : `0x${m.toString(16)}`);
  // No mask allows every bit. A bit allowed before and not now tightens.
  const removedBits = b !== undefined && (a === undefined || (BigInt(a) & ~BigInt(b)) !== 0n);
  ctx.out.add(removedBits ? 'WIRE_BOUND_TIGHTENED' : 'API_BOUND_LOOSENED', o, n, `${id} mask ${hex(a)} → ${hex(b)}`);
}
