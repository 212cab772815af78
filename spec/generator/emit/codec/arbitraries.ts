/**
 * generated/testing/arbitraries.ts: a fast-check arbitrary per struct producing only valid
 * values (every bound of the spec respected), small by default, built on the value generators of
 * testing/_arb.ts (spec/generator/codec-runtime); re-exports the invalid-encoding helpers of
 * invalid.ts. Separate entry (@parley/generated/testing) so fast-check stays out of
 * application bundles.
 */
import { INT_MAX, type FieldIR, type SwitchFieldIR } from '../../ir.ts';
import { moduleOf, stamp, type GeneratedFile } from '../file.ts';
import { ARB_EXPORTS } from './copied.ts';
import type { Model, StructModel } from './model.ts';
import { intBounds, lenBounds } from './model.ts';
import { camel, doc, key } from './names.ts';

/** This module's path, named in the header of every file it writes. */
const GENERATOR = moduleOf(import.meta.url);

function fieldArb(m: Model, f: FieldIR, enums: Set<string>): string {
  switch (f.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64': {
      if (f.const !== undefined) {
        if (f.enum) {
          const e = m.enumOf(f.enum);
          enums.add(e.name);
          return `fc.constant(${e.name}.${camel(f.constName!)})`;
        }
        return `fc.constant(${f.const} as const)`;
      }
      if (f.enum) {
        const e = m.enumOf(f.enum);
        enums.add(e.name);
        return `fc.constantFrom(...(Object.values(${e.name}) as ${e.name}[]))`;
      }
      if (f.mask !== undefined) return `fc.integer({ min: 0, max: ${f.mask} }).map((x) => x & ${f.mask})`;
      const b = intBounds(f);
      return `fc.integer({ min: ${b.min}, max: ${b.max} })`;
    }
    case 'bytes':
    case 'str':
    case 'zeros': {
      if (f.size.kind === 'fixed') {
        const n = f.size.value;
        if (f.type === 'bytes') return `fc.uint8Array({ minLength: ${n}, maxLength: ${n} })`;
        if (f.type === 'zeros') return `fc.constant(${n})`;
        return `utf8(${n}, ${n}, o)`;
      }
      const { min, max } = lenBounds(f);
      const hi = max === Number.MAX_SAFE_INTEGER ? 'Infinity' : String(max);
      if (f.type === 'bytes') return `bytes(${min}, ${hi}, o)`;
      if (f.type === 'zeros') return `padding(${min}, ${hi}, o)`;
      return `utf8(${min}, ${hi}, o)`;
    }
    case 'list': {
      const el = f.of === 'u8' ? 'fc.integer({ min: 0, max: 255 })' : `arb${m.struct(f.of).name}(o)`;
      return `fc.array(${el}, { minLength: ${f.minCount}, maxLength: ${f.maxCount} })`;
    }
    case 'struct':
      return `arb${m.struct(f.struct).name}(o)`;
    case 'switch':
      throw new Error('switch handled by the struct');
  }
}

function structArb(m: Model, s: StructModel, enums: Set<string>, sizes: Set<string>): string {
  const switches = s.ir.fields.filter((f): f is SwitchFieldIR => f.type === 'switch');
  let out = doc([`Valid values of ${s.ir.id}.`], s.ir.path);
  out += `export function arb${s.name}(o: ArbOptions = {}): fc.Arbitrary<${s.name}> {\n`;
  if (!s.ir.fields.length) return out + `  void o;\n  return fc.constant({});\n}\n`;
  if (!switches.length) {
    out += `  return fc.record({\n${s.ir.fields.map((f) => `    ${key(camel(f.id))}: ${fieldArb(m, f, enums)},\n`).join('')}  }) as fc.Arbitrary<${s.name}>;\n}\n`;
    return out;
  }
  if (switches.length > 1) throw new Error(`codec emitter: ${s.ir.path}: arbitraries for two switches are not supported`);
  const sw = switches[0]!;
  const variants = sw.cases.map((c) => {
    const st = m.struct(c.struct);
    const model = s.ir.fields.map((f) => {
      if (f.id === sw.on) return `      ${key(camel(f.id))}: fc.constant(${c.value} as const),\n`;
      if (f === sw) return `      ${key(camel(f.id))}: arb${st.name}(o),\n`;
      return `      ${key(camel(f.id))}: ${fieldArb(m, f, enums)},\n`;
    });
    let v = `    fc.record({\n${model.join('')}    })`;
    const { min, max } = lenBounds(sw);
    const hi = sw.size.kind === 'fixed' ? sw.size.value : max;
    const lo = sw.size.kind === 'fixed' ? sw.size.value : min;
    if (hi < INT_MAX.u32 || lo > 0) {
      sizes.add(st.name);
      v += `.filter((v) => {\n      const n = encodedSize${st.name}(v.${camel(sw.id)});\n      return n >= ${lo} && n <= ${hi};\n    })`;
    }
    return v + ',\n';
  });
  out += `  return fc.oneof(\n${variants.join('')}  ) as fc.Arbitrary<${s.name}>;\n}\n`;
  return out;
}

export function emitArbitraries(m: Model): GeneratedFile {
  const enums = new Set<string>();
  const sizes = new Set<string>();
  const body = [...m.structs.values()].map((s) => structArb(m, s, enums, sizes)).join('\n');
  let out = stamp(m.ir, '//', GENERATOR);
  out += doc(
    [
      'fast-check arbitraries of every struct (valid values only) and the invalid-encoding helpers. Entry @parley/generated/testing; fast-check is a peer dependency of this entry only.',
    ],
    'structs',
  );
  out += `import fc from 'fast-check';\n`;
  if (enums.size) out += `import { ${[...enums].sort().join(', ')} } from '../src/enums.ts';\n`;
  const types = [...m.structs.values()].map((s) => `type ${s.name}`);
  const sizeFns = [...sizes].sort().map((n) => `encodedSize${n}`);
  out += `import { ${[...sizeFns, ...types].join(', ')} } from '../src/index.ts';\n\n`;
  const helpers = ARB_EXPORTS.filter((h) => new RegExp(`\\b${h}\\(`).test(body));
  out = out.replace(/\n+$/, '\n');
  out += `import { ${[...helpers, 'type ArbOptions'].join(', ')} } from './_arb.ts';\n\n`;
  out += `export type { ArbOptions } from './_arb.ts';\n`;
  out += `export { invalidEncodings, spans, type InvalidCase, type Span, type Verdict } from './invalid.ts';\n\n`;
  out += body;
  return { path: 'testing/arbitraries.ts', content: out };
}
