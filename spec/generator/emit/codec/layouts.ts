/**
 * generated/src/layouts.ts: every struct's fields as data (id, type, fixed size or null, how a
 * variable size is found, bounds, enum codes, switch cases), for tests, the invalid-encoding
 * helpers and anything else that needs field boundaries without the spec toolchain.
 */
import { INT_WIDTH, type FieldIR } from '../../ir.ts';
import { stamp, type GeneratedFile } from '../file.ts';
import type { Model } from './model.ts';
import { camel, doc, lit } from './names.ts';

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
  let out = stamp(m.ir, '//');
  out += doc(['Field layouts of every struct: what the codecs read, as data.'], 'structs') + '\n';
  out += `/** How a field's size is found. \`count\`: a list with a count prefix; \`struct\`: the nested struct's own layout. */
export type SizeKind = 'fixed' | 'prefix' | 'rest' | 'eos' | 'count' | 'struct';

/** One field of a struct, in wire order. */
export interface FieldLayout {
  /** Spec id (snake_case), as in error paths. */
  readonly id: string;
  /** Property name in the TypeScript type. */
  readonly name: string;
  /** YAML path of the field in the spec. */
  readonly path: string;
  readonly type: 'u8' | 'u16' | 'u32' | 'u64' | 'bytes' | 'str' | 'zeros' | 'list' | 'struct' | 'switch';
  /** Encoded size in bytes when it does not depend on the value, else null. */
  readonly size: number | null;
  readonly sizeKind: SizeKind;
  /** Width in bytes of the length prefix (sizeKind prefix) or count prefix (count). */
  readonly prefix?: 1 | 2 | 4;
  /** sizeKind rest: bytes left after this field. */
  readonly rest?: number;
  /** Integer bounds (absent: the width's bounds; u64 is capped at 2^53 - 1). */
  readonly min?: number;
  readonly max?: number;
  /** Bits an integer may set. */
  readonly mask?: number;
  /** The value an integer must have. */
  readonly const?: number;
  /** Enum id of an integer or the selector of a switch. */
  readonly enum?: string;
  /** Valid codes of the enum. */
  readonly codes?: readonly number[];
  /** Reserved codes of the enum (invalid on the wire). */
  readonly reserved?: readonly number[];
  /** Byte length bounds of bytes, str, zeros and switch bodies. */
  readonly minLen?: number;
  readonly maxLen?: number;
  /** Lists: element type (\`u8\` or a struct id) and count bounds. */
  readonly of?: string;
  readonly minCount?: number;
  readonly maxCount?: number;
  /** Nested struct id. */
  readonly struct?: string;
  /** Switch: the selector field id, and the struct id and enum value id of each code. */
  readonly on?: string;
  readonly cases?: Readonly<Record<number, string>>;
  readonly caseNames?: Readonly<Record<number, string>>;
}

/** A struct's layout. */
export interface StructLayout {
  readonly id: string;
  /** TypeScript type name. */
  readonly name: string;
  readonly path: string;
  /** Encoded size when every field is fixed, else null. */
  readonly fixedSize: number | null;
  /** Smallest possible encoding. */
  readonly minSize: number;
  readonly fields: readonly FieldLayout[];
}

`;
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
