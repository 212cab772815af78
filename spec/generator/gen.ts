/**
 * `npm run gen`: validates spec/protocol.yaml and writes all of generated/: the files the
 * emitters write from the spec, the files the steps below compute, and generated/manifest.json
 * (the spec's hash and every file's). It also removes any file an earlier run wrote that this one
 * does not. Hand-written files (output.ts, HAND_WRITTEN) are left alone.
 *
 * `npm run gen:check`: computes the same files in memory and fails, naming each one, if generated/
 * has a file missing, an extra file, a stale file (the spec or the generator changed), or a file
 * edited by hand (its hash is not the one the manifest lists).
 *
 * Options (for tests and other specs): --spec <file> (default spec/protocol.yaml), --out <dir>
 * (default generated/), --no-steps (only what the emitters write).
 */
import { spawnSync } from 'node:child_process';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from './load.ts';
import { isSpecError } from './errors.ts';
import type { SpecIR } from './ir.ts';
import type { GeneratedFile, Emitter } from './emit/file.ts';
import { renderDocs, type DocsExtras } from './emit/docs.ts';
import { emitters } from './emit/index.ts';
import { buildManifest } from './manifest.ts';
import { compareGenerated, writeGenerated } from './output.ts';

const specDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const rootDir = resolve(specDir, '..');
const generatedDir = join(rootDir, 'generated');

/**
 * A generated file computed by a program of another package, run after the emitters' files are
 * written: its standard output is the file's content.
 */
export interface Step {
  /** Path relative to generated/. */
  path: string;
  /** TypeScript program, relative to the repository root. */
  script: string;
  /** Arguments that tell the program which file to print. */
  args?: readonly string[];
}

/**
 * generated/vectors/frames.json, rules.json and ratchet.json: complete frames (handshake, peer,
 * control, first contact), the acceptance rules' vectors and a scripted v2 conversation, from
 * fixed inputs. Computing them takes the crypto runtime, which lives in runtime/ only and is built
 * on the codecs the emitters have just written; so the runtime computes them, and gen writes them
 * beside codec.json, where implementers and the conformance runner read every vector.
 */
export const STEPS: readonly Step[] = [
  { path: 'vectors/frames.json', script: 'runtime/scripts/gen-frames.ts', args: ['frames'] },
  { path: 'vectors/rules.json', script: 'runtime/scripts/gen-frames.ts', args: ['rules'] },
  { path: 'vectors/ratchet.json', script: 'runtime/scripts/gen-ratchet.ts' },
];

/** The files the emitters write from a spec (without the steps' files and the manifest). */
export function generate(specFile = join(specDir, 'protocol.yaml'), list: Emitter[] = emitters): GeneratedFile[] {
  return emitAll(specFile, list).files;
}

function emitAll(specFile: string, list: Emitter[] = emitters): { ir: SpecIR; files: GeneratedFile[] } {
  const ir = loadSpecFile(specFile);
  return { ir, files: list.flatMap((emit) => emit(ir)) };
}

/** Everything gen writes for a spec: the emitters' files, the steps' files, and the manifest. */
export function generateAll(specFile: string, steps: readonly Step[] = STEPS): GeneratedFile[] {
  const { ir, files } = emitAll(specFile);
  const stepped = steps.map(runStep);
  const all = [...finish(ir, files, stepped), ...stepped];
  return [...all, buildManifest(ir, all)];
}

/**
 * The emitters' files as they stand once the steps have run: PROTOCOL.md also annotates the
 * invites of rules.json that verify (emit/docs.ts, DocsExtras). Without that step it is unchanged.
 */
export function finish(ir: SpecIR, files: GeneratedFile[], stepped: readonly GeneratedFile[]): GeneratedFile[] {
  const rules = stepped.find((f) => f.path === 'vectors/rules.json');
  if (rules === undefined) return files;
  const verifiedInvites = (JSON.parse(rules.content) as { invites?: { valid?: DocsExtras['verifiedInvites'] } }).invites?.valid ?? [];
  return files.map((f) => (f.path === 'PROTOCOL.md' ? { ...f, content: renderDocs(ir, { verifiedInvites }) } : f));
}

/** Runs a step's program (node with tsx, from the repository root) and returns its file. */
export function runStep(step: Step): GeneratedFile {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(rootDir, step.script), ...(step.args ?? [])], {
    cwd: rootDir,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 300_000,
  });
  if (r.status !== 0 || r.error) throw new Error(`gen: ${step.script} (for generated/${step.path}) failed: ${r.error?.message ?? `exit ${r.status}`}\n${r.stderr}`);
  return { path: step.path, content: r.stdout };
}

interface Options {
  check: boolean;
  specFile: string;
  outDir: string;
  steps: readonly Step[];
}

function parseArgs(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    check: argv.includes('--check'),
    specFile: resolve(value('--spec') ?? join(specDir, 'protocol.yaml')),
    outDir: resolve(value('--out') ?? generatedDir),
    steps: argv.includes('--no-steps') ? [] : STEPS,
  };
}

function main(argv: string[]): number {
  const o = parseArgs(argv);
  const inRepo = relative(rootDir, o.outDir);
  const shown = inRepo.startsWith('..') || isAbsolute(inRepo) ? o.outDir : inRepo;
  let ir: SpecIR;
  let files: GeneratedFile[];
  try {
    ({ ir, files } = emitAll(o.specFile));
  } catch (e) {
    if (isSpecError(e)) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  if (!o.check) {
    // The emitters' files first: the steps' programs import the codecs just written.
    writeGenerated(o.outDir, files, false);
    const stepped = o.steps.map(runStep);
    const all = [...finish(ir, files, stepped), ...stepped];
    writeGenerated(o.outDir, [...all, buildManifest(ir, all)], true);
    console.log(`gen: wrote ${all.length + 1} files into ${shown}/ (manifest.json lists them)`);
    return 0;
  }
  const stepped = o.steps.map(runStep);
  const want = [...finish(ir, files, stepped), ...stepped];
  const problems = compareGenerated(o.outDir, [...want, buildManifest(ir, want)]);
  if (problems.length) {
    const lines = problems.map((p) => `${p.kind.padEnd(12)} ${shown}/${p.path}${p.detail.includes('\n') ? '\n    ' + p.detail : ` (${p.detail})`}`);
    console.error(`gen:check: ${shown}/ does not match ${relative(rootDir, o.specFile)}. Run \`npm run gen\` and commit.\n${lines.join('\n')}`);
    return 1;
  }
  console.log(`gen:check: ${shown}/ is up to date (${want.length + 1} files)`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exit(main(process.argv.slice(2)));
