/**
 * generated/src/regions.ts: a builder per region (the exact bytes that are hashed, signed or
 * used as associated data), and generated/src/derive.ts: a function per derivation and per
 * signature message, over a caller-supplied BLAKE3.
 */
import { INT_MAX, INT_WIDTH, type RegionIR, type RegionPartIR } from '../../ir.ts';
import { moduleOf, stamp, type GeneratedFile } from '../file.ts';
import type { Model } from './model.ts';
import { inRanges } from './model.ts';
import { camel, doc, lit, pascal } from './names.ts';

/** This module's path, named in the header of every file it writes. */
const GENERATOR = moduleOf(import.meta.url);

const isInput = (p: RegionPartIR) => p.value === undefined;

function partText(p: RegionPartIR): string {
  if (p.value !== undefined) return `${p.id} ${p.type} = ${p.valueName ?? p.value}${p.valueName ? ` (${p.value})` : ''}`;
  if (p.type !== 'bytes') return `${p.id} ${p.type}${p.enum ? ` (${p.enum})` : ''}`;
  if (p.size !== null) return `${p.id} ${p.size}${p.sizeExpr && p.sizeExpr !== String(p.size) ? ` (${p.sizeExpr})` : ''}`;
  return p.raw ? `${p.id} (raw, as is)` : `u32(len(${p.id})) || ${p.id}`;
}

function partType(m: Model, p: RegionPartIR): string {
  if (p.type === 'bytes') return 'Uint8Array';
  return p.enum ? m.enumOf(p.enum).name : 'number';
}

export function regionExports(m: Model): { types: string[]; values: string[] } {
  const types: string[] = [];
  const values: string[] = [];
  for (const r of m.ir.regions) {
    if (r.parts.some(isInput)) types.push(`${pascal(r.id)}Parts`);
    values.push(camel(r.id));
    if (hasPieces(m, r)) values.push(`${camel(r.id)}Pieces`);
  }
  return { types, values };
}

/** Stores x as `width` little-endian bytes at base + k (base '' for a constant offset). */
function store(width: number, base: string, k: number, x: string): string {
  let code = '';
  for (let i = 0; i < width; i++) {
    const pos = base ? (k + i ? `${base} + ${k + i}` : base) : String(k + i);
    code += `  out[${pos}] = ${i ? `${x} >>> ${8 * i}` : x};\n`;
  }
  return code;
}

/** The input checks of a region's builder; `fixed` and `dyn` give its length. */
function emitChecks(m: Model, r: RegionIR): { code: string; fixed: number; dyn: string[] } {
  const path = (p: RegionPartIR) => lit(`${r.id}.${p.id}`);
  let out = '';
  let fixed = 0;
  const dyn: string[] = [];
  for (const p of r.parts) {
    const v = camel(p.id);
    if (p.type === 'bytes') {
      if (p.size !== null) {
        out += `  const ${v} = bytesOf(i.${v}, ${p.size}, ${path(p)});\n`;
        fixed += p.size;
      } else {
        out += `  const ${v} = bytesOf(i.${v}, -1, ${path(p)});\n`;
        if (!p.raw) fixed += 4;
        dyn.push(`${v}.length`);
      }
    } else {
      fixed += INT_WIDTH[p.type];
      if (p.value !== undefined) continue;
      const max = INT_MAX[p.type];
      const cond =
        p.type === 'u64'
          ? `!Number.isSafeInteger(${v}) || ${v} < 0`
          : p.type === 'u32'
            ? `${v} >>> 0 !== ${v}`
            : `(${v} & ${max}) !== ${v}`;
      const en = p.enum ? m.enumOf(p.enum) : undefined;
      out += `  const ${v} = i.${v};\n  if (${cond}${en ? ` || !(${inRanges(v, en.ranges)})` : ''}) intBad(${path(p)}, ${v}, ${lit(en ? `a code of ${p.enum}` : `an integer 0..${max}`)});\n`;
    }
  }
  return { code: out, fixed, dyn };
}

/** A signed region with a variable-length bytes part is also built in pieces (`<region>Pieces`). */
const hasPieces = (m: Model, r: RegionIR): boolean => r.parts.some((p) => p.type === 'bytes' && p.size === null) && m.ir.signatures.items.some((s) => s.region === r.id);

/**
 * `<region>Pieces`: the same bytes as the region's builder, as a list whose concatenation they
 * are, with every variable-length part passed as is. A hash that takes its input in pieces then
 * never copies a large payload (a file chunk's signed region is ~48 KiB).
 */
function emitRegionPieces(m: Model, r: RegionIR): string {
  const T = `${pascal(r.id)}Parts`;
  let out = doc([`The bytes of ${r.id} as pieces whose concatenation they are; variable-length parts are not copied.`, '@throws CodecError as the builder does.'], r.path);
  out += `export function ${camel(r.id)}Pieces(i: ${T}): Uint8Array[] {\n  obj(i, ${lit(r.id)});\n`;
  out += emitChecks(m, r).code;
  out += `  const pieces: Uint8Array[] = [];\n`;
  let seg = '';
  let k = 0;
  const flush = (): void => {
    if (k === 0) return;
    out += `  {\n    const out = new Uint8Array(${k});\n${seg.replace(/^(?=.)/gm, '  ')}    pieces.push(out);\n  }\n`;
    seg = '';
    k = 0;
  };
  for (const p of r.parts) {
    const v = camel(p.id);
    if (p.type !== 'bytes') {
      const x = p.value !== undefined ? String(p.value) : v;
      if (p.type === 'u64') seg += `  {\n    const lo = ${x} >>> 0;\n    const hi = (${x} - lo) / 4294967296;\n` + (store(4, '', k, 'lo') + store(4, '', k + 4, 'hi')).replace(/^(?=.)/gm, '  ') + `  }\n`;
      else seg += store(INT_WIDTH[p.type], '', k, x);
      k += INT_WIDTH[p.type];
    } else if (p.size !== null) {
      seg += `  out.set(${v}, ${k});\n`;
      k += p.size;
    } else {
      if (!p.raw) {
        seg += store(4, '', k, `${v}.length`);
        k += 4;
      }
      flush();
      out += `  pieces.push(${v});\n`;
    }
  }
  flush();
  out += `  return pieces;\n}\n`;
  return out;
}

function emitRegion(m: Model, r: RegionIR): string {
  const name = camel(r.id);
  const T = `${pascal(r.id)}Parts`;
  const inputs = r.parts.filter(isInput);
  let out = '';
  if (inputs.length) {
    out += doc([`The caller-supplied parts of ${r.id}, in the order they are written.`], r.path) + `export interface ${T} {\n`;
    for (const p of inputs) {
      const what =
        p.type === 'bytes'
          ? p.size !== null
            ? `Exactly ${p.size} bytes${p.sizeExpr && p.sizeExpr !== String(p.size) ? ` (${p.sizeExpr})` : ''}.`
            : p.raw
              ? 'Any length, written as is.'
              : 'Any length, written after its u32 length.'
          : `A ${p.type}${p.enum ? ` code of ${p.enum}` : ''}.`;
      out += doc([p.doc, what], p.path, '  ') + `  ${camel(p.id)}: ${partType(m, p)};\n`;
    }
    out += '}\n\n';
  }
  out += doc([r.doc, `Bytes: ${r.parts.map(partText).join(' || ')}.`, '@throws CodecError BAD_VALUE if a part has the wrong type or length, OUT_OF_RANGE if an integer does not fit.'], r.path);
  out += `export function ${name}(${inputs.length ? `i: ${T}` : ''}): Uint8Array {\n`;
  if (inputs.length) out += `  obj(i, ${lit(r.id)});\n`;
  const { code: checks, fixed, dyn } = emitChecks(m, r);
  out += checks;
  out += `  const out = new Uint8Array(${[String(fixed), ...dyn].join(' + ')});\n`;
  let k = 0;
  let base = '';
  const pos = () => (base ? `${base}${k ? ` + ${k}` : ''}` : String(k));
  const st = (width: number, x: string, extra = 0) => store(width, base, k + extra, x);
  for (const p of r.parts) {
    const v = camel(p.id);
    if (p.type !== 'bytes') {
      const x = p.value !== undefined ? String(p.value) : v;
      if (p.type === 'u64') {
        out += `  {\n    const lo = ${x} >>> 0;\n    const hi = (${x} - lo) / 4294967296;\n` + (st(4, 'lo') + st(4, 'hi', 4)).replace(/^(?=.)/gm, '  ') + `  }\n`;
      } else out += st(INT_WIDTH[p.type], x);
      k += INT_WIDTH[p.type];
    } else if (p.size !== null) {
      out += `  out.set(${v}, ${pos()});\n`;
      k += p.size;
    } else {
      if (!p.raw) {
        out += st(4, `${v}.length`);
        k += 4;
      }
      out += `  out.set(${v}, ${pos()});\n`;
      if (p !== r.parts[r.parts.length - 1]) {
        out += `  ${base ? '' : 'let '}o = ${pos()} + ${v}.length;\n`;
        base = 'o';
        k = 0;
      }
    }
  }
  out += `  return out;\n}\n`;
  return out;
}

export function emitRegions(m: Model): GeneratedFile {
  let out = stamp(m.ir, '//', GENERATOR);
  out += doc(
    [
      'The byte strings that are hashed, signed or used as associated data (spec `regions`). Parts are concatenated in order; a bytes part without a fixed size is preceded by its u32 little-endian length, except a raw last part. Parts with a fixed value are written from the spec and are not inputs.',
    ],
    'regions',
  );
  const enumTypes = new Set<string>();
  for (const r of m.ir.regions) for (const p of r.parts) if (p.enum && isInput(p)) enumTypes.add(m.enumOf(p.enum).name);
  out += `import { fail, intBad, obj } from './_runtime.ts';\n`;
  if (enumTypes.size) out += `import type { ${[...enumTypes].sort().join(', ')} } from './enums.ts';\n`;
  out += `\nfunction bytesOf(x: unknown, n: number, path: string): Uint8Array {\n  if (!(x instanceof Uint8Array)) return fail('BAD_VALUE', -1, path, 'a Uint8Array', typeof x);\n  if (n >= 0 && x.length !== n) fail('BAD_VALUE', -1, path, n + ' bytes', x.length + ' bytes');\n  return x;\n}\n\n`;
  out += m.ir.regions.map((r) => emitRegion(m, r) + (hasPieces(m, r) ? '\n' + emitRegionPieces(m, r) : '')).join('\n');
  return { path: 'src/regions.ts', content: out };
}

export function emitDerive(m: Model): GeneratedFile {
  const ir = m.ir;
  let out = stamp(ir, '//', GENERATOR);
  out += doc(['Key derivations and signature messages (spec `derivations` and `signatures`), over a BLAKE3 the caller supplies (runtime/src/crypto).'], 'derivations');
  const regionById = new Map(ir.regions.map((r) => [r.id, r]));
  const regionSig = (id: string) => {
    const r = regionById.get(id)!;
    return r.parts.some(isInput) ? { param: `, i: ${pascal(id)}Parts`, arg: 'i', type: `${pascal(id)}Parts` } : { param: '', arg: '', type: '' };
  };
  const used = new Set<string>();
  let body = '';
  for (const d of ir.derivations) {
    const rs = regionSig(d.input);
    used.add(camel(d.input));
    if (rs.type) used.add(`type ${rs.type}`);
    const outText = d.outExpr === String(d.out) ? `${d.out} bytes` : `${d.out} bytes (${d.outExpr})`;
    const fn = `derive${pascal(d.id)}`;
    if (d.mode === 'derive_key') {
      const c = ir.contexts.items.find((x) => x.id === d.context)!;
      body += doc([d.doc, `BLAKE3 derive_key(${JSON.stringify(c.context)}, ${d.input}) → ${outText}.`], d.path);
      body += `export function ${fn}(h: Blake3${rs.param}): Uint8Array {\n  return h.deriveKey(Contexts.${camel(c.id)}, ${camel(d.input)}(${rs.arg}), ${d.out});\n}\n\n`;
    } else {
      body += doc([d.doc, `BLAKE3 keyed_hash(key: ${d.key}, ${d.input}) → ${outText}.`], d.path);
      body += `export function ${fn}(h: Blake3, key: Uint8Array${rs.param}): Uint8Array {\n  return h.keyedHash(key, ${camel(d.input)}(${rs.arg}), ${d.out});\n}\n\n`;
    }
  }
  for (const s of ir.signatures.items) {
    const rs = regionSig(s.region);
    used.add(camel(s.region));
    if (rs.type) used.add(`type ${rs.type}`);
    body += doc(
      [
        s.doc,
        `The message the ${s.signer} signs with Ed25519: ascii(${JSON.stringify(s.message)}) || BLAKE3 keyed_hash(bindKey, ${s.region}) (${m.ir.signatures.digest} bytes).`,
        `bindKey is derivation ${s.bind}.`,
      ],
      s.path,
    );
    const region = regionById.get(s.region)!;
    const digest = m.ir.signatures.digest;
    let hashed = `h.keyedHash(bindKey, ${camel(s.region)}(${rs.arg}), ${digest})`;
    if (hasPieces(m, region)) {
      used.add(`${camel(s.region)}Pieces`);
      hashed = `h.keyedHashPieces ? h.keyedHashPieces(bindKey, ${camel(s.region)}Pieces(${rs.arg}), ${digest}) : ${hashed}`;
    }
    body += `export function signatureMessage${pascal(s.id)}(h: Blake3, bindKey: Uint8Array${rs.param}): Uint8Array {\n  return signed(SignatureLabelBytes.${camel(s.id)}, ${hashed});\n}\n\n`;
  }
  const imports = [...used].sort((a, b) => a.replace('type ', '').localeCompare(b.replace('type ', '')));
  out += `import { Contexts, SignatureLabelBytes } from './contexts.ts';\nimport { ${imports.join(', ')} } from './regions.ts';\n\n`;
  out += `/**
 * The two BLAKE3 modes the protocol uses. runtime/src/crypto provides one; any implementation
 * of BLAKE3 (https://github.com/BLAKE3-team/BLAKE3-specs) will do.
 */
export interface Blake3 {
  /** BLAKE3 derive_key mode: \`context\` is a full context string (see Contexts). */
  deriveKey(context: string, material: Uint8Array, outLen: number): Uint8Array;
  /** BLAKE3 keyed_hash mode with a 32-byte key. */
  keyedHash(key: Uint8Array, message: Uint8Array, outLen: number): Uint8Array;
  /**
   * Optional: keyed_hash of the concatenation of \`pieces\`, which it need not build (a signed
   * region's payload is hashed where it lies). Without it, the region is concatenated.
   */
  keyedHashPieces?(key: Uint8Array, pieces: readonly Uint8Array[], outLen: number): Uint8Array;
}

function signed(label: Uint8Array, digest: Uint8Array): Uint8Array {
  const out = new Uint8Array(label.length + digest.length);
  out.set(label, 0);
  out.set(digest, label.length);
  return out;
}

`;
  out += body;
  return { path: 'src/derive.ts', content: out.trimEnd() + '\n' };
}

/** Bytes of the keyed hash in a signature message: BLAKE3's default output. */
