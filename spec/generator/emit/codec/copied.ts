/**
 * The files of generated/src and generated/testing that do not depend on the spec: copied from
 * spec/generator/codec-runtime/ (real, type-checked source; its README lists them), each to the
 * same path under generated/. The `.d.ts` files there are type-checking stand-ins for modules
 * written from the spec, and are not copied.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { moduleOf, stampCopy, type GeneratedFile } from '../file.ts';

const SOURCE_DIR = fileURLToPath(new URL('../../codec-runtime/', import.meta.url));
/** Where the copied files come from, as the headers name it. */
const SOURCE_NAME = moduleOf(new URL('../../codec-runtime', import.meta.url).href);

/** The copied files of one folder of generated/ ('src' or 'testing'), in name order. */
export function emitCopied(folder: 'src' | 'testing'): GeneratedFile[] {
  return readdirSync(join(SOURCE_DIR, folder))
    .filter((n) => n.endsWith('.ts') && !n.endsWith('.d.ts'))
    .sort()
    .map((n) => {
      const path = `${folder}/${n}`;
      return { path, content: stampCopy(`${SOURCE_NAME}/${path}`) + readFileSync(join(SOURCE_DIR, path), 'utf8') };
    });
}

/**
 * The names a module exports at top level (`export function|const|let|class|interface|type|enum
 * name`, and the lists `export { a, b as c }`, `export type { T }`, with or without `from`), by
 * a scan of its text: the codec runtime's exports, which generated code imports and its local
 * names must not shadow. The spec tests compare this scan with the TypeScript compiler's view of
 * the same file. (`export *` names nothing here: the runtime source has none.)
 */
export function exportedNames(text: string): string[] {
  const declared = [...text.matchAll(/^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|var|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]!);
  const listed = [...text.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)].flatMap((m) =>
    m[1]!
      .replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
      .split(',')
      .map((item) => item.trim().replace(/^type\s+/, ''))
      .filter((item) => item !== '')
      .map((item) => item.split(/\s+as\s+/).at(-1)!),
  );
  return [...new Set([...declared, ...listed])].sort();
}

/** Every export of generated/src/_runtime.ts, read from its source. */
export const RUNTIME_EXPORTS: ReadonlySet<string> = new Set(exportedNames(readFileSync(join(SOURCE_DIR, 'src/_runtime.ts'), 'utf8')));

/** Every export of generated/testing/_arb.ts (the value generators the struct arbitraries call), read from its source. */
export const ARB_EXPORTS: readonly string[] = exportedNames(readFileSync(join(SOURCE_DIR, 'testing/_arb.ts'), 'utf8'));
