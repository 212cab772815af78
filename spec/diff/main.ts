/**
 * `npm run spec:diff -- <old.yaml> <new.yaml> [--json]`
 * `npm run spec:diff -- --against <git-rev> [<file>] [--json]`
 *
 * Exit status: 0 no WIRE change, or protocol.version raised; 1 WIRE changes without a version
 * raise; 2 usage error, unreadable file, unknown revision or invalid spec. See RULES.md.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isSpecError } from '../generator/errors.ts';
import type { SpecIR } from '../generator/ir.ts';
import { loadSpec } from '../generator/load.ts';
import { diffSpecs } from './compare.ts';
import { DiffError, isDiffError } from './errors.ts';
import { formatJson, formatText, type DiffReport } from './report.ts';

const specDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const USAGE = `usage: npm run spec:diff -- <old.yaml> <new.yaml> [--json]
       npm run spec:diff -- --against <git-rev> [<file>] [--json]

Reports every change between two versions of a Parley spec as named rules (spec/diff/RULES.md),
grouped WIRE, API, DOC, INFO. --against compares <file> (default spec/protocol.yaml) as committed
at <git-rev> with the working copy. Exit status 1 when there is a WIRE change and protocol.version
was not raised; 2 on a usage error, an unreadable file, an unknown revision or an invalid spec.`;

export interface DiffOptions {
  /** Paths resolve against this folder (npm sets INIT_CWD to where the user ran npm). */
  cwd?: string;
}

function load(text: string, name: string): SpecIR {
  try {
    return loadSpec(text, name);
  } catch (e) {
    if (isSpecError(e)) throw new DiffError('DIFF_SPEC_INVALID', e.message);
    throw e;
  }
}

function readSpec(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new DiffError('DIFF_READ', `cannot read ${file}: ${(e as Error).message}`);
  }
}

function git(args: string[], cwd: string): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new DiffError('DIFF_GIT', `git ${args.join(' ')}: ${(err.stderr || err.message).trim()}`);
  }
}

/** Runs the diff for a command line (without node and script); returns the report. */
export function runDiff(argv: string[], options: DiffOptions = {}): { report: DiffReport; json: boolean } {
  const cwd = options.cwd ?? process.env.INIT_CWD ?? process.cwd();
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, against: { type: 'string' }, help: { type: 'boolean' } } });
  } catch (e) {
    throw new DiffError('DIFF_USAGE', `${(e as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) throw new DiffError('DIFF_USAGE', USAGE);
  const json = values.json ?? false;
  if (values.against !== undefined) {
    if (positionals.length > 1) throw new DiffError('DIFF_USAGE', `--against takes at most one file\n${USAGE}`);
    const file = positionals[0] ? resolve(cwd, positionals[0]) : resolve(specDir, 'protocol.yaml');
    const top = git(['rev-parse', '--show-toplevel'], dirname(file)).trim();
    const inRepo = relative(top, file).split('\\').join('/');
    const oldText = git(['show', `${values.against}:${inRepo}`], top);
    const oldName = `${values.against}:${inRepo}`;
    const newName = relative(cwd, file) || file;
    const report = diffSpecs(load(oldText, oldName), load(readSpec(file), newName), { old: oldName, new: newName });
    return { report, json };
  }
  if (positionals.length !== 2) throw new DiffError('DIFF_USAGE', `expected two spec files, got ${positionals.length}\n${USAGE}`);
  const [a, b] = positionals.map((p) => resolve(cwd, p)) as [string, string];
  const names = { old: relative(cwd, a) || a, new: relative(cwd, b) || b };
  const report = diffSpecs(load(readSpec(a), names.old), load(readSpec(b), names.new), names);
  return { report, json };
}

function main(): number {
  try {
    const { report, json } = runDiff(process.argv.slice(2));
    process.stdout.write(json ? formatJson(report) : formatText(report));
    return report.exitCode;
  } catch (e) {
    if (isDiffError(e)) {
      if (process.argv.includes('--json')) process.stdout.write(JSON.stringify({ error: { code: e.code, message: e.message } }, null, 2) + '\n');
      console.error(`spec:diff: ${e.code}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
