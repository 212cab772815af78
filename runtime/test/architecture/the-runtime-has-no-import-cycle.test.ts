/**
 * The runtime's modules form a graph without cycles, type-only imports included: a part of the
 * engine that needs another names the narrow interface it uses (engine/parts.ts) and the wiring
 * module connects them, so no module reaches back into the one that imports it.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Every static import, re-export and dynamic import with a literal specifier. */
const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.tsx?$/.test(name) ? [p] : [];
  });
}

/** Drops comments so that an import named in a comment is not an edge. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** The module graph of `files`: each file to the files of `files` it imports by a relative path. */
function importGraph(files: readonly string[], read: (file: string) => string): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const edges: string[] = [];
    for (const m of code(read(file)).matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      const hit = [target, `${target}.ts`, join(target, 'index.ts')].find((t) => known.has(t));
      if (hit === undefined) throw new Error(`${file} imports ${spec}, which is not a file under the scanned folder`);
      edges.push(hit);
    }
    graph.set(file, edges);
  }
  return graph;
}

/** Every cycle found by a depth-first walk (each as the list of files, first repeated last). */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const s = state.get(next);
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('the import graph', () => {
  it('finds a cycle through type-only imports and re-exports (the check can fail)', () => {
    const files: Record<string, string> = {
      '/p/a.ts': "import type { B } from './b.ts';\nexport const a = 1;",
      '/p/b.ts': "export { c } from './c/index.ts';\nexport type B = number;",
      '/p/c/index.ts': "// import { x } from '../d.ts' is a comment, not an edge\nimport { a } from '../a.ts';\nexport const c = a;",
      '/p/d.ts': "import { a } from './a.ts';",
    };
    const cycles = findCycles(importGraph(Object.keys(files), (f) => files[f]!));
    expect(cycles).toEqual([['/p/a.ts', '/p/b.ts', '/p/c/index.ts', '/p/a.ts']]);
  });

  it('runtime/src has no import cycle', () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(40);
    const cycles = findCycles(importGraph(files, (f) => readFileSync(f, 'utf8')));
    expect(cycles.map((c) => c.map((f) => relative(SRC, f)).join(' -> '))).toEqual([]);
  });
});
