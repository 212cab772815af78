/** The result of a spec diff: the list of changes, its summary and exit status, text and JSON forms. */
import type { SpecIR } from '../generator/ir.ts';
import { RULES, SEVERITIES, type RuleId, type Severity } from './rules.ts';

/** Where a change sits on one side: YAML path and 1-based line (0 when unknown). */
export interface Side {
  path: string;
  line: number;
}

export interface Change {
  rule: RuleId;
  severity: Severity;
  /** The element's path on the new side, or on the old side when it was removed. */
  path: string;
  /** null when the element does not exist on that side. */
  old: Side | null;
  new: Side | null;
  message: string;
}

export interface SpecSummary {
  file: string;
  version: number;
  hash: string;
}

export interface DiffReport {
  old: SpecSummary;
  new: SpecSummary;
  versionRaised: boolean;
  counts: Record<Severity, number>;
  /** 1 when there is a WIRE change and protocol.version was not raised, else 0. */
  exitCode: 0 | 1;
  changes: Change[];
}

/** Collects changes in the order the comparison finds them. */
export class Changes {
  readonly list: Change[] = [];
  add(rule: RuleId, old: Side | null, now: Side | null, message: string): void {
    const path = (now ?? old)?.path ?? '';
    this.list.push({ rule, severity: RULES[rule].severity, path, old, new: now, message });
  }
}

export function buildReport(oldIr: SpecIR, newIr: SpecIR, files: { old: string; new: string }, changes: Change[]): DiffReport {
  const counts: Record<Severity, number> = { WIRE: 0, API: 0, DOC: 0, INFO: 0 };
  for (const c of changes) counts[c.severity]++;
  const versionRaised = newIr.protocol.version > oldIr.protocol.version;
  const order = (s: Severity) => SEVERITIES.indexOf(s);
  const sorted = changes.map((c, i) => ({ c, i })).sort((a, b) => order(a.c.severity) - order(b.c.severity) || a.i - b.i).map((x) => x.c);
  return {
    old: { file: files.old, version: oldIr.protocol.version, hash: oldIr.hash },
    new: { file: files.new, version: newIr.protocol.version, hash: newIr.hash },
    versionRaised,
    counts,
    exitCode: counts.WIRE > 0 && !versionRaised ? 1 : 0,
    changes: sorted,
  };
}

/** `WIRE WIRE_FIELD_SIZE_CHANGED structs.frame.fields[1] old:120 new:121 — nonce size 24 → 32` */
export function formatChange(c: Change): string {
  const line = (s: Side | null) => (s ? String(s.line) : '-');
  const where = c.old && c.new && c.old.path !== c.new.path ? `${c.old.path} → ${c.new.path}` : c.path;
  return `${c.severity} ${c.rule} ${where} old:${line(c.old)} new:${line(c.new)} — ${c.message}`;
}

export function formatText(r: DiffReport): string {
  const out: string[] = [`spec:diff ${r.old.file} (v${r.old.version}) → ${r.new.file} (v${r.new.version})`];
  for (const sev of SEVERITIES) {
    const group = r.changes.filter((c) => c.severity === sev);
    if (!group.length) continue;
    out.push('', `${sev} (${group.length})`);
    for (const c of group) out.push(formatChange(c));
  }
  if (!r.changes.length) out.push('', 'no changes');
  const verdict =
    r.counts.WIRE === 0
      ? 'no wire changes'
      : r.versionRaised
        ? `wire changes allowed: protocol.version raised ${r.old.version} → ${r.new.version}`
        : `wire changes without raising protocol.version (${r.old.version} → ${r.new.version}): FAIL`;
  out.push('', `spec:diff: ${r.counts.WIRE} wire, ${r.counts.API} api, ${r.counts.DOC} doc, ${r.counts.INFO} info; ${verdict}`);
  return out.join('\n') + '\n';
}

export function formatJson(r: DiffReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}

/** Shortens a doc text for a one-line message. */
export function clip(text: string | undefined, max = 60): string {
  if (text === undefined) return '(none)';
  const t = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(t.length > max ? t.slice(0, max - 1) + '…' : t);
}
