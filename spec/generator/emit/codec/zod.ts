/**
 * generated/src/zod.ts: a zod schema per struct for the decoded value (`FrameSchema`, ...), with
 * the same bounds the encoder checks, for values that cross a JSON or message boundary.
 * Each schema is checked against its TypeScript type with `satisfies`.
 */
import type { FieldIR, SwitchFieldIR } from '../../ir.ts';
import { moduleOf, stamp, type GeneratedFile } from '../file.ts';
import type { Model, StructModel } from './model.ts';
import { intBounds, lenBounds } from './model.ts';
import { camel, doc, key, lit } from './names.ts';

/** This module's path, named in the header of every file it writes. */
const GENERATOR = moduleOf(import.meta.url);

function fieldSchema(m: Model, f: FieldIR, used: Set<string>): string {
  switch (f.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64': {
      if (f.const !== undefined) return `z.literal(${f.const})`;
      if (f.enum) {
        const e = m.enumOf(f.enum);
        used.add(e.name);
        return `z.enum(${e.name})`;
      }
      const b = intBounds(f);
      let s = `z.number().int().min(${b.min}).max(${b.max})`;
      if (f.mask !== undefined) s += `.refine((x) => (x & ${f.mask}) === x, ${lit(`only bits 0x${f.mask.toString(16)}`)})`;
      return s;
    }
    case 'bytes':
    case 'str':
    case 'zeros': {
      const fixed = f.size.kind === 'fixed' ? f.size.value : undefined;
      const { min, max } = lenBounds(f);
      const lo = fixed ?? min;
      const hi = fixed ?? max;
      if (f.type === 'zeros') return `z.number().int().min(${lo}).max(${hi === Number.MAX_SAFE_INTEGER ? 0x7fffffff : hi})`;
      const fn = f.type === 'bytes' ? 'bytes' : 'utf8';
      return `${fn}(${lo}, ${hi === Number.MAX_SAFE_INTEGER ? 'Infinity' : hi})`;
    }
    case 'list':
      if (f.of === 'u8') return `z.array(z.number().int().min(0).max(255)).min(${f.minCount}).max(${f.maxCount})`;
      return `z.array(z.lazy(() => ${m.struct(f.of).name}Schema)).min(${f.minCount}).max(${f.maxCount})`;
    case 'struct':
      return `z.lazy(() => ${m.struct(f.struct).name}Schema)`;
    case 'switch':
      throw new Error('switch handled by the struct');
  }
}

function structSchema(m: Model, s: StructModel, used: Set<string>): string {
  const switches = s.ir.fields.filter((f): f is SwitchFieldIR => f.type === 'switch');
  const selectors = new Set(switches.map((f) => f.on));
  const fields = (fs: FieldIR[], ind: string) => fs.map((f) => `${ind}${key(camel(f.id))}: ${fieldSchema(m, f, used)},\n`).join('');
  let out = doc([`The decoded value of ${s.ir.id}.`], s.ir.path);
  if (!switches.length) {
    out += `export const ${s.name}Schema = z.strictObject({\n${fields(s.ir.fields, '  ')}}) satisfies z.ZodType<${s.name}>;\n`;
    return out;
  }
  const common = s.ir.fields.filter((f) => f.type !== 'switch' && !selectors.has(f.id));
  const variants = (sw: SwitchFieldIR) => {
    const sel = s.ir.fields.find((f) => f.id === sw.on)!;
    return sw.cases.map(
      (c) => `    z.strictObject({\n${fields(common, '      ')}      ${key(camel(sel.id))}: z.literal(${c.value}),\n      ${key(camel(sw.id))}: z.lazy(() => ${m.struct(c.struct).name}Schema),\n    }),\n`,
    );
  };
  if (switches.length > 1) throw new Error(`codec emitter: ${s.ir.path}: zod schemas for structs with two switches are not supported`);
  const sw = switches[0]!;
  out += `export const ${s.name}Schema = z.discriminatedUnion(${lit(camel(sw.on))}, [\n${variants(sw).join('')}]) satisfies z.ZodType<${s.name}>;\n`;
  return out;
}

export function emitZod(m: Model): GeneratedFile {
  let out = stamp(m.ir, '//', GENERATOR);
  out += doc(['zod schemas of the decoded value of every struct, with the bounds the encoders check. Byte fields must be Uint8Array instances.'], 'structs');
  const used = new Set<string>();
  const body = [...m.structs.values()].map((s) => structSchema(m, s, used)).join('\n');
  const types = [...m.structs.values()].map((s) => `type ${s.name}`);
  out += `import { z } from 'zod';\n`;
  if (used.size) out += `import { ${[...used].sort().join(', ')} } from './enums.ts';\n`;
  out += `import type { ${types.map((t) => t.replace('type ', '')).join(', ')} } from './index.ts';\n\n`;
  out += `const encoder = new TextEncoder();

/** A Uint8Array of min..max bytes. */
function bytes(min: number, max: number) {
  return z.instanceof(Uint8Array).refine((b) => b.length >= min && b.length <= max, min === max ? \`exactly \${min} bytes\` : \`\${min}..\${max} bytes\`);
}

/** A well-formed string of min..max UTF-8 bytes. */
function utf8(min: number, max: number) {
  return z.string().refine((s) => {
    if (s.length > max) return false;
    const n = encoder.encode(s).length;
    return n >= min && n <= max && !/\\p{Surrogate}/u.test(s);
  }, \`a well-formed string of \${min}..\${max} UTF-8 bytes\`);
}

`;
  out += body;
  return { path: 'src/zod.ts', content: out };
}
