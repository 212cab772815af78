/** Enums (codes, reservations, renames), constants (sizes, limits, other values) and text constants. */
import type { ConstantIR, EnumIR, EnumValueIR } from '../generator/ir.ts';
import { matchRenames } from './align.ts';
import type { DiffContext } from './context.ts';

const enumShape = (e: EnumIR) => JSON.stringify([e.type, e.values.map((v) => [v.id, v.value, v.reserved]).sort((a, b) => (a[1] as number) - (b[1] as number))]);

export function compareEnums(ctx: DiffContext): void {
  const oldById = new Map(ctx.old.enums.map((e) => [e.id, e]));
  const newById = new Map(ctx.now.enums.map((e) => [e.id, e]));
  ctx.renames.enums = matchRenames(oldById.keys(), newById.keys(), (o, n) => enumShape(oldById.get(o)!) === enumShape(newById.get(n)!));
  for (const eo of ctx.old.enums) {
    const en = newById.get(ctx.map('enums', eo.id));
    if (!en) {
      ctx.out.add('WIRE_ENUM_REMOVED', ctx.side(eo), null, `enum ${eo.id} removed`);
      continue;
    }
    if (en.id !== eo.id) ctx.out.add('API_ENUM_RENAMED', ctx.side(eo), ctx.side(en), `enum ${eo.id} renamed ${en.id}; values unchanged`);
    ctx.doc(`${en.id} doc`, eo.doc, en.doc, ctx.side(eo), ctx.side(en));
    if (eo.type !== en.type) ctx.out.add('WIRE_ENUM_TYPE_CHANGED', ctx.side(eo), ctx.side(en), `${en.id} type ${eo.type} → ${en.type}`);
    compareValues(ctx, eo, en);
  }
  const renamedTo = new Set(ctx.renames.enums.values());
  for (const en of ctx.now.enums) if (!oldById.has(en.id) && !renamedTo.has(en.id)) ctx.out.add('API_ENUM_ADDED', null, ctx.side(en), `enum ${en.id} added`);
}

/**
 * Values pair by name, then by code. A code held by another name is a rename when the old name is
 * gone, neither side is reserved and the doc is the same; with another doc, or when the old name
 * still exists under another code, the code was reused.
 */
function compareValues(ctx: DiffContext, eo: EnumIR, en: EnumIR): void {
  const newById = new Map(en.values.map((v) => [v.id, v]));
  const newByCode = new Map(en.values.map((v) => [v.value, v]));
  const oldIds = new Set(eo.values.map((v) => v.id));
  const oldCodes = new Set(eo.values.map((v) => v.value));
  const name = (v: EnumValueIR) => `${en.id}.${v.id} (${v.value})`;
  for (const vo of eo.values) {
    const o = ctx.side(vo);
    const same = newById.get(vo.id);
    if (same) {
      const n = ctx.side(same);
      if (same.value !== vo.value) ctx.out.add('WIRE_ENUM_CODE_CHANGED', o, n, `${en.id}.${vo.id} code ${vo.value} → ${same.value}`);
      reservation(ctx, vo, same, name(same));
      ctx.doc(`${en.id}.${vo.id} doc`, vo.doc, same.doc, o, n);
      continue;
    }
    const holder = newByCode.get(vo.value);
    if (!holder) {
      const what = vo.reserved ? 'reserved code dropped: it may be reused later' : 'removed; keep it with reserved: true instead';
      ctx.out.add('WIRE_ENUM_VALUE_REMOVED', o, null, `${name(vo)} ${what}`);
      continue;
    }
    const n = ctx.side(holder);
    if (oldIds.has(holder.id)) {
      ctx.out.add('WIRE_ENUM_CODE_REUSED', o, n, `code ${vo.value} of ${en.id} was ${vo.id}, now ${holder.id} (which had code ${eo.values.find((v) => v.id === holder.id)!.value})`);
    } else if (vo.reserved && !holder.reserved) {
      ctx.out.add('WIRE_ENUM_RESERVED_USED', o, n, `code ${vo.value} of ${en.id} was reserved (${vo.id}), now in use as ${holder.id}`);
    } else if (vo.reserved || holder.reserved || vo.doc === holder.doc) {
      ctx.out.add('API_ENUM_VALUE_RENAMED', o, n, `${en.id}.${vo.id} renamed ${holder.id}; code ${vo.value} unchanged`);
      reservation(ctx, vo, holder, name(holder));
      ctx.doc(`${en.id}.${holder.id} doc`, vo.doc, holder.doc, o, n);
    } else {
      ctx.out.add('WIRE_ENUM_CODE_REUSED', o, n, `code ${vo.value} of ${en.id} was ${vo.id} ("${vo.doc}"), now ${holder.id} ("${holder.doc}"); a pure rename keeps the doc`);
    }
  }
  for (const vn of en.values) {
    if (oldIds.has(vn.id) || oldCodes.has(vn.value)) continue;
    if (vn.reserved) ctx.out.add('API_ENUM_VALUE_RESERVED', null, ctx.side(vn), `${name(vn)} added as reserved`);
    else ctx.out.add('API_ENUM_VALUE_ADDED', null, ctx.side(vn), `${name(vn)} added`);
  }
}

function reservation(ctx: DiffContext, vo: EnumValueIR, vn: EnumValueIR, label: string): void {
  if (!vo.reserved && vn.reserved) ctx.out.add('API_ENUM_VALUE_RESERVED', ctx.side(vo), ctx.side(vn), `${label} retired: kept as reserved`);
  // An old peer refuses a reserved code (UNKNOWN_CODE) or reads a retired one with its old meaning.
  if (vo.reserved && !vn.reserved) ctx.out.add('WIRE_ENUM_RESERVED_USED', ctx.side(vo), ctx.side(vn), `${label} was reserved, now in use`);
}

export type ConstantClass = 'max' | 'min' | 'size' | 'other';

/**
 * What a constant is, from its name: a limit (MAX or MIN as a word of the name), a size (ends in
 * _SIZE or _BYTES, or a PAD_BUCKET_n), or anything else (timeouts, rates, counts).
 */
export function classifyConstant(name: string): ConstantClass {
  const words = name.split('_');
  if (words.includes('MAX')) return 'max';
  if (words.includes('MIN')) return 'min';
  if (/_(SIZE|BYTES)$/.test(name) || /^PAD_BUCKET_\d+$/.test(name)) return 'size';
  return 'other';
}

export function compareConstants(ctx: DiffContext): void {
  const newByName = new Map(ctx.now.constants.map((c) => [c.name, c]));
  const oldNames = new Set(ctx.old.constants.map((c) => c.name));
  for (const co of ctx.old.constants) {
    const cn = newByName.get(co.name);
    if (!cn) {
      ctx.out.add('API_CONSTANT_REMOVED', ctx.side(co), null, `${co.name} (${co.value}) removed`);
      continue;
    }
    compareConstant(ctx, co, cn);
  }
  for (const cn of ctx.now.constants) if (!oldNames.has(cn.name)) ctx.out.add('API_CONSTANT_ADDED', null, ctx.side(cn), `${cn.name} = ${cn.value} added`);
}

function compareConstant(ctx: DiffContext, co: ConstantIR, cn: ConstantIR): void {
  const o = ctx.side(co);
  const n = ctx.side(cn);
  ctx.doc(`${cn.name} doc`, co.doc, cn.doc, o, n);
  const expr = (c: ConstantIR) => (c.expr === String(c.value) ? c.expr : `${c.expr} = ${c.value}`);
  if (co.value === cn.value) {
    if (co.expr !== cn.expr) ctx.out.add('API_EXPR_REWRITTEN', o, n, `${cn.name} ${co.expr} → ${cn.expr} (both ${cn.value})`);
    return;
  }
  const msg = `${cn.name} ${expr(co)} → ${expr(cn)}`;
  const cls = classifyConstant(cn.name);
  if (cls === 'size') ctx.out.add('WIRE_CONSTANT_SIZE_CHANGED', o, n, msg);
  else if (cls === 'other') ctx.out.add('API_CONSTANT_CHANGED', o, n, msg);
  else {
    const tighter = cls === 'max' ? cn.value < co.value : cn.value > co.value;
    ctx.out.add(tighter ? 'WIRE_LIMIT_TIGHTENED' : 'API_LIMIT_LOOSENED', o, n, msg);
  }
}

/**
 * Text constants (`strings:`) are used as written by every implementation (an invite link's
 * fragment, a well-known path): another value, or dropping one old peers still use, breaks them.
 */
export function compareStrings(ctx: DiffContext): void {
  const newByName = new Map(ctx.now.strings.map((s) => [s.name, s]));
  const oldNames = new Set(ctx.old.strings.map((s) => s.name));
  for (const so of ctx.old.strings) {
    const sn = newByName.get(so.name);
    if (!sn) {
      ctx.out.add('WIRE_STRING_REMOVED', ctx.side(so), null, `${so.name} ("${so.value}") removed: peers built on the old spec still use it`);
      continue;
    }
    const o = ctx.side(so);
    const n = ctx.side(sn);
    ctx.doc(`${sn.name} doc`, so.doc, sn.doc, o, n);
    if (so.value !== sn.value) ctx.out.add('WIRE_STRING_CHANGED', o, n, `${sn.name} "${so.value}" → "${sn.value}"`);
  }
  for (const sn of ctx.now.strings) if (!oldNames.has(sn.name)) ctx.out.add('API_STRING_ADDED', null, ctx.side(sn), `${sn.name} = "${sn.value}" added`);
}
