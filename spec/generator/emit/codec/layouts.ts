/**
 * generated/src/layouts.ts: every struct's fields as data (id, type, fixed size or null, how a
 * variable size is found, bounds, enum codes, switch cases), for tests, the invalid-encoding
 * helpers and anything else that needs field boundaries without the spec toolchain.
 */
import { INT_WIDTH, type FieldIR } from '../../ir.ts';
import { moduleOf, stamp, type GeneratedFile } from '../file.ts';
import type { Model } from './model.ts';
import { camel, doc, lit } from './names.ts';

/** This module's path, named in the header of every file it writes. */
const GENERATOR = moduleOf(import.meta.url);

function fieldSize(m: Model, f: FieldIR): number | null {
  switch (f.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64':
      return INT_WIDTH[f.type];
    case 'bytes':
    case 'str':
    case 'zeros':
    case 'switch':
      return f.size.kind === 'fixed' ? f.size.value : null;
    case 'struct':
      return m.struct(f.struct).ir.fixedSize;
    case 'list':
      return null;
  }
}

function fieldLayout(m: Model, f: FieldIR): string {
  const p: string[] = [`id: ${lit(f.id)}`, `name: ${lit(camel(f.id))}`, `path: ${lit(f.path)}`, `type: ${lit(f.type)}`, `size: ${fieldSize(m, f)}`];
  switch (f.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64': {
      p.push(`sizeKind: 'fixed'`);
      if (f.min !== undefined) p.push(`min: ${f.min}`);
      if (f.max !== undefined) p.push(`max: ${f.max}`);
      if (f.mask !== undefined) p.push(`mask: ${f.mask}`);
      if (f.const !== undefined) p.push(`const: ${f.const}`);
      if (f.enum) {
        const e = m.enumOf(f.enum);
        p.push(`enum: ${lit(f.enum)}`, `codes: [${e.codes.join(', ')}]`, `reserved: [${e.ir.values.filter((v) => v.reserved).map((v) => v.value).join(', ')}]`);
      }
      break;
    }
    case 'bytes':
    case 'str':
    case 'zeros':
    case 'switch': {
      p.push(`sizeKind: ${lit(f.size.kind)}`);
      if (f.size.kind === 'prefix') p.push(`prefix: ${INT_WIDTH[f.size.width]}`);
      if (f.size.kind === 'rest') p.push(`rest: ${f.size.minus}`);
      if (f.minLen !== undefined) p.push(`minLen: ${f.minLen}`);
      if (f.maxLen !== undefined) p.push(`maxLen: ${f.maxLen}`);
      if (f.type === 'switch') {
        p.push(`on: ${lit(f.on)}`, `enum: ${lit(f.enum)}`);
        p.push(`cases: { ${f.cases.map((c) => `${c.value}: ${lit(c.struct)}`).join(', ')} }`);
        p.push(`caseNames: { ${f.cases.map((c) => `${c.value}: ${lit(c.valueId)}`).join(', ')} }`);
      }
      break;
    }
    case 'list':
      p.push(`sizeKind: 'count'`, `prefix: ${INT_WIDTH[f.count.width]}`, `of: ${lit(f.of)}`, `minCount: ${f.minCount}`, `maxCount: ${f.maxCount}`);
      break;
    case 'struct':
      p.push(`sizeKind: 'struct'`, `struct: ${lit(f.struct)}`);
      break;
  }
  return `{ ${p.join(', ')} }`;
}

export function emitLayouts(m: Model): GeneratedFile {
  let out = stamp(m.ir, '//', GENERATOR);
  out += doc(['Field layouts of every struct: what the codecs read, as data.'], 'structs') + '\n';
  out += `import type { StructLayout } from './layout-types.ts';\n\nexport type { FieldLayout, SizeKind, StructLayout } from './layout-types.ts';\n\n`;
  const ids = [...m.structs.keys()];
  out += doc(['Spec id of every struct.'], 'structs') + `export type StructId =\n${ids.map((id, i) => `  | ${lit(id)}${i === ids.length - 1 ? ';' : ''}`).join('\n')}\n\n`;
  out += doc(['The layout of every struct, by spec id.'], 'structs') + `export const Layouts: { readonly [K in StructId]: StructLayout } = {\n`;
  for (const s of m.structs.values()) {
    out += `  ${s.ir.id}: {\n    id: ${lit(s.ir.id)},\n    name: ${lit(s.name)},\n    path: ${lit(s.ir.path)},\n    fixedSize: ${s.ir.fixedSize},\n    minSize: ${s.ir.minSize},\n`;
    out += `    fields: [${s.ir.fields.length ? '\n' + s.ir.fields.map((f) => `      ${fieldLayout(m, f)},\n`).join('') + '    ' : ''}],\n  },\n`;
  }
  out += `};\n`;
  return { path: 'src/layouts.ts', content: out };
}
