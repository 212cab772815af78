/**
 * Turns vector files into conformance cases. Two kinds of file are known:
 * - codec vectors (generated/vectors/codec.json, see its `conventions` member): `valid[]` entries
 *   { struct, name, hex, fields } give a decode case and an encode case each; `invalid[]` entries
 *   { struct, name, hex, error: { code, offset } } give a decode case that must fail.
 * - frame vectors (generated/vectors/frames*.json, written by the runtime): `valid[]` entries
 *   { name, input, output } and `invalid[]` entries { name, input, error: { code } } give
 *   open_frame cases; `input` is sent as the request's members, `output` compared with `result`.
 * Other JSON files are skipped with a note.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConformanceError } from './errors.ts';

export type Expectation =
  | { kind: 'fields'; fields: Record<string, unknown> }
  | { kind: 'hex'; hex: string }
  | { kind: 'error'; code: string; offset?: number }
  | { kind: 'result'; result: unknown };

export interface Case {
  /** Unique and stable: `codec/decode/envelope/min text`. The known-failures file lists these. */
  name: string;
  op: 'decode' | 'encode' | 'open_frame';
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
    notes.push(`no frames*.json in ${paths.join(', ')}: no open_frame cases (the runtime writes frame vectors; until it does there are none)`);
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
    const valid = listOf(doc, 'valid', file);
    const invalid = listOf(doc, 'invalid', file);
    const entries = [...valid, ...invalid];
    if (stem.startsWith('frames')) {
      for (const e of valid) add(frameCase(stem, e, file, false));
      for (const e of invalid) add(frameCase(stem, e, file, true));
    } else if (entries.length && entries.every((e) => typeof e.struct === 'string' && typeof e.hex === 'string')) {
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

/** Members of a frame vector that describe it rather than feed the implementation. */
const FRAME_META = new Set(['name', 'doc', 'output', 'expected', 'error']);

function frameCase(stem: string, e: Entry, file: string, invalid: boolean): Case {
  const name = label(e, file);
  const input = isObject(e.input) ? e.input : Object.fromEntries(Object.entries(e).filter(([k]) => !FRAME_META.has(k)));
  const request = { ...input, op: 'open_frame' };
  if (invalid || e.error !== undefined) return { name: `${stem}/open_frame/${name}`, op: 'open_frame', request, expect: { kind: 'error', ...errorOf(e, file, name) } };
  const result = e.output ?? e.expected;
  need(result !== undefined, null, file, `frame vector ${name} needs output (or error)`);
  return { name: `${stem}/open_frame/${name}`, op: 'open_frame', request, expect: { kind: 'result', result } };
}
