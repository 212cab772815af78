/**
 * The reader of a struct: straight-line code, one length check per run of fixed-size fields,
 * integers read with byte arithmetic at constant offsets, byte fields as views of the input
 * (zero-copy), one object literal in field order at the end.
 *
 * Check order, per field in spec order: length (SHORT_INPUT), then value (UNKNOWN_CODE,
 * NON_CANONICAL, OUT_OF_RANGE, BAD_UTF8). Errors carry the offset of the field; SHORT_INPUT and
 * length errors of a prefixed field point at its prefix; NON_CANONICAL of padding points at the
 * start of the padding too; TRAILING_BYTES at the first unread byte.
 */
import { INT_WIDTH, type FieldIR, type IntType, type SwitchFieldIR } from '../../ir.ts';
import type { FileContext } from './context.ts';
import { article, inRanges, intBounds, lenBounds, type Run } from './model.ts';
import { camel, lit } from './names.ts';
import { fieldType, switchTypeName } from './types.ts';

type IntField = Extract<FieldIR, { type: IntType }>;

/** `o`, or `o + k`. */
export function at(base: string, k: number): string {
  const m = /^(.*) \+ (\d+)$/.exec(base);
  if (m) return at(m[1]!, Number(m[2]) + k);
  if (/^\d+$/.test(base)) return String(Number(base) + k);
  return k === 0 ? base : `${base} + ${k}`;
}

/** An expression reading a little-endian unsigned integer of `width` bytes at `pos`. */
export function readUint(width: 1 | 2 | 4, base: string, k: number): string {
  const byte = (i: number) => `b[${at(base, k + i)}]!`;
  if (width === 1) return byte(0);
  if (width === 2) return `(${byte(0)} | (${byte(1)} << 8))`;
  return `((${byte(0)} | (${byte(1)} << 8) | (${byte(2)} << 16) | (${byte(3)} << 24)) >>> 0)`;
}

function widthOf(w: 'u8' | 'u16' | 'u32'): 1 | 2 | 4 {
  return INT_WIDTH[w] as 1 | 2 | 4;
}

/** Reads an int field at base + k into a const; checks enum, const, bounds and mask. */
function readInt(ctx: FileContext, f: IntField, name: string, base: string, k: number): string {
  const pos = at(base, k);
  const path = lit(f.id);
  let code: string;
  if (f.type === 'u64') {
    ctx.rt('u64Over');
    code =
      `const ${name}Lo = ${readUint(4, base, k)};\n` +
      `const ${name}Hi = ${readUint(4, base, k + 4)};\n` +
      `if (${name}Hi > 0x1fffff) u64Over(${pos}, ${path}, ${name}Hi, ${name}Lo);\n` +
      `const ${name} = ${name}Hi * 4294967296 + ${name}Lo;\n`;
  } else {
    code = `const ${name} = ${readUint(widthOf(f.type), base, k)};\n`;
  }
  if (f.const !== undefined) {
    ctx.rt('nonCanonical');
    const want = f.constName ? `${f.const} (${f.constName})` : String(f.const);
    return code + `if (${name} !== ${f.const}) nonCanonical(${pos}, ${path}, ${lit(want)}, ${name});\n`;
  }
  if (f.enum) {
    const e = ctx.model.enumOf(f.enum);
    ctx.rt('unknownCode');
    code += `if (!(${inRanges(name, e.ranges)})) unknownCode(${pos}, ${path}, ${lit(`a code of ${f.enum}`)}, ${name});\n`;
  }
  const bnd = intBounds(f);
  if (bnd.checkMin || bnd.checkMax) {
    ctx.rt('range');
    const cond = [bnd.checkMin ? `${name} < ${bnd.min}` : '', bnd.checkMax ? `${name} > ${bnd.max}` : ''].filter(Boolean).join(' || ');
    code += `if (${cond}) range(${pos}, ${path}, ${lit(`${bnd.min}..${bnd.max}`)}, ${name});\n`;
  }
  if (f.mask !== undefined) {
    if (f.type === 'u64') throw new Error(`codec emitter: ${f.path}: masks on u64 fields are not supported`);
    ctx.rt('nonCanonical');
    code += `if ((${name} & ${~f.mask}) !== 0) nonCanonical(${pos}, ${path}, ${lit(`only bits 0x${f.mask.toString(16)}`)}, ${name});\n`;
  }
  return code;
}

/** The value of a bytes/str/zeros field occupying b[s..e); `fieldAt` is the field's offset. */
function leafValue(ctx: FileContext, f: FieldIR, name: string, s: string, e: string, fieldAt: string, len: string): string {
  const path = lit(f.id);
  if (f.type === 'bytes') return `const ${name} = new Uint8Array(buf, ${at('bo', 0)} + ${s}, ${len});\n`;
  if (f.type === 'str') return `const ${name} = ${ctx.rt('str')}(b, ${s}, ${e}, ${fieldAt}, ${path});\n`;
  if (f.type === 'zeros') {
    ctx.rt('firstNonZero', 'nonCanonical');
    return (
      `{\n  const z = firstNonZero(b, ${s}, ${e});\n  if (z >= 0) nonCanonical(${fieldAt}, ${path}, 'zero bytes', 'byte ' + b[z]! + ' at ' + z);\n}\n` + `const ${name} = ${len};\n`
    );
  }
  throw new Error(`not a leaf: ${f.path}`);
}

function readRun(ctx: FileContext, run: Run, runIndex: number, checked: boolean): { code: string; locals: Map<FieldIR, string>; table: string } {
  const locals = new Map<FieldIR, string>();
  const table = `RUN_${runIndex}`;
  let code = '';
  if (!checked) {
    ctx.rt('shortRun');
    code += `if (end - o < ${run.size}) shortRun(o, end, ${table});\n`;
  }
  run.fields.forEach((f, i) => {
    const k = run.offsets[i]!;
    const name = ctx.local(f);
    locals.set(f, name);
    if (f.type === 'u8' || f.type === 'u16' || f.type === 'u32' || f.type === 'u64') code += readInt(ctx, f, name, 'o', k);
    else if (f.type === 'bytes' || f.type === 'str' || f.type === 'zeros') {
      const n = f.size.kind === 'fixed' ? f.size.value : 0;
      code += leafValue(ctx, f, name, at('o', k), at('o', k + n), at('o', k), String(n));
    }
  });
  code += `o += ${run.size};\n`;
  const tableCode = checked ? '' : `const ${table}: Run = [${run.fields.map((f, i) => `[${lit(f.id)}, ${(run.offsets[i + 1] ?? run.size) - run.offsets[i]!}]`).join(', ')}];\n`;
  return { code, locals, table: tableCode };
}

/**
 * The length of a variable field: reads a prefix, or computes rest/eos; checks bounds and that
 * the bytes are there. Leaves `${name}N` (length) and advances nothing; returns [code, start].
 */
function varLength(ctx: FileContext, f: FieldIR & { size: import('../../ir.ts').SizeIR }, name: string, min: number, max: number, unit = 'bytes'): { code: string; start: string } {
  const path = lit(f.id);
  const n = `${name}N`;
  const size = f.size;
  let code = '';
  const boundCheck = (lenMin: number, lenMax: number, implied: number) => {
    const conds = [lenMin > 0 ? `${n} < ${lenMin}` : '', lenMax < implied ? `${n} > ${lenMax}` : ''].filter(Boolean);
    if (!conds.length) return '';
    ctx.rt('range');
    return `if (${conds.join(' || ')}) range(o, ${path}, ${lit(`${lenMin}..${lenMax} ${unit}`)}, ${n});\n`;
  };
  switch (size.kind) {
    case 'prefix': {
      const w = widthOf(size.width);
      ctx.rt('short');
      code += `if (end - o < ${w}) short(o, end, ${path}, ${w});\n`;
      code += `const ${n} = ${readUint(w, 'o', 0)};\n`;
      code += boundCheck(min, max, 2 ** (8 * w) - 1);
      code += `if (end - o - ${w} < ${n}) short(o, end, ${path}, ${w} + ${n});\n`;
      return { code, start: `o + ${w}` };
    }
    case 'rest':
      ctx.rt('short');
      code += `const ${n} = end - o - ${size.minus};\n`;
      code += `if (${n} < 0) short(o, end, ${path}, ${size.minus});\n`;
      code += boundCheck(min, max, Number.MAX_SAFE_INTEGER);
      return { code, start: 'o' };
    case 'eos':
      code += `const ${n} = end - o;\n`;
      code += boundCheck(min, max, Number.MAX_SAFE_INTEGER);
      return { code, start: 'o' };
    case 'fixed':
      ctx.rt('short');
      code += `if (end - o < ${size.value}) short(o, end, ${path}, ${size.value});\n`;
      code += `const ${n} = ${size.value};\n`;
      return { code, start: 'o' };
  }
}

function readField(ctx: FileContext, f: FieldIR, name: string, locals: Map<FieldIR, string>): string {
  const m = ctx.model;
  const path = lit(f.id);
  switch (f.type) {
    case 'bytes':
    case 'str':
    case 'zeros': {
      const { min, max } = lenBounds(f);
      const { code, start } = varLength(ctx, f, name, min, max);
      const s = `${name}S`;
      let out = code;
      out += `const ${s} = ${start};\n`;
      out += leafValue(ctx, f, name, s, `${s} + ${name}N`, 'o', `${name}N`);
      out += `o = ${s} + ${name}N;\n`;
      return out;
    }
    case 'list': {
      const w = widthOf(f.count.width);
      const n = `${name}N`;
      ctx.rt('short');
      let out = `if (end - o < ${w}) short(o, end, ${path}, ${w});\n`;
      out += `const ${n} = ${readUint(w, 'o', 0)};\n`;
      const conds = [f.minCount > 0 ? `${n} < ${f.minCount}` : '', f.maxCount < 2 ** (8 * w) - 1 ? `${n} > ${f.maxCount}` : ''].filter(Boolean);
      if (conds.length) {
        ctx.rt('range');
        out += `if (${conds.join(' || ')}) range(o, ${path}, ${lit(`${f.minCount}..${f.maxCount} items`)}, ${n});\n`;
      }
      if (f.of === 'u8') {
        out += `if (end - o - ${w} < ${n}) short(o, end, ${path}, ${w} + ${n});\n`;
        out += `const ${name}: number[] = [];\n`;
        out += `for (let i = o + ${w}, stop = o + ${w} + ${n}; i < stop; i++) ${name}.push(b[i]!);\n`;
        out += `o += ${w} + ${n};\n`;
        return out;
      }
      const el = m.struct(f.of);
      ctx.structs.add(f.of);
      ctx.rt('nest', 'R');
      if (el.ir.fixedSize !== null && el.ir.fixedSize > 0) out += `if (end - o - ${w} < ${n} * ${el.ir.fixedSize}) short(o, end, ${path}, ${w} + ${n} * ${el.ir.fixedSize});\n`;
      out += `o += ${w};\n`;
      out += `const ${name}: ${el.name}[] = [];\n`;
      out += `for (let i = 0; i < ${n}; i++) {\n`;
      out += `  try {\n    ${name}.push(read${el.name}(b, o, end));\n  } catch (e) {\n    throw nest(e, ${lit(f.id + '[')} + i + ']');\n  }\n`;
      out += `  o = R.o;\n}\n`;
      return out;
    }
    case 'struct': {
      const st = m.struct(f.struct);
      ctx.structs.add(f.struct);
      ctx.rt('nest', 'R');
      return `let ${name}: ${st.name};\ntry {\n  ${name} = read${st.name}(b, o, end);\n} catch (e) {\n  throw nest(e, ${path});\n}\no = R.o;\n`;
    }
    case 'switch':
      return readSwitch(ctx, f, name, locals);
    default:
      throw new Error(`readField: ${f.path} is a fixed leaf`);
  }
}

function readSwitch(ctx: FileContext, f: SwitchFieldIR, name: string, locals: Map<FieldIR, string>): string {
  const m = ctx.model;
  const s = ctx.self;
  const sel = s.ir.fields.find((g) => g.id === f.on)!;
  const selName = locals.get(sel)!;
  const e = m.enumOf(f.enum);
  ctx.enums.add(`${e.name}Names`);
  ctx.rt('nest', 'R', 'trailing');
  const { min, max } = lenBounds(f);
  const { code, start } = varLength(ctx, f, name, min, max);
  const S = `${name}S`;
  const E = `${name}E`;
  let out = code + `const ${S} = ${start};\nconst ${E} = ${S} + ${name}N;\n`;
  out += `let ${name}: ${switchTypeName(s, f)}[${lit(camel(f.id))}];\n`;
  out += `try {\n  switch (${selName}) {\n`;
  for (const c of f.cases) {
    const st = m.struct(c.struct);
    ctx.structs.add(c.struct);
    out += `    case ${c.value}: // ${c.valueId}\n      ${name} = read${st.name}(b, ${S}, ${E});\n      break;\n`;
  }
  out += `    default:\n      throw new Error('unreachable: ${f.on} was checked');\n  }\n`;
  out += `} catch (e) {\n  throw nest(e, ${lit(f.id + '(')} + ${e.name}Names[${selName}] + ')');\n}\n`;
  out += `if (R.o !== ${E}) trailing(R.o, ${E}, ${lit(f.id + '(')} + ${e.name}Names[${selName}] + ')');\n`;
  out += `o = ${E};\n`;
  return out;
}

/** The reader function and the run tables it uses. */
export function emitReader(ctx: FileContext): string {
  const s = ctx.self;
  const locals = new Map<FieldIR, string>();
  let body = '';
  let tables = '';
  let runIndex = 0;
  // After a rest field, the fields that follow are fixed and their bytes are known to be there.
  let afterRest = false;
  for (const step of s.steps) {
    if (step.kind === 'run') {
      const r = readRun(ctx, step, runIndex++, afterRest);
      body += r.code;
      tables += r.table;
      for (const [k, v] of r.locals) locals.set(k, v);
    } else {
      const name = ctx.local(step.field);
      locals.set(step.field, name);
      body += readField(ctx, step.field, name, locals);
      if ('size' in step.field && step.field.size.kind === 'rest') afterRest = true;
    }
  }
  ctx.rt('R');
  if (tables) ctx.rt('Run');
  // Byte fields are views made with the Uint8Array constructor: faster than subarray (no species
  // lookup), and plain Uint8Arrays even when the input is a Node Buffer.
  if (s.ir.fields.some((f) => f.type === 'bytes')) body = 'const buf = b.buffer;\nconst bo = b.byteOffset;\n' + body;
  const hasSwitch = s.ir.fields.some((f) => f.type === 'switch');
  const props = s.ir.fields.map((f) => {
    const p = camel(f.id);
    const l = locals.get(f)!;
    const isTyped = !hasSwitch && (f.type === 'u8' || f.type === 'u16' || f.type === 'u32' || f.type === 'u64') && (f.enum !== undefined || f.const !== undefined);
    if (isTyped) return `${p}: ${l} as ${fieldType(ctx, f)}`;
    return p === l ? p : `${p}: ${l}`;
  });
  const ret = `{ ${props.join(', ')} }${hasSwitch ? ` as ${s.name}` : ''}`;
  const params = s.ir.fields.length ? 'b: Uint8Array, o: number, end: number' : '_b: Uint8Array, o: number, _end: number';
  return (
    (tables ? tables + '\n' : '') +
    `/** @internal Reads ${article(s.ir.id)} from b[o..end); leaves its end offset in R.o. */\n` +
    `export function read${s.name}(${params}): ${s.name} {\n` +
    body.split('\n').map((l) => (l ? '  ' + l : l)).join('\n') +
    `  R.o = o;\n  return ${s.ir.fields.length ? ret : '{}'};\n}\n`
  );
}
