/**
 * Golden files pin the docs and Kaitai emitters' output for a tiny spec that uses every feature of
 * the spec format. After an intended change: `UPDATE_GOLDEN=1 npx vitest run spec/test/docs-golden`.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from '../generator/load.ts';
import { emitDocs } from '../generator/emit/docs.ts';
import { emitKaitai } from '../generator/emit/kaitai.ts';
import { kaitaiParser } from './support/kaitai.ts';
import { buildVectors } from '../generator/emit/vectors.ts';
import { decodeWith } from '../generator/interp.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const ir = loadSpecFile(fixture('tiny-docs.yaml'));
const update = process.env.UPDATE_GOLDEN === '1';

describe.each([
  ['PROTOCOL.md', emitDocs, 'tiny-docs.PROTOCOL.md'],
  ['protocol.ksy', emitKaitai, 'tiny-docs.ksy'],
] as const)('golden %s of tiny-docs.yaml', (path, emit, golden) => {
  it('matches the checked-in golden file', () => {
    const files = emit(ir);
    expect(files.map((f) => f.path)).toEqual([path]);
    const file = fixture(golden);
    if (update || !existsSync(file)) writeFileSync(file, files[0]!.content);
    expect(files[0]!.content).toBe(readFileSync(file, 'utf8'));
  });
});

describe('tiny-docs.ksy', () => {
  it('parses the tiny spec\'s valid vectors', async () => {
    const parser = await kaitaiParser(readFileSync(fixture('tiny-docs.ksy'), 'utf8'));
    for (const v of buildVectors(ir).valid) {
      const bytes = Uint8Array.from(Buffer.from(v.hex, 'hex'));
      decodeWith(ir, v.struct, bytes);
      expect(() => parser.parse(v.struct, bytes), `${v.struct} "${v.name}"`).not.toThrow();
    }
  });
});
