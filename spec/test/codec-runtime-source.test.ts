/**
 * The static part of the generated codecs is real source in spec/generator/codec-runtime/: the
 * emitter copies it (not a String.raw blob), and the runtime's export list is read from it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { emitCodecFiles } from '../generator/emit/codec/index.ts';
import { exportedNames, RUNTIME_EXPORTS } from '../generator/emit/codec/copied.ts';
import { loadSpecFile } from '../generator/load.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const source = here('../generator/codec-runtime/');

/** Top-level exported names as the TypeScript compiler sees them. */
function compilerExports(text: string): string[] {
  const sf = ts.createSourceFile('x.ts', text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const names: string[] = [];
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st)) {
      if (st.exportClause && ts.isNamedExports(st.exportClause)) for (const e of st.exportClause.elements) names.push(e.name.text);
      continue;
    }
    if (!ts.canHaveModifiers(st) || !ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) names.push(d.name.getText(sf));
    else if ('name' in st && st.name) names.push((st.name as ts.Identifier).text);
  }
  return [...new Set(names)].sort();
}

describe('spec/generator/codec-runtime', () => {
  it("the export scan finds exactly the names the TypeScript compiler finds in _runtime.ts", () => {
    const text = readFileSync(join(source, 'src/_runtime.ts'), 'utf8');
    expect(exportedNames(text)).toEqual(compilerExports(text));
    expect([...RUNTIME_EXPORTS].sort()).toEqual(compilerExports(text));
    expect(RUNTIME_EXPORTS.has('fail') && RUNTIME_EXPORTS.has('strPut')).toBe(true);
  });

  it('the export scan sees every declaration form and export list, and leaves out what is not exported', () => {
    const text = [
      'export const a = 1;',
      'export function b() {}',
      'export async function c() {}',
      'export class D {}',
      'export interface E {}',
      'export type F = 1;',
      'const g = 2;',
      'const h = 3;',
      'interface J {}',
      'const hidden = 4;',
      'export { g };',
      'export {',
      '  h as i, // renamed',
      '};',
      'export type { J };',
      "export { k } from './k.ts';",
    ].join('\n');
    expect(exportedNames(text)).toEqual(['D', 'E', 'F', 'J', 'a', 'b', 'c', 'g', 'i', 'k']);
    expect(exportedNames(text)).toEqual(compilerExports(text));
  });

  it('every .ts file of the folder (and no .d.ts stand-in) is copied verbatim under its header', () => {
    const files = emitCodecFiles(loadSpecFile(here('./fixtures/tiny.yaml')));
    for (const folder of ['src', 'testing']) {
      for (const name of readdirSync(join(source, folder))) {
        const copy = files.find((f) => f.path === `${folder}/${name}`);
        if (name.endsWith('.d.ts')) {
          expect(copy, name).toBeUndefined();
          continue;
        }
        const text = readFileSync(join(source, folder, name), 'utf8');
        expect(copy, name).toBeDefined();
        const body = copy!.content.slice(copy!.content.indexOf('\n') + 1);
        expect(body, name).toBe(text);
        expect(copy!.content.split('\n')[0], name).toContain(`spec/generator/codec-runtime/${folder}/${name}`);
      }
    }
  });

  it('no emitter carries code as a String.raw blob', () => {
    const emitDir = here('../generator/emit/');
    const all = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? all(join(dir, d.name)) : [join(dir, d.name)]));
    for (const f of all(emitDir)) expect(readFileSync(f, 'utf8').includes('String.raw`'), f).toBe(false);
  });
});
