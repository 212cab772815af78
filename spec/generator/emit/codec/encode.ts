/**
 * The encoder of a struct, in two passes. The size pass checks every field (BAD_VALUE for a
 * wrong JS type or a wrong constant, OUT_OF_RANGE for anything that does not fit its field,
 * BAD_UTF8 for a string with lone surrogates), puts strings into the runtime's scratch and
 * returns the exact size. The write pass writes into a buffer of that size without checking
 * again; length prefixes of nested bodies are back-patched from the write offsets.
 */
import { INT_MAX, INT_WIDTH, type FieldIR, type IntType, type SwitchFieldIR } from '../../ir.ts';
import type { FileContext } from './context.ts';
import { article, inRanges, intBounds, isFixedLeaf, leafSize, lenBounds } from './model.ts';
import { camel, lit } from './names.ts';
import { at } from './decode.ts';

type IntField = Extract<FieldIR, { type: IntType }>;

/** Statements storing the integer expression `x` (already checked) as `width` bytes at pos. */
function storeUint(width: number, pos: string, x: string): string {
  if (width === 1) return `out[${pos}] = ${x};\n`;
  let code = '';
  for (let i = 0; i < width; i++) code += `out[${at(pos, i)}] = ${i === 0 ? x : `${x} >>> ${8 * i}`};\n`;
  return code;
}

function intCheck(ctx: FileContext, f: IntField, x: string): string {
  const path = lit(f.id);
  if (f.const !== undefined) {
    ctx.rt('constBad');
    return `if (${x} !== ${f.const}) constBad(${path}, ${x}, ${f.const});\n`;
  }
  ctx.rt('intBad');
  const conds: string[] = [];
  let expected: string;
  const bnd = intBounds(f);
  if (f.type === 'u64') conds.push(`!Number.isSafeInteger(${x})`, `${x} < ${bnd.min}`, ...(bnd.max < INT_MAX.u64 ? [`${x} > ${bnd.max}`] : []));
  else if (f.mask !== undefined) conds.push(`(${x} & ${f.mask}) !== ${x}`);
  else if (f.type === 'u32') conds.push(`${x} >>> 0 !== ${x}`);
  else conds.push(`(${x} & ${INT_MAX[f.type]}) !== ${x}`);
  if (f.enum) {
    // The width check above has made x an integer of the field's width.
    const e = ctx.model.enumOf(f.enum);
    conds.push(`!(${inRanges(x, e.ranges)})`);
    expected = `a code of ${f.enum}`;
  } else if (f.mask !== undefined) {
    expected = `an integer with only bits 0x${f.mask.toString(16)}`;
  } else {
    if (f.type !== 'u64') {
      if (bnd.checkMin) conds.push(`${x} < ${bnd.min}`);
      if (bnd.checkMax) conds.push(`${x} > ${bnd.max}`);
    }
    expected = `an integer ${bnd.min}..${bnd.max}`;
  }
  return `if (${conds.join(' || ')}) intBad(${path}, ${x}, ${lit(expected)});\n`;
}

function prefixWidth(f: FieldIR): number {
  if (f.type === 'list') return INT_WIDTH[f.count.width];
  if ('size' in f && f.size.kind === 'prefix') return INT_WIDTH[f.size.width];
  return 0;
}

/** The constant part of the size: fixed leaves and prefixes. */
function fixedPart(ctx: FileContext): number {
  let n = 0;
  for (const f of ctx.self.ir.fields) n += isFixedLeaf(f) ? leafSize(f) : prefixWidth(f);
  return n;
}

function sizeField(ctx: FileContext, f: FieldIR): string {
  const m = ctx.model;
  const p = `v.${camel(f.id)}`;
  const path = lit(f.id);
  switch (f.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64': {
      const x = ctx.local(f);
      return `const ${x} = ${p};\n` + intCheck(ctx, f, x);
    }
    case 'bytes':
    case 'str':
    case 'zeros': {
      const { min, max } = lenBounds(f);
      const fixed = f.size.kind === 'fixed';
      const lo = fixed ? (f.size as { value: number }).value : min;
      const hi = fixed ? lo : max === Number.MAX_SAFE_INTEGER ? 0x7fffffff : max;
      const add = fixed ? '' : 'n += ';
      if (f.type === 'bytes') {
        if (fixed) return `${ctx.rt('fixedBytes')}(${p}, ${lo}, ${path});\n`;
        return `${add}${ctx.rt('varBytes')}(${p}, ${lo}, ${hi}, ${path});\n`;
      }
      if (f.type === 'str') return `${add}${ctx.rt('strPut')}(${p}, ${lo}, ${hi}, ${path});\n`;
      return `${add}${ctx.rt('zeroCount')}(${p}, ${lo}, ${hi}, ${path});\n`;
    }
    case 'list': {
      const x = ctx.local(f);
      const c = `${x}N`;
      ctx.rt('listOf');
      let out = `const ${x} = ${p};\nconst ${c} = listOf(${x}, ${f.minCount}, ${f.maxCount}, ${path});\n`;
      if (f.of === 'u8') {
        ctx.rt('intBad');
        out += `for (let i = 0; i < ${c}; i++) {\n  const y = ${x}[i]!;\n  if ((y & 255) !== y) intBad(${lit(f.id + '[')} + i + ']', y, 'an integer 0..255');\n}\n`;
        out += `n += ${c};\n`;
        return out;
      }
      const el = m.struct(f.of);
      ctx.structs.add(f.of);
      ctx.rt('nest');
      out += `for (let i = 0; i < ${c}; i++) {\n  try {\n    n += size${el.name}(${x}[i]!);\n  } catch (e) {\n    throw nest(e, ${lit(f.id + '[')} + i + ']');\n  }\n}\n`;
      return out;
    }
    case 'struct': {
      const st = m.struct(f.struct);
      ctx.structs.add(f.struct);
      ctx.rt('nest');
      return `try {\n  n += size${st.name}(${p});\n} catch (e) {\n  throw nest(e, ${path});\n}\n`;
    }
    case 'switch':
      return sizeSwitch(ctx, f);
  }
}

function sizeSwitch(ctx: FileContext, f: SwitchFieldIR): string {
  const m = ctx.model;
  const s = ctx.self;
  const sel = s.ir.fields.find((g) => g.id === f.on)!;
  const e = m.enumOf(f.enum);
  ctx.enums.add(`${e.name}Names`);
  ctx.rt('nest', 'fail');
  const x = ctx.local(f, 'Size');
  const selP = `v.${camel(sel.id)}`;
  let out = `let ${x} = 0;\ntry {\n  switch (${selP}) {\n`;
  for (const c of f.cases) {
    const st = m.struct(c.struct);
    ctx.structs.add(c.struct);
    out += `    case ${c.value}: // ${c.valueId}\n      ${x} = size${st.name}(v.${camel(f.id)});\n      break;\n`;
  }
  out += `  }\n} catch (e) {\n  throw nest(e, ${lit(f.id + '(')} + ${e.name}Names[${selP}] + ')');\n}\n`;
  const { min, max } = lenBounds(f);
  let lo = min;
  let hi = max;
  if (f.size.kind === 'fixed') lo = hi = f.size.value;
  const conds = [lo > 0 ? `${x} < ${lo}` : '', hi < Number.MAX_SAFE_INTEGER ? `${x} > ${hi}` : ''].filter(Boolean);
  if (conds.length) out += `if (${conds.join(' || ')}) fail('OUT_OF_RANGE', -1, ${lit(f.id)}, ${lit(`${lo}..${hi} bytes`)}, ${x} + ' bytes');\n`;
  out += `n += ${x};\n`;
  return out;
}

function writeLeafAt(ctx: FileContext, f: FieldIR, pos: string): string {
  const p = `v.${camel(f.id)}`;
  switch (f.type) {
    case 'u8':
      return `out[${pos}] = ${p};\n`;
    case 'u16':
    case 'u32': {
      const x = ctx.local(f);
      return `{\n  const ${x} = ${p};\n` + storeUint(INT_WIDTH[f.type], pos, x).replace(/^(?=.)/gm, '  ') + `}\n`;
    }
    case 'u64': {
      const x = ctx.local(f);
      return (
        `{\n  const ${x} = ${p};\n  const lo = ${x} >>> 0;\n  const hi = (${x} - lo) / 4294967296;\n` +
        (storeUint(4, pos, 'lo') + storeUint(4, at(pos, 4), 'hi')).replace(/^(?=.)/gm, '  ') +
        `}\n`
      );
    }
    case 'bytes':
      return `${ctx.rt('put')}(out, ${pos}, ${p});\n`;
    case 'str':
      return `${ctx.rt('strTake')}(out, ${pos});\n`;
    case 'zeros':
      return `out.fill(0, ${pos}, ${at(pos, leafSize(f))});\n`;
    default:
      throw new Error(`not a leaf: ${f.path}`);
  }
}

function writeField(ctx: FileContext, f: FieldIR): string {
  const m = ctx.model;
  const p = `v.${camel(f.id)}`;
  const w = prefixWidth(f);
  switch (f.type) {
    case 'bytes': {
      const x = ctx.local(f);
      if (!w) return `o = ${ctx.rt('put')}(out, o, ${p});\n`;
      return `{\n  const ${x} = ${p};\n` + storeUint(w, 'o', `${x}.length`).replace(/^(?=.)/gm, '  ') + `  o = ${ctx.rt('put')}(out, o + ${w}, ${x});\n}\n`;
    }
    case 'str': {
      ctx.rt('strTake');
      if (!w) return `o = strTake(out, o);\n`;
      return `{\n  const s = o;\n  o = strTake(out, o + ${w});\n  const n = o - s - ${w};\n` + storeUint(w, 's', 'n').replace(/^(?=.)/gm, '  ') + `}\n`;
    }
    case 'zeros': {
      const x = ctx.local(f);
      return `{\n  const ${x} = ${p};\n` + (w ? storeUint(w, 'o', x).replace(/^(?=.)/gm, '  ') + `  o += ${w};\n` : '') + `  out.fill(0, o, o + ${x});\n  o += ${x};\n}\n`;
    }
    case 'list': {
      const x = ctx.local(f);
      let out = `{\n  const ${x} = ${p};\n` + storeUint(w, 'o', `${x}.length`).replace(/^(?=.)/gm, '  ') + `  o += ${w};\n`;
      if (f.of === 'u8') out += `  for (let i = 0; i < ${x}.length; i++) out[o + i] = ${x}[i]!;\n  o += ${x}.length;\n`;
      else out += `  for (let i = 0; i < ${x}.length; i++) o = write${m.struct(f.of).name}(out, o, ${x}[i]!);\n`;
      return out + `}\n`;
    }
    case 'struct':
      return `o = write${m.struct(f.struct).name}(out, o, ${p});\n`;
    case 'switch': {
      const sel = ctx.self.ir.fields.find((g) => g.id === f.on)!;
      let out = `{\n  const s = o;\n  o += ${w};\n  switch (v.${camel(sel.id)}) {\n`;
      for (const c of f.cases) out += `    case ${c.value}: // ${c.valueId}\n      o = write${m.struct(c.struct).name}(out, o, v.${camel(f.id)});\n      break;\n`;
      out += `  }\n`;
      if (w) out += `  const n = o - s - ${w};\n` + storeUint(w, 's', 'n').replace(/^(?=.)/gm, '  ');
      return out + `}\n`;
    }
    default:
      throw new Error(`writeField: ${f.path} is an int`);
  }
}

export function emitEncoder(ctx: FileContext): string {
  const s = ctx.self;
  const nm = s.name;
  // Size pass.
  let size = '';
  for (const f of s.ir.fields) size += sizeField(ctx, f);
  ctx.rt('obj');
  const sizeFn =
    `/** @internal Checks every field of ${article(s.ir.id)} and returns its encoded size. */\n` +
    `export function size${nm}(v: ${nm}): number {\n  obj(v, '');\n  let n = ${fixedPart(ctx)};\n` +
    size.replace(/^(?=.)/gm, '  ') +
    `  return n;\n}\n`;
  // Write pass.
  let write = '';
  for (const step of s.steps) {
    if (step.kind === 'run') {
      step.fields.forEach((f, i) => (write += writeLeafAt(ctx, f, at('o', step.offsets[i]!))));
      write += `o += ${step.size};\n`;
    } else write += writeField(ctx, step.field);
  }
  const params = s.ir.fields.length ? 'out: Uint8Array, o: number, v: ' + nm : '_out: Uint8Array, o: number, _v: ' + nm;
  const writeFn =
    `/** @internal Writes ${article(s.ir.id)} checked by size${nm} at out[o..]; returns the end offset. */\n` +
    `export function write${nm}(${params}): number {\n` +
    write.replace(/^(?=.)/gm, '  ') +
    `  return o;\n}\n`;
  return sizeFn + '\n' + writeFn;
}
