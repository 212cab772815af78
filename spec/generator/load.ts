/**
 * Reads spec/protocol.yaml: parses it keeping line numbers, checks its form (schema.ts) and its
 * meaning (references, sizes, codes), and builds the intermediate form (ir.ts). Every problem is
 * reported with its YAML path and line, all at once.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { specSchema, type SpecSource } from './schema.ts';
import { SpecError, type SpecProblem } from './errors.ts';
import { evaluate } from './expr.ts';
import { loadDocuments } from './load-documents.ts';
import {
  INT_MAX,
  INT_WIDTH,
  type ConstantIR,
  type EnumIR,
  type FieldIR,
  type IntType,
  type RegionIR,
  type SizeIR,
  type SessionsIR,
  type SpecIR,
  type StructIR,
} from './ir.ts';

type Path = (string | number)[];

function pathString(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The repository root: spec/generator/.. /.. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A spec file's name as generated files and errors show it: relative to the repository when inside it. */
function displayNameOf(file: string): string {
  const rel = relative(repoRoot, resolve(file));
  return rel.startsWith('..') || isAbsolute(rel) ? basename(file) : rel.split(sep).join('/');
}

export function loadSpecFile(file: string, displayName = displayNameOf(file)): SpecIR {
  return loadSpec(readFileSync(file, 'utf8'), displayName);
}

export function loadSpec(text: string, file = 'spec/protocol.yaml'): SpecIR {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const problems: SpecProblem[] = [];
  for (const e of doc.errors) {
    problems.push({ path: '', line: lineCounter.linePos(e.pos[0]).line, message: e.message.split('\n')[0]! });
  }
  if (problems.length) throw new SpecError(file, problems);

  /** The line of the deepest existing node along a path. */
  const lineOf = (path: Path): number => {
    let node: unknown = doc.contents;
    let line = 1;
    for (const key of path) {
      const n = node as Node | null;
      if (n && (n as Node).range) line = lineCounter.linePos((n as Node).range![0]).line;
      if (isMap(n)) {
        const pair = n.items.find((p) => (p.key as { value?: unknown })?.value === key);
        if (!pair) return line;
        const k = pair.key as Node;
        if (k?.range) line = lineCounter.linePos(k.range[0]).line;
        node = pair.value;
      } else if (isSeq(n) && typeof key === 'number') {
        node = n.items[key];
      } else return line;
    }
    const n = node as Node | null;
    if (n && n.range) line = lineCounter.linePos(n.range[0]).line;
    return line;
  };
  const problem = (path: Path, message: string) => problems.push({ path: pathString(path), line: lineOf(path), message });

  const parsed = specSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problem(issue.path as Path, issue.message);
    throw new SpecError(file, problems);
  }
  const ir = build(parsed.data, text, file, problem, lineOf);
  if (problems.length) throw new SpecError(file, problems);
  ir.lines = lineIndex(doc.contents, lineCounter);
  return ir;
}

/** The line of every map key and sequence item, by YAML path (see SpecIR.lines). */
function lineIndex(root: unknown, lineCounter: LineCounter): Record<string, number> {
  const lines: Record<string, number> = {};
  const lineAt = (n: unknown): number | undefined => {
    const range = (n as Node | null)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  const visit = (node: unknown, path: Path): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = (pair.key as { value?: unknown } | null)?.value;
        if (typeof key !== 'string' && typeof key !== 'number') continue;
        const p = [...path, String(key)];
        const line = lineAt(pair.key);
        if (line !== undefined) lines[pathString(p)] = line;
        visit(pair.value, p);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const p = [...path, i];
        const line = lineAt(item);
        if (line !== undefined) lines[pathString(p)] = line;
        visit(item, p);
      });
    }
  };
  visit(root, []);
  return lines;
}

function build(src: SpecSource, text: string, file: string, problem: (p: Path, m: string) => void, lineOf: (p: Path) => number): SpecIR {
  const origin = (path: Path) => ({ path: pathString(path), line: lineOf(path) });

  // Enums first: constants and fields refer to them.
  const enums: EnumIR[] = Object.entries(src.enums).map(([id, e]) => {
    const seen = new Map<number, string>();
    const values = Object.entries(e.values).map(([vid, v]) => {
      if (v.value > INT_MAX[e.type]) problem(['enums', id, 'values', vid, 'value'], `${v.value} does not fit ${e.type}`);
      const dup = seen.get(v.value);
      if (dup) problem(['enums', id, 'values', vid, 'value'], `code ${v.value} is already used by ${dup}`);
      seen.set(v.value, vid);
      return { id: vid, value: v.value, doc: v.doc, reserved: v.reserved ?? false, ...origin(['enums', id, 'values', vid]) };
    });
    if (!values.length) problem(['enums', id, 'values'], 'an enum needs at least one value');
    return { id, type: e.type, doc: e.doc, values, ...origin(['enums', id]) };
  });
  const enumById = new Map(enums.map((e) => [e.id, e]));

  // Constants, evaluated in dependency order (cycles are errors).
  const constValues = new Map<string, number>();
  const evaluating = new Set<string>();
  const structSizes = new Map<string, number | null>();
  const sizeOf = (id: string): number => {
    if (!(id in src.structs)) throw new Error(`sizeof(${id}): no such struct`);
    if (!structSizes.has(id)) structSizes.set(id, computeFixedSize(id));
    const s = structSizes.get(id);
    if (s === null || s === undefined) throw new Error(`sizeof(${id}): the struct has no fixed size`);
    return s;
  };
  const resolveConst = (name: string): number => {
    const known = constValues.get(name);
    if (known !== undefined) return known;
    const c = src.constants[name];
    if (!c) throw new Error(`unknown constant ${name}`);
    if (evaluating.has(name)) throw new Error(`constant ${name} depends on itself`);
    evaluating.add(name);
    const v = evaluate(c.value, resolveConst, sizeOf);
    evaluating.delete(name);
    constValues.set(name, v);
    return v;
  };
  const evalAt = (path: Path, e: string | number): number | undefined => {
    try {
      return evaluate(e, resolveConst, sizeOf);
    } catch (err) {
      problem(path, (err as Error).message);
      return undefined;
    }
  };
  const constants: ConstantIR[] = [];
  for (const [name, c] of Object.entries(src.constants)) {
    const value = evalAt(['constants', name, 'value'], c.value);
    if (value !== undefined) constants.push({ name, value, expr: String(c.value), doc: c.doc, ...origin(['constants', name]) });
  }

  function fixedFieldSize(f: SpecSource['structs'][string]['fields'][number]): number | null {
    if (['u8', 'u16', 'u32', 'u64'].includes(f.type)) return INT_WIDTH[f.type as IntType];
    if (f.type === 'bytes' || f.type === 'str' || f.type === 'zeros') {
      if (typeof f.size === 'number' || (typeof f.size === 'string' && f.size !== 'eos')) return evaluate(f.size, resolveConst, sizeOf);
      return null;
    }
    if (f.type in src.structs) return sizeOf(f.type);
    return null;
  }
  function computeFixedSize(id: string): number | null {
    structSizes.set(id, null); // guards recursion
    let total = 0;
    for (const f of src.structs[id]!.fields) {
      const s = fixedFieldSize(f);
      if (s === null) return null;
      total += s;
    }
    return total;
  }

  const sizeIR = (path: Path, size: unknown): SizeIR | undefined => {
    if (size === undefined) return problem(path, 'a size is required for this type'), undefined;
    if (size === 'eos') return { kind: 'eos' };
    if (typeof size === 'object' && size && 'prefix' in size) return { kind: 'prefix', width: (size as { prefix: 'u8' }).prefix };
    if (typeof size === 'object' && size && 'rest' in size) {
      const minus = evalAt([...path, 'rest'], (size as { rest: string }).rest);
      return minus === undefined ? undefined : { kind: 'rest', minus, expr: String((size as { rest: string }).rest) };
    }
    const value = evalAt(path, size as string | number);
    return value === undefined ? undefined : { kind: 'fixed', value, expr: String(size) };
  };

  const structs: StructIR[] = Object.entries(src.structs).map(([sid, s]) => {
    const fields: FieldIR[] = [];
    const ids = new Set<string>();
    s.fields.forEach((f, i) => {
      const fp: Path = ['structs', sid, 'fields', i];
      if (ids.has(f.id)) problem([...fp, 'id'], `duplicate field id ${f.id}`);
      ids.add(f.id);
      const base = { id: f.id, doc: f.doc, ...origin(fp) };
      const opt = (key: 'min' | 'max' | 'min_count' | 'max_count') => (f[key] === undefined ? undefined : evalAt([...fp, key], f[key]!));
      const isLast = i === s.fields.length - 1;
      const checkTail = (size: SizeIR | undefined) => {
        if (!size) return;
        if (size.kind === 'eos' && !isLast) problem([...fp, 'size'], 'eos is allowed only on the last field');
        if (size.kind === 'rest') {
          const after = s.fields.slice(i + 1).map(fixedFieldSize);
          const sum = after.reduce<number | null>((a, b) => (a === null || b === null ? null : a + b), 0);
          if (sum !== size.minus) problem([...fp, 'size'], `rest: ${size.minus} must equal the fixed size of the fields after it (${sum ?? 'not fixed'})`);
        }
      };
      switch (f.type) {
        case 'u8':
        case 'u16':
        case 'u32':
        case 'u64': {
          const type = f.type;
          let cnst: number | undefined;
          let constName: string | undefined;
          if (f.enum && !enumById.has(f.enum)) problem([...fp, 'enum'], `unknown enum ${f.enum}`);
          if (f.enum && enumById.get(f.enum)!.type !== type) problem([...fp, 'enum'], `enum ${f.enum} is ${enumById.get(f.enum)!.type}, field is ${type}`);
          if (f.const !== undefined) {
            if (typeof f.const === 'number') cnst = f.const;
            else {
              const ev = f.enum ? enumById.get(f.enum)?.values.find((v) => v.id === f.const) : undefined;
              if (!ev) problem([...fp, 'const'], `${f.const} is not a value of ${f.enum ?? '(no enum)'}`);
              else ((cnst = ev.value), (constName = ev.id));
            }
          }
          const min = opt('min');
          const max = opt('max');
          if (max !== undefined && max > INT_MAX[type]) problem([...fp, 'max'], `${max} does not fit ${type}`);
          if (f.mask !== undefined && f.mask > INT_MAX[type]) problem([...fp, 'mask'], `${f.mask} does not fit ${type}`);
          fields.push({ ...base, type, enum: f.enum, const: cnst, constName, min, max: type === 'u64' ? (max ?? INT_MAX.u64) : max, mask: f.mask });
          break;
        }
        case 'bytes':
        case 'str':
        case 'zeros': {
          const size = sizeIR([...fp, 'size'], f.size);
          checkTail(size);
          if (size && size.kind !== 'fixed' && size.kind !== 'eos' && size.kind !== 'rest' && f.max === undefined)
            problem([...fp, 'max'], 'a length-prefixed field needs a max');
          fields.push({ ...base, type: f.type, size: size ?? { kind: 'eos' }, minLen: opt('min'), maxLen: opt('max') });
          break;
        }
        case 'list': {
          if (!f.of || (f.of !== 'u8' && !(f.of in src.structs))) problem([...fp, 'of'], `unknown list element type ${f.of}`);
          if (!f.count) problem([...fp, 'count'], 'a list needs count: { prefix: u8|u16|u32 }');
          const maxCount = opt('max_count');
          if (maxCount === undefined) problem([...fp, 'max_count'], 'a list needs a max_count');
          fields.push({ ...base, type: 'list', of: f.of ?? 'u8', count: { kind: 'prefix', width: f.count?.prefix ?? 'u8' }, minCount: opt('min_count') ?? 0, maxCount: maxCount ?? 0 });
          break;
        }
        case 'switch': {
          const sel = s.fields.slice(0, i).find((g) => g.id === f.on);
          if (!sel || !sel.enum) {
            problem([...fp, 'on'], `switch must name an earlier enum field of ${sid}`);
            break;
          }
          const en = enumById.get(sel.enum);
          const size = sizeIR([...fp, 'size'], f.size);
          checkTail(size);
          const cases = Object.entries(f.cases ?? {}).flatMap(([valueId, struct]) => {
            const v = en?.values.find((x) => x.id === valueId);
            if (!v) return problem([...fp, 'cases', valueId], `${valueId} is not a value of ${sel.enum}`), [];
            if (!(struct in src.structs)) return problem([...fp, 'cases', valueId], `unknown struct ${struct}`), [];
            return [{ valueId, value: v.value, struct }];
          });
          for (const v of en?.values ?? [])
            if (!v.reserved && !cases.some((c) => c.valueId === v.id)) problem([...fp, 'cases'], `no case for ${sel.enum}.${v.id}`);
          fields.push({ ...base, type: 'switch', on: f.on!, enum: sel.enum, size: size ?? { kind: 'eos' }, minLen: opt('min'), maxLen: opt('max'), cases });
          break;
        }
        default:
          if (f.type in src.structs) fields.push({ ...base, type: 'struct', struct: f.type });
          else problem([...fp, 'type'], `unknown type ${f.type}`);
      }
    });
    let fixedSize: number | null = null;
    try {
      fixedSize = structSizes.has(sid) ? structSizes.get(sid)! : computeFixedSize(sid);
      structSizes.set(sid, fixedSize);
    } catch (e) {
      problem(['structs', sid], (e as Error).message);
    }
    return { id: sid, doc: s.doc, fields, fixedSize, minSize: 0, ...origin(['structs', sid]) };
  });
  const structById = new Map(structs.map((s) => [s.id, s]));
  const minSizeOf = (id: string, guard = new Set<string>()): number => {
    const s = structById.get(id);
    if (!s || guard.has(id)) return 0;
    guard.add(id);
    let n = 0;
    for (const f of s.fields) {
      if (f.type === 'struct') n += minSizeOf(f.struct, guard);
      else if (f.type === 'list') n += INT_WIDTH[f.count.width] + f.minCount * (f.of === 'u8' ? 1 : minSizeOf(f.of, guard));
      else if (f.type === 'bytes' || f.type === 'str' || f.type === 'zeros' || f.type === 'switch') {
        if (f.size.kind === 'fixed') n += f.size.value;
        else if (f.size.kind === 'prefix') n += INT_WIDTH[f.size.width] + (f.minLen ?? 0);
        else n += f.minLen ?? 0;
      } else n += INT_WIDTH[f.type];
    }
    guard.delete(id);
    return n;
  };
  for (const s of structs) s.minSize = minSizeOf(s.id);

  const contexts = Object.entries(src.contexts.items).map(([id, c]) => ({
    id,
    label: c.label,
    context: src.contexts.prefix + c.label,
    doc: c.doc,
    ...origin(['contexts', 'items', id]),
  }));
  const labels = new Set<string>();
  for (const c of contexts) {
    if (labels.has(c.label)) problem(['contexts', 'items', c.id, 'label'], `context label "${c.label}" is used twice`);
    labels.add(c.label);
  }

  const regions: RegionIR[] = Object.entries(src.regions).map(([rid, r]) => ({
    id: rid,
    doc: r.doc,
    ...origin(['regions', rid]),
    parts: r.parts.map((p, i) => {
      const pp: Path = ['regions', rid, 'parts', i];
      let value: number | undefined;
      let valueName: string | undefined;
      if (p.value !== undefined) {
        if (typeof p.value === 'number') value = p.value;
        else if (p.enum) {
          const v = enumById.get(p.enum)?.values.find((x) => x.id === p.value);
          if (!v) problem([...pp, 'value'], `${p.value} is not a value of ${p.enum}`);
          else ((value = v.value), (valueName = `${p.enum}.${v.id}`));
        } else {
          value = evalAt([...pp, 'value'], p.value);
          valueName = p.value;
        }
      }
      if (p.enum && !enumById.has(p.enum)) problem([...pp, 'enum'], `unknown enum ${p.enum}`);
      if (p.raw && i !== r.parts.length - 1) problem([...pp, 'raw'], 'only the last part may be raw');
      const size = p.type === 'bytes' ? (p.size === undefined ? null : (evalAt([...pp, 'size'], p.size) ?? null)) : INT_WIDTH[p.type];
      return { id: p.id, type: p.type, doc: p.doc, size, sizeExpr: p.size === undefined ? undefined : String(p.size), enum: p.enum, value, valueName, raw: p.raw ?? false, ...origin(pp) };
    }),
  }));
  const regionIds = new Set(regions.map((r) => r.id));

  const derivations = Object.entries(src.derivations).map(([id, d]) => {
    const dp: Path = ['derivations', id];
    if (d.mode === 'derive_key' && !d.context) problem(dp, 'derive_key needs a context');
    if (d.context && !(d.context in src.contexts.items)) problem([...dp, 'context'], `unknown context ${d.context}`);
    if (d.mode === 'keyed_hash' && !d.key) problem(dp, 'keyed_hash needs a key description');
    if (!regionIds.has(d.input)) problem([...dp, 'input'], `unknown region ${d.input}`);
    return { id, mode: d.mode, context: d.context, key: d.key, input: d.input, out: evalAt([...dp, 'out'], d.out) ?? 0, outExpr: String(d.out), doc: d.doc, ...origin(dp) };
  });
  const derivationIds = new Set(derivations.map((d) => d.id));

  const signatures = Object.entries(src.signatures.items).map(([id, s]) => {
    const sp: Path = ['signatures', 'items', id];
    if (!derivationIds.has(s.bind)) problem([...sp, 'bind'], `unknown derivation ${s.bind}`);
    if (!regionIds.has(s.region)) problem([...sp, 'region'], `unknown region ${s.region}`);
    return { id, label: s.label, message: src.signatures.prefix + s.label, signer: s.signer, bind: s.bind, region: s.region, doc: s.doc, ...origin(sp) };
  });

  const errorCodes = new Set(Object.values(src.errors).flatMap((g) => Object.keys(g)));
  const kinds = Object.entries(src.kinds).map(([id, k]) => {
    if (!enumById.get('frame_kind')?.values.some((v) => v.id === id)) problem(['kinds', id], `${id} is not a frame_kind`);
    if (k.signature && !signatures.some((s) => s.id === k.signature)) problem(['kinds', id, 'signature'], `unknown signature ${k.signature}`);
    if (k.ad && !regionIds.has(k.ad)) problem(['kinds', id, 'ad'], `unknown region ${k.ad}`);
    return { id, ...k };
  });
  src.handshake.forEach((h, i) => {
    if (!structById.has(h.message)) problem(['handshake', i, 'message'], `unknown struct ${h.message}`);
    h.checks.forEach((c, j) => {
      if (!errorCodes.has(c.error)) problem(['handshake', i, 'checks', j, 'error'], `unknown error code ${c.error}`);
    });
  });

  const strings = Object.entries(src.strings).map(([name, v]) => ({ name, value: v.value, doc: v.doc, ...origin(['strings', name]) }));
  const documents = loadDocuments(src, strings, derivations, evalAt, problem, origin);

  return {
    hash: createHash('sha256').update(text).digest('hex'),
    source: file,
    protocol: src.protocol,
    constants,
    strings,
    documents,
    contexts: { prefix: src.contexts.prefix, items: contexts },
    signatures: { prefix: src.signatures.prefix, digest: evalAt(['signatures', 'digest'], src.signatures.digest) ?? 0, items: signatures },
    enums,
    errors: Object.entries(src.errors).map(([group, codes]) => ({ group, codes: Object.entries(codes).map(([code, doc]) => ({ code, doc })) })),
    structs,
    regions,
    derivations,
    kinds,
    rules: Object.entries(src.rules).map(([id, r]) => ({ id, title: r.title, doc: r.doc, items: r.items })),
    receiveOrder: src.receive_order,
    firstContactOrder: src.first_contact_order,
    ...(src.sessions ? { sessions: sessionsIR(src.sessions, problem) } : {}),
    handshake: src.handshake,
  };
}

/** spec `sessions` → IR: every transition names declared states. */
function sessionsIR(src: NonNullable<SpecSource['sessions']>, problem: (p: Path, m: string) => void): SessionsIR {
  const states = new Set(src.states.map((s) => s.state));
  src.transitions.forEach((t, i) => {
    if (!states.has(t.from)) problem(['sessions', 'transitions', i, 'from'], `unknown state ${t.from}`);
    if (!states.has(t.to)) problem(['sessions', 'transitions', i, 'to'], `unknown state ${t.to}`);
  });
  return {
    doc: src.doc,
    ratchetOrder: src.ratchet_order,
    states: src.states,
    transitions: src.transitions,
    sequence: { doc: src.sequence.doc, steps: src.sequence.steps.map((s) => ({ from: s.from, to: s.to, message: s.message, ...(s.note ? { note: s.note } : {}) })) },
  };
}
