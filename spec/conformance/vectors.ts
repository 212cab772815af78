/**
 * Turns vector files into conformance cases. Two kinds of file are known:
 * - codec vectors (generated/vectors/codec.json, see its `conventions` member): `valid[]` entries
 *   { struct, name, hex, fields } give a decode case and an encode case each; `invalid[]` entries
 *   { struct, name, hex, error: { code, offset } } give a decode case that must fail.
 * - frame vectors (generated/vectors/frames*.json, written by runtime/scripts/gen-frames.ts):
 *   sections handshake, peer, control and first_contact, turned into requests of the frame ops
 *   by frames.ts; the answer's `result` is compared with what the vector says, or its error code.
 * - rule vectors (generated/vectors/rules*.json, same writer): sections keys, replay, invites,
 *   derived, order and handshake_failures, turned into requests of the rule ops by rules.ts.
 * Other JSON files are skipped with a note.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConformanceError } from './errors.ts';
import { frameCases, isFrameDocument, type FrameOp } from './frames.ts';
import { isRuleDocument, ruleCases, type RuleOp } from './rules.ts';

export type Expectation =
  | { kind: 'fields'; fields: Record<string, unknown> }
  | { kind: 'hex'; hex: string }
  | { kind: 'error'; code: string; offset?: number; stage?: string }
  | { kind: 'result'; result: unknown };

export interface Case {
  /** Unique and stable: `codec/decode/envelope/min text`, `frames/peer/open/bad_signature`. The known-failures file lists these. */
  name: string;
  op: 'decode' | 'encode' | FrameOp | RuleOp;
  /** The request without its id. */
  request: Record<string, unknown>;
  expect: Expectation;
}

export interface LoadedVectors {
  cases: Case[];
  files: string[];
  /** Things skipped, for the report (a missing frames.json, an unknown file). */
  notes: string[];
}

type Entry = Record<string, unknown>;

const isObject = (x: unknown): x is Entry => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Reads vector files; `paths` holds files and folders (every *.json in a folder, sorted). */
export function loadVectors(paths: string[]): LoadedVectors {
  const files: string[] = [];
  const notes: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new ConformanceError('CONF_VECTORS', `no such vector file or folder: ${p}`);
    if (statSync(p).isDirectory()) {
      files.push(...readdirSync(p).filter((f) => f.endsWith('.json')).sort().map((f) => join(p, f)));
    } else files.push(p);
  }
  if (!files.some((f) => basename(f).startsWith('frames')))
    notes.push(`no frames*.json in ${paths.join(', ')}: no frame cases (runtime/scripts/gen-frames.ts writes generated/vectors/frames.json)`);
  const cases: Case[] = [];
  const used = new Map<string, number>();
  const add = (c: Case) => {
    const n = used.get(c.name) ?? 0;
    used.set(c.name, n + 1);
    cases.push(n ? { ...c, name: `${c.name} (${n + 1})` } : c);
  };
  const loaded: string[] = [];
  for (const file of files) {
    const stem = basename(file, '.json');
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConformanceError('CONF_VECTORS', `${file}: not JSON: ${(e as Error).message}`);
    }
    if (!isObject(doc)) throw new ConformanceError('CONF_VECTORS', `${file}: expected a JSON object`);
    if (stem.startsWith('rules')) {
      if (!isRuleDocument(doc)) throw new ConformanceError('CONF_VECTORS', `${file}: a rule vector file needs at least one of the sections keys, replay, invites, derived, order, handshake_failures`);
      ruleCases(stem, doc, file).forEach(add);
      loaded.push(file);
      continue;
    }
    if (stem.startsWith('frames')) {
      if (!isFrameDocument(doc)) throw new ConformanceError('CONF_VECTORS', `${file}: a frame vector file needs at least one of the sections handshake, peer, control, first_contact`);
      const got = frameCases(stem, doc, file);
      got.cases.forEach(add);
      notes.push(...got.notes);
      loaded.push(file);
      continue;
    }
    const valid = listOf(doc, 'valid', file);
    const invalid = listOf(doc, 'invalid', file);
    const entries = [...valid, ...invalid];
    if (entries.length && entries.every((e) => typeof e.struct === 'string' && typeof e.hex === 'string')) {
      for (const e of valid) codecValid(stem, e, file).forEach(add);
      for (const e of invalid) add(codecInvalid(stem, e, file));
    } else {
      notes.push(`skipped ${file}: not a codec or frame vector file`);
      continue;
    }
    loaded.push(file);
  }
  if (!loaded.length) throw new ConformanceError('CONF_VECTORS', `no vector files found in ${paths.join(', ')}`);
  return { cases, files: loaded, notes };
}

function listOf(doc: Entry, key: string, file: string): Entry[] {
  const list = doc[key];
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every(isObject)) throw new ConformanceError('CONF_VECTORS', `${file}: "${key}" must be an array of objects`);
  return list;
}

function need<T>(ok: boolean, value: T, file: string, what: string): T {
  if (!ok) throw new ConformanceError('CONF_VECTORS', `${file}: ${what}`);
  return value;
}

function label(e: Entry, file: string): string {
  return need(typeof e.name === 'string' && e.name !== '', e.name as string, file, `a vector has no name: ${JSON.stringify(e).slice(0, 120)}`);
}

function codecValid(stem: string, e: Entry, file: string): Case[] {
  const name = label(e, file);
  const struct = e.struct as string;
  const hex = (e.hex as string).toLowerCase();
  const fields = need(isObject(e.fields), e.fields as Record<string, unknown>, file, `valid vector ${struct}/${name} has no fields object`);
  return [
    { name: `${stem}/decode/${struct}/${name}`, op: 'decode', request: { op: 'decode', struct, hex }, expect: { kind: 'fields', fields } },
    { name: `${stem}/encode/${struct}/${name}`, op: 'encode', request: { op: 'encode', struct, fields }, expect: { kind: 'hex', hex } },
  ];
}

function errorOf(e: Entry, file: string, name: string): { code: string; offset?: number } {
  const err = e.error;
  const ok = isObject(err) && typeof err.code === 'string' && (err.offset === undefined || Number.isInteger(err.offset));
  need(ok, null, file, `invalid vector ${name} needs error: { code, offset? }`);
  const { code, offset } = err as { code: string; offset?: number };
  return offset === undefined ? { code } : { code, offset };
}

function codecInvalid(stem: string, e: Entry, file: string): Case {
  const name = label(e, file);
  const struct = e.struct as string;
  const error = errorOf(e, file, `${struct}/${name}`);
  return { name: `${stem}/decode/${struct}/${name}`, op: 'decode', request: { op: 'decode', struct, hex: (e.hex as string).toLowerCase() }, expect: { kind: 'error', ...error } };
}
