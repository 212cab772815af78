/**
 * The `stage` of every invalid peer and first-contact frame in generated/vectors/frames.json
 * names a step of the spec's receive_order or first_contact_order (PROTOCOL.md section 11,
 * "(stage <name>)"), and the vector's error is one that step raises: an implementer who follows
 * the receive order in the document fails each vector where the vector says (a tampered kind at
 * `frame`, before the route is unmasked).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSpecFile } from '../generator/load.ts';

const ir = loadSpecFile(fileURLToPath(new URL('../protocol.yaml', import.meta.url)));
const frames = JSON.parse(readFileSync(new URL('../../generated/vectors/frames.json', import.meta.url), 'utf8'));
const protocolMd = readFileSync(new URL('../../generated/PROTOCOL.md', import.meta.url), 'utf8');

interface Step {
  stage: string;
  position: number;
  /** Every error code the step's text names. */
  errors: Set<string>;
}

/** The receive order's steps that carry a stage label, each with the error codes it names. */
function stagesOf(steps: readonly string[], codes: ReadonlySet<string>): Map<string, Step> {
  const out = new Map<string, Step>();
  steps.forEach((text, position) => {
    const label = /\(stage (\w+)\)/.exec(text);
    if (label === null) return;
    const named = (text.match(/\b[A-Z][A-Z_]+\b/g) ?? []).filter((w) => codes.has(w));
    out.set(label[1]!, { stage: label[1]!, position, errors: new Set(named) });
  });
  return out;
}

const openCodes = new Set(ir.errors.flatMap((g) => g.codes.map((c) => c.code)));

describe('invalid frame vectors and the receive order', () => {
  const stages = stagesOf(ir.receiveOrder, openCodes);

  it('finds a stage label on every numbered receive step, in the order the conventions list them', () => {
    expect(stages.size).toBe(ir.receiveOrder.length);
    const listed = /at `stage`, the receive_order step that raises it: ([^.]+)\./.exec(frames.conventions)?.[1];
    expect(listed, 'frames.json conventions list the stages').toBeDefined();
    const inConventions = listed!.replace(/\s*\([^)]*\)/g, '').split(', ');
    expect(inConventions).toEqual([...stages.keys()]);
  });

  it('gives every invalid peer frame a stage of the receive order and an error that stage raises', () => {
    const invalid: { name: string; stage: string; error: string }[] = frames.peer.invalid;
    expect(invalid.length).toBeGreaterThan(10);
    for (const v of invalid) {
      const step = stages.get(v.stage);
      expect(step, `${v.name}: stage ${v.stage}`).toBeDefined();
      expect([...step!.errors], `${v.name}: ${v.error} at stage ${v.stage}`).toContain(v.error);
    }
  });

  it('gives every invalid first contact a stage of first_contact_order (or the shape step before it) and an error that stage raises', () => {
    const fcStages = stagesOf(ir.firstContactOrder, openCodes);
    // Every step that raises an error carries a label; the last one (record and queue) raises none.
    expect(fcStages.size).toBe(ir.firstContactOrder.filter((t) => (t.match(/\b[A-Z][A-Z_]+\b/g) ?? []).some((w) => openCodes.has(w))).length);
    const invalid: { name: string; stage: string; error: string }[] = frames.first_contact.invalid;
    expect(invalid.length).toBeGreaterThan(5);
    for (const v of invalid) {
      const step = v.stage === 'shape' ? stages.get('shape') : fcStages.get(v.stage);
      expect(step, `${v.name}: stage ${v.stage}`).toBeDefined();
      expect([...step!.errors], `${v.name}: ${v.error} at stage ${v.stage}`).toContain(v.error);
    }
    for (const s of fcStages.keys()) expect(protocolMd).toContain(`(stage ${s})`);
  });

  it('catches a tampered kind at the first stage, before the route is unmasked', () => {
    const kind = frames.peer.invalid.find((v: { name: string }) => v.name === 'tampered_kind');
    expect(kind).toMatchObject({ stage: 'frame', error: 'BAD_KIND' });
    expect(stages.get('frame')!.position).toBeLessThan(stages.get('route')!.position);
  });

  it('shows each stage label in PROTOCOL.md', () => {
    for (const s of stages.keys()) expect(protocolMd).toContain(`(stage ${s})`);
  });
});
