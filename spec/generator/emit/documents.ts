/**
 * The JSON documents (spec documents:): generated/src/documents.ts (a TypeScript type and a zod
 * schema per document), generated/documents/<id>.schema.json (JSON Schema), and the member
 * table of PROTOCOL.md. One description of each member's rule feeds all three.
 */
import type { DocumentIR, DocumentMemberIR, SpecIR } from '../ir.ts';
import { doc, lit } from './codec/names.ts';
import { moduleOf, stamp, type Emitter, type GeneratedFile } from './file.ts';

const GENERATOR = moduleOf(import.meta.url);

/** `well_known` → `WellKnown` */
export function documentTypeName(d: DocumentIR): string {
  return d.id.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase()) + 'Document';
}

function fingerprintPattern(m: Extract<DocumentMemberIR, { type: 'fingerprint' }>): string {
  const g = `[0-9a-f]{${m.group * 2}}`;
  return `^${g}(?:-${g}){${m.size / m.group - 1}}$`;
}

/** The member's rule in words (PROTOCOL.md and doc comments). */
function rule(m: DocumentMemberIR): string {
  return (m.optional ? 'optional; ' : '') + valueRule(m);
}

function valueRule(m: DocumentMemberIR): string {
  switch (m.type) {
    case 'text':
      return [
        'string',
        m.const ? `equal to \`${m.const.name}\` (${JSON.stringify(m.const.value)})` : '',
        m.pattern !== undefined ? `matching \`${m.pattern}\`` : '',
        m.max !== undefined ? `at most ${m.max} UTF-8 bytes` : '',
      ].filter(Boolean).join(', ');
    case 'texts':
      return [
        `${m.minCount} to ${m.maxCount} distinct strings`,
        m.pattern !== undefined ? `each matching \`${m.pattern}\`` : '',
        m.max !== undefined ? `each at most ${m.max} UTF-8 bytes` : '',
      ].filter(Boolean).join(', ');
    case 'integers':
      return `${m.minCount} to ${m.maxCount} integers, each ${m.min}..${m.max}`;
    case 'hex':
      return `${m.size} bytes as ${m.size * 2} lowercase hex digits`;
    case 'fingerprint':
      return `\`${m.derivation}\` (${m.size} bytes) as lowercase hex in dash-separated groups of ${m.group} bytes`;
  }
}

function zodOf(m: DocumentMemberIR): string {
  return m.optional ? `${zodValueOf(m)}.optional()` : zodValueOf(m);
}

/** A string with the pattern and byte bound of a text or texts member. */
function zodString(m: { pattern?: string; max?: number }): string {
  let s = 'z.string()';
  if (m.pattern !== undefined) s += `.regex(new RegExp(${lit(m.pattern)}, 'u'))`;
  if (m.max !== undefined) s += `.refine((v) => encoder.encode(v).length <= ${m.max}, ${lit(`at most ${m.max} UTF-8 bytes`)})`;
  return s;
}

function zodValueOf(m: DocumentMemberIR): string {
  switch (m.type) {
    case 'text':
      return m.const ? `z.literal(${lit(m.const.value)})` : zodString(m);
    case 'texts':
      return `z.array(${zodString(m)}).min(${m.minCount}).max(${m.maxCount}).refine((v) => new Set(v).size === v.length, 'items must be distinct')`;
    case 'integers':
      return `z.array(z.number().int().min(${m.min}).max(${m.max})).min(${m.minCount}).max(${m.maxCount})`;
    case 'hex':
      return `z.string().regex(/^[0-9a-f]{${m.size * 2}}$/)`;
    case 'fingerprint':
      return `z.string().regex(new RegExp(${lit(fingerprintPattern(m))}))`;
  }
}

function tsOf(m: DocumentMemberIR): string {
  if (m.type === 'integers') return 'number[]';
  if (m.type === 'texts') return 'string[]';
  if (m.type === 'text' && m.const) return lit(m.const.value);
  return 'string';
}

function jsonSchemaOf(m: DocumentMemberIR): Record<string, unknown> {
  const description = `${m.doc} ${rule(m).replace(/`/g, '')}.`;
  switch (m.type) {
    case 'text':
      return {
        type: 'string',
        description,
        ...(m.const ? { const: m.const.value } : {}),
        ...(m.pattern !== undefined ? { pattern: m.pattern } : {}),
        // JSON Schema counts characters; a character takes at least one UTF-8 byte
        ...(m.max !== undefined ? { maxLength: m.max } : {}),
      };
    case 'texts':
      return {
        type: 'array',
        description,
        minItems: m.minCount,
        maxItems: m.maxCount,
        uniqueItems: true,
        items: { type: 'string', ...(m.pattern !== undefined ? { pattern: m.pattern } : {}), ...(m.max !== undefined ? { maxLength: m.max } : {}) },
      };
    case 'integers':
      return { type: 'array', description, minItems: m.minCount, maxItems: m.maxCount, items: { type: 'integer', minimum: m.min, maximum: m.max } };
    case 'hex':
      return { type: 'string', description, pattern: `^[0-9a-f]{${m.size * 2}}$` };
    case 'fingerprint':
      return { type: 'string', description, pattern: fingerprintPattern(m) };
  }
}

function emitTs(ir: SpecIR): GeneratedFile {
  let out = stamp(ir, '//', GENERATOR);
  out += doc(['The JSON documents served over HTTP(S): a type and a zod schema each. Members not listed are ignored (stripped).'], 'documents');
  out += `import { z } from 'zod';\n\nconst encoder = new TextEncoder();\n`;
  for (const d of ir.documents) {
    const name = documentTypeName(d);
    out += '\n' + doc([`The document at \`${d.at.name}\` (${d.at.value}).`, '', d.doc], `documents.${d.id}`);
    out += `export interface ${name} {\n`;
    for (const m of d.members) out += `  /** ${m.doc} ${rule(m).replace(/\*\//g, '* /')}. */\n  ${m.id}${m.optional ? '?' : ''}: ${tsOf(m)};\n`;
    out += `}\n\n`;
    out += doc([`zod schema of ${name}.`], `documents.${d.id}`);
    out += `export const ${name}Schema = z.object({\n${d.members.map((m) => `  ${m.id}: ${zodOf(m)},\n`).join('')}}) satisfies z.ZodType<${name}>;\n`;
  }
  return { path: 'src/documents.ts', content: out };
}

function emitJsonSchemas(ir: SpecIR): GeneratedFile[] {
  return ir.documents.map((d) => ({
    path: `documents/${d.id}.schema.json`,
    content:
      JSON.stringify(
        {
          $comment: stamp(ir, 'json', GENERATOR),
          $schema: 'https://json-schema.org/draft/2020-12/schema',
          title: `${d.at.value} (${d.at.name})`,
          description: d.doc,
          type: 'object',
          required: d.members.filter((m) => !m.optional).map((m) => m.id),
          properties: Object.fromEntries(d.members.map((m) => [m.id, jsonSchemaOf(m)])),
        },
        null,
        2,
      ) + '\n',
  }));
}

/** PROTOCOL.md's part on documents (inside section 2, after the text constants). */
export function documentsMarkdown(ir: SpecIR, table: (head: string[], rows: (string | number)[][]) => string, code: (s: string) => string): string[] {
  const out: string[] = [];
  for (const d of ir.documents) {
    out.push(`### JSON document ${d.id} (${code(d.at.value)})`, '', d.doc, '', `Members not listed are ignored. JSON Schema: \`generated/documents/${d.id}.schema.json\`.`, '');
    out.push(table(['Member', 'Value', 'Meaning'], d.members.map((m) => [code(m.id), rule(m), m.doc])), '');
  }
  return out;
}

export const emitDocuments: Emitter = (ir) => [emitTs(ir), ...emitJsonSchemas(ir)];
