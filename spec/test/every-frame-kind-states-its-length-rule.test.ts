/**
 * Every frame kind the spec defines (frame_kind values that are not reserved) has an entry in
 * `kinds:` with a length rule that names the error of an illegal length, and PROTOCOL.md's
 * "Payload lengths" table shows it: an implementer never guesses which payload lengths a kind
 * allows. A new kind (v3 sessions, groups) fails here until its rule is written.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSpecFile } from '../generator/load.ts';

const ir = loadSpecFile(fileURLToPath(new URL('../protocol.yaml', import.meta.url)));
const protocolMd = readFileSync(new URL('../../generated/PROTOCOL.md', import.meta.url), 'utf8');

describe('kinds.*.length', () => {
  const frameKind = ir.enums.find((e) => e.id === 'frame_kind')!;
  const defined = frameKind.values.filter((v) => !v.reserved).map((v) => v.id);

  it('exists for every defined frame kind and names the error of an illegal length', () => {
    expect(defined.length).toBeGreaterThanOrEqual(5);
    for (const id of defined) {
      const kind = ir.kinds.find((k) => k.id === id);
      expect(kind, `kinds.${id}`).toBeDefined();
      expect(kind!.length, `kinds.${id}.length`).toBeTruthy();
      expect(kind!.length!, `kinds.${id}.length names an error`).toMatch(/BAD_LENGTH|HANDSHAKE_FAILED|BAD_KIND/);
    }
  });

  it('is shown in PROTOCOL.md, one row per kind', () => {
    const table = protocolMd.slice(protocolMd.indexOf('| Kind | Length rule |'), protocolMd.indexOf('## 6. Structures'));
    for (const id of defined) expect(table, id).toContain(`| \`${id}\` | ${ir.kinds.find((k) => k.id === id)!.length}`);
  });
});
