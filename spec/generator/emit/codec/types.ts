/**
 * TypeScript types of the structs: an interface per struct; a struct with a switch becomes
 * `XCommon & XBody`, a discriminated union on the selector, plus an `XBodyByType` map.
 */
import type { FieldIR, SizeIR, SwitchFieldIR } from '../../ir.ts';
import type { FileContext } from './context.ts';
import type { Model, StructModel } from './model.ts';
import { camel, doc, pascal } from './names.ts';

function sizeText(s: SizeIR): string {
  switch (s.kind) {
    case 'fixed':
      return s.expr === String(s.value) ? `${s.value} bytes` : `${s.value} bytes (${s.expr})`;
    case 'prefix':
      return `${s.width} length prefix`;
    case 'rest':
      return `every remaining byte but the last ${s.minus}${s.expr === String(s.minus) ? '' : ` (${s.expr})`}`;
    case 'eos':
      return 'every remaining byte';
  }
}

function bounds(min: number | undefined, max: number | undefined, unit: string): string | undefined {
  if (min === undefined && max === undefined) return undefined;
  if (min !== undefined && max !== undefined) return `${min}..${max} ${unit}`;
  return min !== undefined ? `at least ${min} ${unit}` : `at most ${max} ${unit}`;
}

/** One line describing how a field is encoded, for its doc comment. */
export function wireText(f: FieldIR): string {
  switch (f.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64': {
      const parts: string[] = [f.type];
      if (f.enum) parts.push(`enum ${f.enum}`);
      if (f.const !== undefined) parts.push(`always ${f.constName ?? f.const}${f.constName ? ` (${f.const})` : ''}`);
      const b = bounds(f.min, f.type === 'u64' && f.max === Number.MAX_SAFE_INTEGER ? undefined : f.max, '');
      if (b) parts.push(b.trim());
      if (f.mask !== undefined) parts.push(`flag bits 0x${f.mask.toString(16)}`);
      return parts.join(', ');
    }
    case 'bytes':
    case 'str':
    case 'zeros': {
      const parts = [f.type === 'zeros' ? 'zero padding (the value is its byte count)' : f.type === 'str' ? 'UTF-8 string' : 'bytes', sizeText(f.size)];
      const b = bounds(f.minLen, f.maxLen, 'bytes');
      if (b) parts.push(b);
      return parts.join(', ');
    }
    case 'list':
      return `list of ${f.of}, ${f.count.width} count, ${f.minCount}..${f.maxCount} items`;
    case 'struct':
      return `struct ${f.struct}`;
    case 'switch': {
      const b = bounds(f.minLen, f.maxLen, 'bytes');
      return `switch on ${f.on} (${f.enum}), ${sizeText(f.size)}${b ? `, ${b}` : ''}`;
    }
  }
}

/** The TypeScript type of a field's value. */
export function fieldType(ctx: FileContext, f: FieldIR): string {
  const m = ctx.model;
  switch (f.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64':
      if (f.enum) {
        const e = m.enumOf(f.enum);
        if (f.constName) {
          ctx.enums.add(e.name);
          return `typeof ${e.name}.${camel(f.constName)}`;
        }
        ctx.typeOnlyEnums.add(e.name);
        return e.name;
      }
      return f.const !== undefined ? String(f.const) : 'number';
    case 'bytes':
      return 'Uint8Array';
    case 'str':
      return 'string';
    case 'zeros':
      return 'number';
    case 'list':
      if (f.of === 'u8') return 'number[]';
      ctx.structs.add(f.of);
      return `${m.struct(f.of).name}[]`;
    case 'struct':
      ctx.structs.add(f.struct);
      return m.struct(f.struct).name;
    case 'switch':
      throw new Error('switch fields have no single type');
  }
}

function fieldDoc(f: FieldIR, indent: string): string {
  return doc([f.doc, `Wire: ${wireText(f)}.`], f.path, indent);
}

/** The name of the union type of a switch: `EnvelopeBody`. */
export function switchTypeName(s: StructModel, f: SwitchFieldIR): string {
  return `${s.name}${pascal(f.id)}`;
}

export function emitTypes(ctx: FileContext): string {
  const m = ctx.model;
  const s = ctx.self;
  const switches = s.ir.fields.filter((f): f is SwitchFieldIR => f.type === 'switch');
  const selectors = new Set(switches.map((f) => f.on));
  let out = '';
  if (!switches.length) {
    if (!s.ir.fields.length) return doc([s.ir.doc, 'A struct without fields: encodes to no bytes.'], s.ir.path) + `export type ${s.name} = Record<string, never>;\n`;
    out += doc([s.ir.doc], s.ir.path) + `export interface ${s.name} {\n`;
    for (const f of s.ir.fields) out += fieldDoc(f, '  ') + `  ${camel(f.id)}: ${fieldType(ctx, f)};\n`;
    return out + '}\n';
  }
  const common = s.ir.fields.filter((f) => f.type !== 'switch' && !selectors.has(f.id));
  out += doc([`The fields of ${s.ir.id} that do not depend on ${[...selectors].join(', ')}.`], s.ir.path) + `export interface ${s.name}Common {\n`;
  for (const f of common) out += fieldDoc(f, '  ') + `  ${camel(f.id)}: ${fieldType(ctx, f)};\n`;
  out += '}\n\n';
  for (const sw of switches) {
    const sel = s.ir.fields.find((f) => f.id === sw.on)!;
    const e = m.enumOf(sw.enum);
    ctx.enums.add(e.name);
    const tn = switchTypeName(s, sw);
    out += doc([`${sw.doc}`, `One variant per ${sw.enum} code: \`${camel(sel.id)}\` selects the type of \`${camel(sw.id)}\`.`], sw.path);
    out += `export type ${tn} =\n`;
    sw.cases.forEach((c, i) => {
      ctx.structs.add(c.struct);
      const last = i === sw.cases.length - 1;
      out += `  | { ${camel(sel.id)}: typeof ${e.name}.${camel(c.valueId)}; ${camel(sw.id)}: ${m.struct(c.struct).name} }${last ? ';' : ''}\n`;
    });
    out += doc([`The type of \`${camel(sw.id)}\` for each ${sw.enum} code.`], sw.path) + `export interface ${tn}ByType {\n`;
    for (const c of sw.cases) out += `  /** ${c.valueId} */\n  ${c.value}: ${m.struct(c.struct).name};\n`;
    out += '}\n\n';
  }
  out += doc([s.ir.doc], s.ir.path);
  out += `export type ${s.name} = ${s.name}Common & ${switches.map((sw) => switchTypeName(s, sw)).join(' & ')};\n`;
  return out;
}
