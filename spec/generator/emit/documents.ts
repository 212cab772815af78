/**
 * The JSON documents (spec documents:): generated/src/documents.ts (a TypeScript type and a zod
 * schema per document), generated/src/document-checks.ts (the same rules as plain functions,
 * without zod), generated/documents/<id>.schema.json (JSON Schema), and the member table of
 * PROTOCOL.md. One description of each member's rule feeds all four.
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

/** A member's rule as a call of document-checks.ts's rule makers (the same rule as zodValueOf). */
function checkOf(m: DocumentMemberIR): string {
  const re = (pattern: string | undefined, flags: string) => (pattern === undefined ? 'undefined' : `new RegExp(${lit(pattern)}${flags ? `, ${lit(flags)}` : ''})`);
  const max = (n: number | undefined) => (n === undefined ? 'undefined' : String(n));
  switch (m.type) {
    case 'text':
      return m.const ? `literal(${lit(m.const.value)})` : `text(${re(m.pattern, 'u')}, ${max(m.max)})`;
    case 'texts':
      return `texts(${re(m.pattern, 'u')}, ${max(m.max)}, ${m.minCount}, ${m.maxCount})`;
    case 'integers':
      return `integers(${m.min}, ${m.max}, ${m.minCount}, ${m.maxCount})`;
    case 'hex':
      return `text(/^[0-9a-f]{${m.size * 2}}$/, undefined)`;
    case 'fingerprint':
      return `text(${re(fingerprintPattern(m), '')}, undefined)`;
  }
}

/**
 * generated/src/document-checks.ts: each document's rules without zod, for bundles that must stay
 * small (the web app's crypto worker checks the well-known document at every start, and zod
 * would be most of its size). Same rules, same stripping of unknown members as the zod schemas.
 */
function emitChecks(ir: SpecIR): GeneratedFile {
  let out = stamp(ir, '//', GENERATOR);
  out += doc([
    'The JSON documents\' rules as plain functions, without zod: the same rules as the zod schemas of documents.ts, for bundles that cannot carry zod (the web app\'s crypto worker).',
    'A check returns the document with only its listed members, or the first issue: where (member, then item index) and which rule.',
  ], 'documents');
  out += `import type { ${ir.documents.map(documentTypeName).join(', ')} } from './documents.ts';

/** Where a document breaks a rule (member id, then item index) and the rule, in words. */
export interface DocumentIssue {
  path: (string | number)[];
  message: string;
}

/** The checked document (unknown members stripped), or its first issue. */
export type DocumentCheck<T> = { success: true; data: T } | { success: false; issue: DocumentIssue };

/** A member's rule: its first issue (path inside the member), or undefined when the value passes. */
export type MemberRule = (value: unknown) => DocumentIssue | undefined;

const encoder = new TextEncoder();
const issue = (message: string, path: (string | number)[] = []): DocumentIssue => ({ path, message });

function stringIssue(v: unknown, pattern: RegExp | undefined, max: number | undefined): string | undefined {
  if (typeof v !== 'string') return 'expected a string';
  if (pattern !== undefined && !pattern.test(v)) return \`must match \${pattern.source}\`;
  if (max !== undefined && encoder.encode(v).length > max) return \`at most \${max} UTF-8 bytes\`;
  return undefined;
}

const literal = (value: string): MemberRule => (v) => (v === value ? undefined : issue(\`must be \${JSON.stringify(value)}\`));

function text(pattern: RegExp | undefined, max: number | undefined): MemberRule {
  return (v) => {
    const m = stringIssue(v, pattern, max);
    return m === undefined ? undefined : issue(m);
  };
}

function count(v: unknown, minCount: number, maxCount: number): DocumentIssue | undefined {
  if (!Array.isArray(v)) return issue('expected an array');
  if (v.length < minCount || v.length > maxCount) return issue(\`\${minCount} to \${maxCount} items\`);
  return undefined;
}

function texts(pattern: RegExp | undefined, max: number | undefined, minCount: number, maxCount: number): MemberRule {
  return (v) => {
    const bad = count(v, minCount, maxCount);
    if (bad) return bad;
    const items = v as unknown[];
    for (let i = 0; i < items.length; i++) {
      const m = stringIssue(items[i], pattern, max);
      if (m !== undefined) return issue(m, [i]);
    }
    return new Set(items).size === items.length ? undefined : issue('items must be distinct');
  };
}

function integers(min: number, max: number, minCount: number, maxCount: number): MemberRule {
  return (v) => {
    const bad = count(v, minCount, maxCount);
    if (bad) return bad;
    const items = v as unknown[];
    for (let i = 0; i < items.length; i++) {
      const n = items[i];
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) return issue(\`an integer \${min}..\${max}\`, [i]);
    }
    return undefined;
  };
}

function check<T>(rules: Record<string, MemberRule>, optional: ReadonlySet<string>, value: unknown): DocumentCheck<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { success: false, issue: issue('expected an object') };
  const raw = value as Record<string, unknown>;
  const data: Record<string, unknown> = {};
  for (const [id, rule] of Object.entries(rules)) {
    const v = raw[id];
    if (v === undefined && optional.has(id)) continue;
    const bad = v === undefined ? issue('required') : rule(v);
    if (bad) return { success: false, issue: { path: [id, ...bad.path], message: bad.message } };
    data[id] = v;
  }
  return { success: true, data: data as T };
}
`;
  for (const d of ir.documents) {
    const name = documentTypeName(d);
    out += '\n' + doc([`The rule of each member of ${name} (an absent optional member is not checked).`], `documents.${d.id}`);
    out += `export const ${name}Rules: { readonly [K in keyof ${name}]-?: MemberRule } = {\n${d.members.map((m) => `  ${m.id}: ${checkOf(m)},\n`).join('')}};\n`;
    const optional = d.members.filter((m) => m.optional).map((m) => lit(m.id));
    out += '\n' + doc([`Checks a parsed ${name} against its rules (as ${name}Schema.safeParse, without zod).`], `documents.${d.id}`);
    out += `export function check${name}(value: unknown): DocumentCheck<${name}> {\n  return check<${name}>(${name}Rules, new Set([${optional.join(', ')}]), value);\n}\n`;
  }
  return { path: 'src/document-checks.ts', content: out };
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

export const emitDocuments: Emitter = (ir) => [emitTs(ir), ...(ir.documents.length ? [emitChecks(ir)] : []), ...emitJsonSchemas(ir)];
