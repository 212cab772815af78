/**
 * The dependency check: reads every source file of every package (imports, re-exports, dynamic
 * imports and `import()` types, through TypeScript's own pre-processor) and every package's
 * tsconfig, and reports what breaks the rules of rules.ts, and source files longer than
 * MAX_SOURCE_LINES. Pure: the repository is a folder.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { CROSSING_ALLOWED, DOM_PACKAGES, LINE_LIMIT_EXEMPT, MAX_SOURCE_LINES, PACKAGE_RULES, WEB_FOLDERS, type Scope } from './rules.ts';

export interface Violation {
  /** Repository-relative path of the file (a source file or a tsconfig). */
  file: string;
  /** What it imports (a specifier), or the tsconfig setting. */
  imports: string;
  /** Which rule it breaks, in words. */
  rule: string;
}

const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
/** Folders that hold no source of the package: installs, builds, caches, the native Android project. */
const SKIP = new Set(['node_modules', 'dist', '.tsbuild', 'results', 'screenshots']);
const SKIP_PATHS = new Set(['android/android']);

/** The packages: the root package.json's workspaces, plus bench/ (a folder of the root). */
export function packagesOf(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces?: string[] };
  const names = [...(pkg.workspaces ?? [])];
  if (existsSync(join(root, 'bench')) && !names.includes('bench')) names.push('bench');
  return names;
}

function sourceFiles(root: string, dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = dir === '' ? e.name : `${dir}/${e.name}`;
    if (e.isDirectory()) {
      if (!SKIP.has(e.name) && !SKIP_PATHS.has(rel)) sourceFiles(root, rel, out);
    } else if (SOURCE.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

const toPosix = (p: string) => p.split(sep).join('/');

/** `code` or `test`, and the folder inside the package the file sits in. */
function place(file: string): { pkg: string; scope: Scope; folder: string } {
  const [pkg, folder = ''] = file.split('/');
  return { pkg: pkg!, scope: folder === 'test' ? 'test' : 'code', folder };
}

function allowedNames(pkg: string, scope: Scope, folder: string): readonly string[] | undefined {
  const rule = PACKAGE_RULES[pkg];
  if (rule === undefined) return undefined;
  return [...rule.code, ...(scope === 'test' ? (rule.test ?? []) : []), ...(rule.folders?.[folder] ?? [])];
}

const matches = (spec: string, allowed: string) => spec === allowed || spec.startsWith(allowed + '/');

/** web/src/<folder>/… → the folder's name in WEB_FOLDERS (`ui` for the rest of web/src). */
function webFolder(file: string): string | undefined {
  if (!file.startsWith('web/src/')) return undefined;
  const parts = file.split('/');
  const first = parts.length > 3 ? parts[2]! : '';
  return first in WEB_FOLDERS ? first : 'ui';
}

function checkImport(root: string, file: string, spec: string, packages: Set<string>): Violation | undefined {
  const from = place(file);
  if (spec.startsWith('@parley/')) {
    const target = spec.slice('@parley/'.length).split('/')[0]!;
    if (target === from.pkg) return undefined;
    const allowed = allowedNames(from.pkg, from.scope, from.folder);
    if (allowed === undefined) return { file, imports: spec, rule: `${from.pkg} is not in the layer table (test-kit/src/layers/rules.ts)` };
    if (allowed.some((a) => matches(spec, a))) return undefined;
    return { file, imports: spec, rule: `${from.pkg}${from.scope === 'test' ? ' tests' : ''} may import only ${allowed.join(', ') || 'nothing of ours'}` };
  }
  if (!spec.startsWith('.')) return undefined; // a third-party package or node:
  const target = toPosix(relative(root, resolve(root, dirname(file), spec)));
  const to = target.split('/')[0]!;
  if (target.startsWith('..')) return { file, imports: spec, rule: 'a relative import leaves the repository' };
  if (to !== from.pkg) {
    if (CROSSING_ALLOWED.some(([a, b]) => file.startsWith(a) && target.startsWith(b))) return undefined;
    const what = packages.has(to) ? `another package's folder (${to}/${target.split('/')[1] ?? ''}); import it by name (@parley/${to})` : `a file outside its package (${target})`;
    return { file, imports: spec, rule: `a relative import reaches into ${what}` };
  }
  const fromWeb = webFolder(file);
  const toWeb = webFolder(target);
  if (fromWeb !== undefined && toWeb !== undefined && !WEB_FOLDERS[fromWeb]!.includes(toWeb)) {
    return { file, imports: spec, rule: `web/src: code in ${fromWeb} may import only ${WEB_FOLDERS[fromWeb]!.join(', ')} (web/README.md, where code runs)` };
  }
  return undefined;
}

/** tsconfig*.json files of a package (its projects) naming the DOM library, outside DOM_PACKAGES. */
function checkDomLib(root: string, pkg: string): Violation[] {
  if (DOM_PACKAGES.includes(pkg)) return [];
  const out: Violation[] = [];
  for (const dir of [pkg, `${pkg}/test`]) {
    if (!existsSync(join(root, dir)) || !statSync(join(root, dir)).isDirectory()) continue;
    for (const name of readdirSync(join(root, dir)).filter((n) => /^tsconfig.*\.json$/.test(n))) {
      const file = `${dir}/${name}`;
      const { config } = ts.readConfigFile(join(root, file), ts.sys.readFile);
      const lib = (config?.compilerOptions?.lib ?? []) as string[];
      for (const l of lib.filter((x) => /^dom/i.test(x))) {
        out.push({ file, imports: `lib ${l}`, rule: `only ${DOM_PACKAGES.join(', ')} runs in a browser; ${pkg} must type-check without the DOM library` });
      }
    }
  }
  return out;
}

/** Every violation in the repository at `root` (empty when the layers hold). */
export function checkRepository(root: string): Violation[] {
  const packages = packagesOf(root);
  const known = new Set(packages);
  const out: Violation[] = [];
  const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile).config as { compilerOptions?: { lib?: string[] } } | undefined;
  for (const l of (base?.compilerOptions?.lib ?? []).filter((x) => /^dom/i.test(x))) {
    out.push({ file: 'tsconfig.base.json', imports: `lib ${l}`, rule: 'the DOM library belongs only in the tsconfig of a package that runs in a browser' });
  }
  for (const pkg of packages) {
    if (!existsSync(join(root, pkg))) continue;
    if (PACKAGE_RULES[pkg] === undefined) {
      out.push({ file: `${pkg}/package.json`, imports: '', rule: `${pkg} is not in the layer table (test-kit/src/layers/rules.ts)` });
      continue;
    }
    out.push(...checkDomLib(root, pkg));
    for (const file of sourceFiles(root, pkg)) {
      const text = readFileSync(join(root, file), 'utf8');
      const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      if (lines > MAX_SOURCE_LINES && !LINE_LIMIT_EXEMPT.some((p) => file.startsWith(p) || file.includes(p))) {
        out.push({ file, imports: '', rule: `${lines} lines, more than ${MAX_SOURCE_LINES}: split it into modules with one job each` });
      }
      for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
        const v = checkImport(root, file, fileName, known);
        if (v !== undefined) out.push(v);
      }
    }
  }
  return out;
}

export function formatViolation(v: Violation): string {
  return `${v.file}: ${v.imports ? `'${v.imports}': ` : ''}${v.rule}`;
}
