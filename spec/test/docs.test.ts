import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from '../generator/load.ts';
import { stamp } from '../generator/emit/file.ts';
import { renderDocs } from '../generator/emit/docs.ts';
import { finish } from '../generator/gen.ts';
import { byteDiagram } from '../generator/emit/docs-diagram.ts';

const ir = loadSpecFile(fileURLToPath(new URL('../protocol.yaml', import.meta.url)));
const md = readFileSync(fileURLToPath(new URL('../../generated/PROTOCOL.md', import.meta.url)), 'utf8');

/** The text of a `### heading` section up to the next heading of level 2 or 3. */
function section(heading: string): string {
  const start = md.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(0);
  const rest = md.slice(start + heading.length + 2);
  const end = rest.search(/\n#{2,3} /);
  return end < 0 ? rest : rest.slice(0, end);
}
/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const anchor = (h: string) => h.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');

describe('generated/PROTOCOL.md', () => {
  it('is what the emitter writes, starting with the stamp and the version it covers', () => {
    // Section 13 also annotates the invites of rules.json that verify (generator/gen.ts, finish).
    const rules = JSON.parse(readFileSync(fileURLToPath(new URL('../../generated/vectors/rules.json', import.meta.url)), 'utf8'));
    expect(renderDocs(ir, { verifiedInvites: rules.invites.valid })).toBe(md);
    expect(md.startsWith(stamp(ir, 'md', 'spec/generator/emit/docs.ts'))).toBe(true);
    expect(md).toContain(`covers protocol version ${ir.protocol.version}`);
  });

  it('lists every constant, context string, signature and frame kind', () => {
    const constants = section('## 2. Constants');
    for (const c of ir.constants) expect(constants).toContain(`| \`${c.name}\` | ${c.value} |`);
    for (const c of ir.contexts.items) expect(section('## 3. Context strings')).toContain(`\`"${c.context}"\``);
    for (const s of ir.signatures.items) expect(section('## 4. Signatures')).toContain(`\`"${s.message}"\``);
    for (const k of ir.kinds) expect(section('## 5. Frame kinds')).toContain(`| \`${k.id}\` |`);
  });

  it('draws and tabulates every struct with every field', () => {
    for (const s of ir.structs) {
      const text = section(`### struct ${s.id}`);
      expect(text).toContain(s.doc);
      for (const f of s.fields) expect(text, `${s.id}.${f.id}`).toContain(`| \`${f.id}\` |`);
      if (s.fields.length) expect(text).toContain('+-+-+-+-+-+-+-+-+');
    }
  });

  it('lists every enum value, region, derivation, handshake step, receive step and error code', () => {
    for (const e of ir.enums) for (const v of e.values) expect(section(`### enum ${e.id}`)).toContain(`| ${v.value} | \`${v.id}\` |`);
    for (const r of ir.regions) for (const p of r.parts) expect(section(`### region ${r.id}`)).toContain(`| \`${p.id}\` |`);
    for (const d of ir.derivations) expect(section('## 9. Derivations')).toContain(`| \`${d.id}\` |`);
    ir.handshake.forEach((h, i) => {
      expect(md).toContain(`### ${i + 1}. ${h.message.toUpperCase()} (`);
      for (const c of h.checks) expect(md).toContain(`\`${c.error}\``);
    });
    ir.receiveOrder.forEach((s, i) => expect(section('## 11. Receive order')).toContain(`${i + 1}. ${s}`));
    for (const g of ir.errors) for (const c of g.codes) expect(section(`### ${g.group} errors`)).toContain(`| \`${c.code}\` |`);
  });

  it('shows annotated dumps of a frame, an envelope and an invite', () => {
    const examples = md.slice(md.indexOf('## 13. Annotated examples'));
    for (const id of ['frame', 'envelope', 'invite']) expect(examples).toMatch(new RegExp(`### ${id}: vector "[^"]+" \\(\\d+ bytes\\)`));
    expect(examples).toContain('kind = ');
    expect(examples).toContain('len(body) = ');
  });

  it('links only to headings that exist', () => {
    const anchors = new Set([...md.matchAll(/^#{1,4} (.+)$/gm)].map((m) => anchor(m[1]!)));
    for (const [, target] of md.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors.has(target!), target).toBe(true);
  });

  it('keeps every diagram line within 65 columns', () => {
    for (const block of md.split('```').filter((_, i) => i % 2 === 1))
      for (const line of block.split('\n')) if (/^[+|/:]/.test(line)) expect(line.length, line).toBeLessThanOrEqual(65);
  });
});

describe('byteDiagram', () => {
  it('draws fixed fields in 32-bit rows and a variable field with / edges', () => {
    expect(byteDiagram([{ label: 'a', bytes: 1 }, { label: 'b', bytes: 2 }, { label: 'c', bytes: null }]).slice(2)).toEqual([
      '+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+',
      '|       a       |               b               /               /',
      '+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+               +',
      '/                               c                               /',
      '+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+',
    ]);
  });

  it('collapses the inner rows of a long field', () => {
    const lines = byteDiagram([{ label: 'key', bytes: 32 }]);
    expect(lines).toHaveLength(2 + 5);
    expect(lines[5]).toMatch(/^: +:$/);
  });
});

describe('invites that verify in section 13', () => {
  const rulesFile = { path: 'vectors/rules.json', content: readFileSync(fileURLToPath(new URL('../../generated/vectors/rules.json', import.meta.url)), 'utf8') };
  const docsFile = { path: 'PROTOCOL.md', content: renderDocs(ir) };

  it('are annotated from rules.json once its step has run, a v1 and a v2 one', () => {
    const [done] = finish(ir, [docsFile], [rulesFile]);
    const valid: { name: string; struct: string; hex: string }[] = JSON.parse(rulesFile.content).invites.valid;
    expect(new Set(valid.map((v) => v.struct))).toEqual(new Set(['invite', 'invite_v2']));
    for (const v of valid) expect(done!.content).toContain(`### ${v.struct} that verifies: rules.json "${v.name}" (${v.hex.length / 2} bytes)`);
    expect(done!.content).toBe(md);
  });

  it('are left out when no step computed rules.json (gen --no-steps)', () => {
    expect(finish(ir, [docsFile], [])).toEqual([docsFile]);
    expect(docsFile.content).not.toContain('that verifies: rules.json');
  });
});
