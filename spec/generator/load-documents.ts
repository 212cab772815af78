/**
 * The `documents:` section (JSON documents served over HTTP(S)) into IR: bounds evaluated,
 * constants and derivations resolved. Called by load.ts, which reports the problems.
 */
import type { DerivationIR, DocumentIR, DocumentMemberIR, Origin, StringIR } from './ir.ts';
import type { SpecSource } from './schema.ts';

type Path = (string | number)[];

export function loadDocuments(
  src: SpecSource,
  strings: readonly StringIR[],
  derivations: readonly DerivationIR[],
  evalAt: (path: Path, e: string | number) => number | undefined,
  problem: (path: Path, message: string) => void,
  origin: (path: Path) => Origin,
): DocumentIR[] {
  const stringByName = new Map(strings.map((s) => [s.name, s]));
  const out: DocumentIR[] = [];
  const checkPattern = (pattern: string, path: Path): void => {
    try {
      new RegExp(pattern, 'u');
    } catch (e) {
      problem(path, `not a regular expression: ${(e as Error).message}`);
    }
  };
  for (const [id, d] of Object.entries(src.documents)) {
    const dp: Path = ['documents', id];
    const at = stringByName.get(d.path);
    if (!at) {
      problem([...dp, 'path'], `unknown string constant ${d.path}`);
      continue;
    }
    const members: DocumentMemberIR[] = [];
    const seen = new Set<string>();
    d.members.forEach((m, i) => {
      const mp: Path = [...dp, 'members', i];
      if (seen.has(m.id)) problem([...mp, 'id'], `member ${m.id} twice`);
      seen.add(m.id);
      const base = { id: m.id, doc: m.doc, optional: m.optional ?? false, ...origin(mp) };
      const num = (key: 'min' | 'max' | 'size' | 'min_count' | 'max_count' | 'group', required: boolean): number | undefined => {
        const v = m[key];
        if (v === undefined) {
          if (required) problem(mp, `a ${m.type} member needs ${key}`);
          return undefined;
        }
        return evalAt([...mp, key], v);
      };
      const allowed: Record<typeof m.type, readonly string[]> = {
        text: ['const', 'pattern', 'max'],
        texts: ['pattern', 'max', 'min_count', 'max_count'],
        integers: ['min', 'max', 'min_count', 'max_count'],
        hex: ['size'],
        fingerprint: ['derivation', 'group'],
      };
      for (const k of ['const', 'pattern', 'min', 'max', 'size', 'min_count', 'max_count', 'derivation', 'group'] as const) {
        if (m[k] !== undefined && !allowed[m.type].includes(k)) problem([...mp, k], `${k} does not apply to a ${m.type} member`);
      }
      switch (m.type) {
        case 'texts': {
          if (m.pattern !== undefined) checkPattern(m.pattern, [...mp, 'pattern']);
          const [max, minCount, maxCount] = [num('max', false), num('min_count', true), num('max_count', true)];
          if (minCount === undefined || maxCount === undefined) return;
          if (minCount < 0 || minCount > maxCount) problem(mp, 'min_count above max_count');
          members.push({ ...base, type: 'texts', ...(m.pattern !== undefined ? { pattern: m.pattern } : {}), ...(max !== undefined ? { max } : {}), minCount, maxCount });
          return;
        }
        case 'text': {
          const c = m.const === undefined ? undefined : stringByName.get(m.const);
          if (m.const !== undefined && !c) problem([...mp, 'const'], `unknown string constant ${m.const}`);
          if (m.pattern !== undefined) checkPattern(m.pattern, [...mp, 'pattern']);
          const max = num('max', false);
          members.push({ ...base, type: 'text', ...(c ? { const: c } : {}), ...(m.pattern !== undefined ? { pattern: m.pattern } : {}), ...(max !== undefined ? { max } : {}) });
          return;
        }
        case 'integers': {
          const [min, max, minCount, maxCount] = [num('min', true), num('max', true), num('min_count', true), num('max_count', true)];
          if (min === undefined || max === undefined || minCount === undefined || maxCount === undefined) return;
          if (min > max || minCount > maxCount) problem(mp, 'min above max');
          members.push({ ...base, type: 'integers', min, max, minCount, maxCount });
          return;
        }
        case 'hex': {
          const size = num('size', true);
          if (size !== undefined) members.push({ ...base, type: 'hex', size });
          return;
        }
        case 'fingerprint': {
          const dv = derivations.find((x) => x.id === m.derivation);
          if (!dv) {
            problem([...mp, 'derivation'], m.derivation === undefined ? 'a fingerprint member needs derivation' : `unknown derivation ${m.derivation}`);
            return;
          }
          const group = num('group', true);
          if (group === undefined) return;
          if (group < 1 || dv.out % group !== 0) problem([...mp, 'group'], `${dv.out} bytes do not split into groups of ${group}`);
          members.push({ ...base, type: 'fingerprint', derivation: dv.id, size: dv.out, group });
          return;
        }
      }
    });
    out.push({ id, at, doc: d.doc, members, ...origin(dp) });
  }
  return out;
}
