/**
 * The generated modules that are tables rather than code: constants.ts, enums.ts, contexts.ts
 * and errors.ts.
 */
import type { SpecIR } from '../../ir.ts';
import { moduleOf, stamp, type GeneratedFile } from '../file.ts';
import type { Model } from './model.ts';
import { camel, checkUnique, doc, key, lit, pascal } from './names.ts';

/** This module's path, named in the header of every file it writes. */
const GENERATOR = moduleOf(import.meta.url);

export function emitConstants(ir: SpecIR): GeneratedFile {
  let out = stamp(ir, '//', GENERATOR) + doc([`Constants of ${ir.protocol.name} v${ir.protocol.version}, evaluated from their expressions.`], 'constants') + '\n';
  for (const c of ir.constants) {
    const expr = c.expr === String(c.value) ? undefined : `= ${c.expr}`;
    out += doc([c.doc, expr], c.path) + `export const ${c.name} = ${c.value};\n\n`;
  }
  for (const t of ir.strings) out += doc([t.doc], t.path) + `export const ${t.name} = ${JSON.stringify(t.value)};\n\n`;
  return { path: 'src/constants.ts', content: out.trimEnd() + '\n' };
}

export function emitEnums(m: Model): GeneratedFile {
  const ir = m.ir;
  let out = stamp(ir, '//', GENERATOR) + doc(['Enums of the wire format. Reserved codes are listed apart: they are never valid on the wire (UNKNOWN_CODE).'], 'enums') + '\n';
  for (const e of m.enums.values()) {
    const live = e.ir.values.filter((v) => !v.reserved);
    const reserved = e.ir.values.filter((v) => v.reserved);
    out += doc([e.ir.doc, `Wire type ${e.ir.type}.`], e.ir.path);
    out += `export const ${e.name} = {\n`;
    for (const v of live) out += doc([v.doc], v.path, '  ') + `  ${key(camel(v.id))}: ${v.value},\n`;
    out += `} as const;\n`;
    out += doc([`A valid code of ${e.ir.id}.`], e.ir.path);
    out += `export type ${e.name} = (typeof ${e.name})[keyof typeof ${e.name}];\n`;
    if (reserved.length) {
      out += doc([`Reserved codes of ${e.ir.id}: defined for later versions, rejected by this one.`], e.ir.path);
      out += `export const ${e.name}Reserved = {\n`;
      for (const v of reserved) out += doc([v.doc], v.path, '  ') + `  ${key(camel(v.id))}: ${v.value},\n`;
      out += `} as const;\n`;
    }
    out += doc([`Spec ids of the valid codes of ${e.ir.id}, by code.`], e.ir.path);
    out += `export const ${e.name}Names: Readonly<Record<number, string>> = {\n`;
    for (const v of live) out += `  ${v.value}: ${lit(v.id)},\n`;
    out += `};\n`;
    out += doc([`True if n is a valid (defined, not reserved) code of ${e.ir.id}.`], e.ir.path);
    const cond = e.ranges.map(([a, b]) => (a === b ? `n === ${a}` : `(n >= ${a} && n <= ${b})`)).join(' || ') || 'false';
    out += `export function is${e.name}(n: unknown): n is ${e.name} {\n  return typeof n === 'number' && (${cond});\n}\n\n`;
  }
  return { path: 'src/enums.ts', content: out.trimEnd() + '\n' };
}

export function emitContexts(ir: SpecIR): GeneratedFile {
  checkUnique(ir.contexts.items.map((c) => [camel(c.id), c.path]), 'context');
  checkUnique(ir.signatures.items.map((s) => [camel(s.id), s.path]), 'signature');
  let out = stamp(ir, '//', GENERATOR) + doc(['BLAKE3 derive_key contexts and Ed25519 signature labels.'], undefined) + '\n';
  out += doc([`Full BLAKE3 derive_key context strings (prefix ${JSON.stringify(ir.contexts.prefix)} + label).`], 'contexts');
  out += `export const Contexts = {\n`;
  for (const c of ir.contexts.items) out += doc([c.doc], c.path, '  ') + `  ${key(camel(c.id))}: ${lit(c.context)},\n`;
  out += `} as const;\n\n`;
  out += doc([`The ASCII prefix of every signed message: prefix ${JSON.stringify(ir.signatures.prefix)} + label.`, 'An Ed25519 signature is over ascii(label) || KH(k_bind, signed region).'], 'signatures');
  out += `export const SignatureLabels = {\n`;
  for (const s of ir.signatures.items) out += doc([s.doc, `Signed by the ${s.signer}; binding key ${s.bind}; region ${s.region}.`], s.path, '  ') + `  ${key(camel(s.id))}: ${lit(s.message)},\n`;
  out += `} as const;\n\n`;
  out += doc(['SignatureLabels as ASCII bytes. Shared instances: never write into them.'], 'signatures');
  out += `export const SignatureLabelBytes: { readonly [K in keyof typeof SignatureLabels]: Uint8Array } = {\n`;
  for (const s of ir.signatures.items) out += `  ${key(camel(s.id))}: ascii(SignatureLabels.${camel(s.id)}),\n`;
  out += `};\n\n`;
  out += `function ascii(s: string): Uint8Array {\n  const b = new Uint8Array(s.length);\n  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);\n  return b;\n}\n`;
  for (const s of ir.signatures.items)
    if (!/^[\x20-\x7e]*$/.test(s.message)) throw new Error(`codec emitter: ${s.path}: signature label must be printable ASCII`);
  return { path: 'src/contexts.ts', content: out };
}

export function emitErrors(ir: SpecIR): GeneratedFile {
  let out = stamp(ir, '//', GENERATOR) + doc(['Error codes of the spec, and the error the codecs raise.'], 'errors') + '\n';
  const all: { code: string; doc: string }[] = [];
  for (const g of ir.errors) {
    out += doc([`Codes of the ${g.group} error group.`], `errors.${g.group}`);
    out += `export type ${pascal(g.group)}ErrorCode =\n`;
    g.codes.forEach((c, i) => {
      out += doc([c.doc], `errors.${g.group}.${c.code}`, '  ') + `  | ${lit(c.code)}${i === g.codes.length - 1 ? ';' : ''}\n`;
    });
    out += '\n';
    all.push(...g.codes);
  }
  checkUnique(all.map((c) => [c.code, 'errors']), 'error code');
  out += doc(['Every error code of the spec, with its "raised if" line.'], 'errors');
  out += `export const ErrorDocs: Readonly<Record<${ir.errors.map((g) => `${pascal(g.group)}ErrorCode`).join(' | ')}, string>> = {\n`;
  for (const c of all) out += `  ${c.code}: ${lit(c.doc)},\n`;
  out += `};\n\n`;
  out += `export { CodecError, isCodecError } from './codec-error.ts';\n`;
  return { path: 'src/errors.ts', content: out };
}
