// spec:diff rules: each fixture under fixtures/diff/ is a new side of base.yaml (or of the file its
// `# old:` line names) and lists, on its `# expect:` line, exactly the rules the diff must report.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../generator/load.ts';
import { diffSpecs } from '../diff/compare.ts';
import { classifyConstant } from '../diff/values.ts';
import { formatChange, formatText } from '../diff/report.ts';
import { RULE_IDS, RULES } from '../diff/rules.ts';

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, 'fixtures/diff');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'base.yaml');

function header(text: string, key: string): string | undefined {
  return text.match(new RegExp(`^# ${key}: (.*)$`, 'm'))?.[1]?.trim();
}

function diffFixture(name: string) {
  const text = readFileSync(join(dir, name), 'utf8');
  const oldName = header(text, 'old') ?? 'base.yaml';
  const oldIr = loadSpec(readFileSync(join(dir, oldName), 'utf8'), oldName);
  const newIr = loadSpec(text, name);
  const expected = (header(text, 'expect') ?? '').split(/\s+/).filter(Boolean).sort();
  return { report: diffSpecs(oldIr, newIr, { old: oldName, new: name }), expected };
}

describe('spec:diff rules, one fixture pair each', () => {
  it.each(fixtures)('%s reports exactly its expected rules', (name) => {
    const { report, expected } = diffFixture(name);
    const got = [...new Set(report.changes.map((c) => c.rule))].sort();
    expect(got, report.changes.map(formatChange).join('\n')).toEqual(expected);
  });

  it('has a fixture named after every rule', () => {
    const missing = RULE_IDS.filter((id) => !fixtures.includes(`${id}.yaml`));
    expect(missing).toEqual([]);
  });

  it('documents every rule in RULES.md, and no other', () => {
    const md = readFileSync(join(here, '../diff/RULES.md'), 'utf8');
    const documented = [...md.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual([...RULE_IDS].sort());
  });

  it('reports an added, reworded or removed acceptance rule (rules:) and a kind\'s length rule as DOC_CHANGED', () => {
    const base = readFileSync(join(dir, 'base.yaml'), 'utf8');
    const withRule = (doc: string) => `${base.trimEnd()}\nrules:\n  replay: { title: "Replay", doc: "${doc}", items: ["Older is STALE."] }\n`;
    const changes = (a: string, b: string) => diffSpecs(loadSpec(a), loadSpec(b)).changes.map((c) => [c.rule, c.new?.path ?? c.old?.path, c.message]);
    expect(changes(base, withRule('A window.'))).toEqual([['DOC_CHANGED', 'rules.replay', 'rule replay added']]);
    expect(changes(withRule('A window.'), withRule('The window.'))).toEqual([['DOC_CHANGED', 'rules.replay', 'rule replay reworded']]);
    expect(changes(withRule('A window.'), base)).toEqual([['DOC_CHANGED', 'rules.replay', 'rule replay removed']]);
    expect(changes(withRule('A window.'), withRule('A window.'))).toEqual([]);
  });

  it('reports each added, reworded or removed step of the receive order and of the first-contact order as DOC_CHANGED', () => {
    const base = readFileSync(join(dir, 'base.yaml'), 'utf8');
    const withFc = (steps: string[]) => `${base.trimEnd()}\nfirst_contact_order:\n${steps.map((t) => `  - "${t}"`).join('\n')}\n`;
    const changes = (a: string, b: string) => diffSpecs(loadSpec(a), loadSpec(b)).changes.map((c) => [c.rule, c.new?.path ?? c.old?.path, c.message]);
    expect(changes(withFc(['Gate tag.']), withFc(['Gate (stage gate): gate tag.']))).toEqual([['DOC_CHANGED', 'first_contact_order[0]', 'first_contact_order step 1 reworded']]);
    expect(changes(withFc(['Gate tag.']), withFc(['Gate tag.', 'Signature.']))).toEqual([['DOC_CHANGED', 'first_contact_order[1]', 'first_contact_order step 2 added']]);
    expect(changes(base, base.replace('"Verify, then decrypt."', '"Verify (stage signature), then decrypt."'))).toEqual([['DOC_CHANGED', 'receive_order[1]', 'receive_order step 2 reworded']]);
  });

  it('reports a reserved code put to use under its reserved name as WIRE_ENUM_RESERVED_USED, not as an added value', () => {
    const base = readFileSync(join(dir, 'base.yaml'), 'utf8');
    const used = base.replace('future: { value: 9, doc: "Reserved for v2.", reserved: true }', 'future: { value: 9, doc: "Reserved for v2." }');
    expect(used).not.toBe(base);
    const changes = diffSpecs(loadSpec(base), loadSpec(used)).changes.map((c) => [c.rule, c.severity, c.message]);
    expect(changes).toEqual([['WIRE_ENUM_RESERVED_USED', 'WIRE', 'frame_kind.future (9) was reserved, now in use']]);
    // The other way round, retiring a code into a reservation, stays API.
    expect(diffSpecs(loadSpec(used), loadSpec(base)).changes.map((c) => c.rule)).toEqual(['API_ENUM_VALUE_RESERVED']);
  });

  it('reports the sessions section (added, removed, each ratchet_order step, state, transition and sequence step) as DOC_CHANGED', () => {
    const base = readFileSync(join(dir, 'base.yaml'), 'utf8');
    const sessions = (order: string, state: string, step: string) =>
      `${base.trimEnd()}\nsessions:\n  doc: "Sessions."\n  ratchet_order: ["Verify.", "${order}"]\n  states:\n    - { state: v1, doc: "No session." }\n    - { state: ${state}, doc: "Running." }\n  transitions:\n    - { from: v1, on: "a message", to: ${state} }\n  sequence:\n    doc: "A chart."\n    steps:\n      - { from: A, to: B, message: "${step}" }\n`;
    const changes = (a: string, b: string) => diffSpecs(loadSpec(a), loadSpec(b)).changes.map((c) => [c.rule, c.new?.path ?? c.old?.path, c.message]);
    const one = sessions('Open.', 'ratcheting', 'm1');
    expect(changes(base, one)).toEqual([['DOC_CHANGED', 'sessions', 'sessions section added']]);
    expect(changes(one, base)).toEqual([['DOC_CHANGED', 'sessions', 'sessions section removed']]);
    expect(changes(one, one)).toEqual([]);
    expect(changes(one, sessions('Open the body.', 'ratcheting', 'm1'))).toEqual([['DOC_CHANGED', 'sessions.ratchet_order[1]', 'sessions.ratchet_order step 2 changed']]);
    expect(changes(one, sessions('Open.', 'ratcheting', 'm2'))).toEqual([['DOC_CHANGED', 'sessions.sequence.steps[0]', 'sessions sequence step 1 changed']]);
    expect(changes(one, sessions('Open.', 'running', 'm1')).map((c) => c[2])).toEqual(['session state ratcheting removed', 'session state running added', 'sessions transition 1 changed']);
    expect(changes(one, sessions('Open.', 'running', 'm1')).every((c) => c[0] === 'DOC_CHANGED')).toBe(true);
  });

  it('reports nothing for identical specs', () => {
    const text = readFileSync(join(dir, 'base.yaml'), 'utf8');
    const report = diffSpecs(loadSpec(text), loadSpec(text));
    expect(report.changes).toEqual([]);
    expect(report.exitCode).toBe(0);
  });
});

describe('spec:diff exit status', () => {
  it('fails on a WIRE change when protocol.version was not raised', () => {
    const { report } = diffFixture('WIRE_FIELD_SIZE_CHANGED.yaml');
    expect(report.counts.WIRE).toBeGreaterThan(0);
    expect(report.versionRaised).toBe(false);
    expect(report.exitCode).toBe(1);
  });

  it('passes a WIRE change when protocol.version was raised', () => {
    const { report } = diffFixture('wire-with-version-raise.yaml');
    expect(report.counts.WIRE).toBeGreaterThan(0);
    expect(report.versionRaised).toBe(true);
    expect(report.exitCode).toBe(0);
  });

  it('fails a WIRE change when protocol.version was lowered', () => {
    const newer = readFileSync(join(dir, 'wire-with-version-raise.yaml'), 'utf8');
    const report = diffSpecs(loadSpec(newer), loadSpec(readFileSync(join(dir, 'base.yaml'), 'utf8')));
    expect(report.changes.find((c) => c.rule === 'INFO_PROTOCOL_VERSION_CHANGED')?.message).toMatch(/lowered 2 → 1/);
    expect(report.exitCode).toBe(1);
  });

  it.each(fixtures.filter((f) => /^(API|DOC|INFO)_/.test(f)))('passes %s (no WIRE change)', (name) => {
    expect(diffFixture(name).report.exitCode).toBe(0);
  });

  it.each(fixtures.filter((f) => f.startsWith('WIRE_')))('fails %s', (name) => {
    expect(diffFixture(name).report.exitCode).toBe(1);
  });
});

describe('spec:diff report', () => {
  it('prints one line per change with path, both lines and a message', () => {
    const { report } = diffFixture('WIRE_FIELD_SIZE_CHANGED.yaml');
    const size = report.changes.find((c) => c.rule === 'WIRE_FIELD_SIZE_CHANGED')!;
    expect(size.path).toBe('structs.frame.fields[1]');
    const base = readFileSync(join(dir, 'base.yaml'), 'utf8').split('\n');
    const fixture = readFileSync(join(dir, 'WIRE_FIELD_SIZE_CHANGED.yaml'), 'utf8').split('\n');
    expect(base[size.old!.line - 1]).toContain('id: nonce');
    expect(fixture[size.new!.line - 1]).toContain('id: nonce');
    expect(formatChange(size)).toBe(`WIRE WIRE_FIELD_SIZE_CHANGED structs.frame.fields[1] old:${size.old!.line} new:${size.new!.line} — nonce size 24 → 32`);
  });

  it('groups the text output by severity and ends with a summary', () => {
    const { report } = diffFixture('wire-with-version-raise.yaml');
    const text = formatText(report);
    expect(text.indexOf('\nWIRE (')).toBeLessThan(text.indexOf('\nINFO ('));
    expect(text.trim().split('\n').at(-1)).toBe('spec:diff: 3 wire, 0 api, 0 doc, 1 info; wire changes allowed: protocol.version raised 1 → 2');
  });

  it('has no side for the missing element of an addition or a removal', () => {
    const removed = diffFixture('WIRE_FIELD_REMOVED.yaml').report.changes[0]!;
    expect(removed.old).not.toBeNull();
    expect(removed.new).toBeNull();
    const added = diffFixture('WIRE_FIELD_ADDED.yaml').report.changes[0]!;
    expect(added.old).toBeNull();
    expect(added.new?.path).toBe('structs.text.fields[1]');
  });

  it('shows both paths when an element moved', () => {
    const moved = diffFixture('WIRE_FIELD_REORDERED.yaml').report.changes.find((c) => c.rule === 'WIRE_FIELD_REORDERED')!;
    expect(formatChange(moved)).toMatch(/^WIRE WIRE_FIELD_REORDERED structs\.message\.fields\[0\] → structs\.message\.fields\[1\] old:\d+ new:\d+ — sent_at moved from position 0 to 1$/);
  });

  it('gives every rule a known severity', () => {
    for (const id of RULE_IDS) expect(id.startsWith(RULES[id].severity)).toBe(true);
  });
});

describe('spec:diff heuristics', () => {
  it('classifies constants by name', () => {
    expect(classifyConstant('MAX_FRAME_SIZE')).toBe('max');
    expect(classifyConstant('MAILBOX_MAX_FRAMES')).toBe('max');
    expect(classifyConstant('MIN_FRAME_SIZE')).toBe('min');
    expect(classifyConstant('NONCE_SIZE')).toBe('size');
    expect(classifyConstant('SAFETY_NUMBER_BYTES')).toBe('size');
    expect(classifyConstant('PAD_BUCKET_3')).toBe('size');
    expect(classifyConstant('HANDSHAKE_TIMEOUT_MS')).toBe('other');
    expect(classifyConstant('MAXIMUS')).toBe('other');
  });

  it('treats a value renamed with a new doc as a reused code', () => {
    const base = readFileSync(join(dir, 'base.yaml'), 'utf8');
    const renamed = base.replace('too_large: { value: 4001, doc: "A frame was too large." }', 'oversized: { value: 4001, doc: "Frame over the limit." }');
    const report = diffSpecs(loadSpec(base), loadSpec(renamed));
    expect(report.changes.map((c) => c.rule)).toEqual(['WIRE_ENUM_CODE_REUSED']);
  });

  it('treats a code taken by a value that existed before as reused', () => {
    const base = readFileSync(join(dir, 'base.yaml'), 'utf8');
    const moved = base
      .replace('      too_large: { value: 4001, doc: "A frame was too large." }\n', '')
      .replace('normal: { value: 4000,', 'normal: { value: 4001,');
    const rules = diffSpecs(loadSpec(base), loadSpec(moved)).changes.map((c) => c.rule).sort();
    expect(rules).toEqual(['WIRE_ENUM_CODE_CHANGED', 'WIRE_ENUM_CODE_REUSED']);
  });

  it('does not report the derivations again when the context prefix changes', () => {
    const base = readFileSync(join(dir, 'base.yaml'), 'utf8');
    const v2 = base.replace('prefix: "mini v1 "', 'prefix: "mini v2 "');
    const report = diffSpecs(loadSpec(base), loadSpec(v2));
    expect(report.changes.map((c) => `${c.rule} ${c.path}`)).toEqual(['WIRE_CONTEXT_CHANGED contexts.prefix']);
  });
});
