/**
 * `npm run gen`: validates spec/protocol.yaml and writes generated/.
 * `npm run gen:check`: writes into a temporary folder and fails, printing a diff summary, if
 * anything in generated/ differs (stale or hand-edited files).
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from './load.ts';
import { isSpecError } from './errors.ts';
import type { GeneratedFile, Emitter } from './emit/file.ts';
import { emitters } from './emit/index.ts';

const specDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const rootDir = resolve(specDir, '..');
const generatedDir = join(rootDir, 'generated');

/**
 * Folders of generated/ that the spec generator owns entirely: a file there that no emitter
 * wrote is stale. Other generated files (vectors/frames.json, written by runtime's
 * `gen:frames` because it needs the crypto runtime) are checked by their own command.
 */
export const OWNED_DIRS = ['src', 'testing'];

export function generate(specFile = join(specDir, 'protocol.yaml'), list: Emitter[] = emitters): GeneratedFile[] {
  const ir = loadSpecFile(specFile, relative(rootDir, specFile));
  return list.flatMap((emit) => emit(ir));
}

function write(files: GeneratedFile[], outDir: string): void {
  for (const f of files) {
    const p = join(outDir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
  }
}

function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  if (statSync(dir).isFile()) return [relative(base, dir)];
  return readdirSync(dir).flatMap((n) => listFiles(join(dir, n), base));
}

function ownedFiles(dir: string, emitted: GeneratedFile[]): string[] {
  const files = new Set(OWNED_DIRS.flatMap((o) => listFiles(join(dir, o), dir)));
  for (const f of emitted) if (existsSync(join(dir, f.path))) files.add(f.path);
  return [...files];
}

function main(): number {
  const check = process.argv.includes('--check');
  let files: GeneratedFile[];
  try {
    files = generate();
  } catch (e) {
    if (isSpecError(e)) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  if (!check) {
    for (const o of OWNED_DIRS) rmSync(join(generatedDir, o), { recursive: true, force: true });
    write(files, generatedDir);
    console.log(`gen: wrote ${files.length} files into generated/`);
    return 0;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'parley-gen-'));
  try {
    write(files, tmp);
    const want = new Set(ownedFiles(tmp, files));
    const have = new Set(ownedFiles(generatedDir, files));
    const problems: string[] = [];
    for (const f of want) {
      if (!have.has(f)) problems.push(`missing   generated/${f}`);
      else if (!readFileSync(join(tmp, f)).equals(readFileSync(join(generatedDir, f)))) problems.push(`stale     generated/${f}${firstDiff(join(tmp, f), join(generatedDir, f))}`);
    }
    for (const f of have) if (!want.has(f)) problems.push(`unexpected generated/${f}`);
    if (problems.length) {
      console.error(`gen:check: generated/ does not match spec/protocol.yaml. Run \`npm run gen\` and commit.\n${problems.join('\n')}`);
      return 1;
    }
    console.log(`gen:check: generated/ is up to date (${want.size} files)`);
    return 0;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function firstDiff(a: string, b: string): string {
  const x = readFileSync(a, 'utf8').split('\n');
  const y = readFileSync(b, 'utf8').split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if (x[i] !== y[i]) return `\n    line ${i + 1}:\n    - ${(y[i] ?? '<end>').slice(0, 160)}\n    + ${(x[i] ?? '<end>').slice(0, 160)}`;
  return '';
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exit(main());
