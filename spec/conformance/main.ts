/**
 * `npm run conformance -- [options] <command> [args...]`: runs an implementation of Parley's wire
 * format over the protocol in spec/conformance/PROTOCOL.md against generated/vectors/*.json.
 * Exit status: 0 every case passed or is a listed known failure; 1 an unexpected failure or an
 * unexpected pass; 2 the run could not happen (usage, spawn, hello, vectors, known-failures file).
 */
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConformanceError, isConformanceError } from './errors.ts';
import { KnownFailures } from './known.ts';
import { DEFAULTS, runConformance, type RunOptions } from './runner.ts';

const specDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const rootDir = resolve(specDir, '..');
export const DEFAULT_VECTORS = resolve(rootDir, 'generated/vectors');
export const DEFAULT_KNOWN_FAILURES = resolve(specDir, 'conformance/known-failures.txt');

export const USAGE = `usage: npm run conformance -- [options] <command> [args...]

Runs <command> as a Parley implementation speaking spec/conformance/PROTOCOL.md on stdin/stdout,
against every vector in generated/vectors/*.json. Options come before the command:

  --vectors <path>          vector file or folder; repeatable (default generated/vectors)
  --known-failures <file>   case names (or * patterns) expected to fail
                            (default spec/conformance/known-failures.txt)
  --filter <text>           only cases whose name contains <text>
  --timeout <ms>            per-request timeout (default ${DEFAULTS.timeoutMs})
  --startup-timeout <ms>    start-up and hello timeout (default ${DEFAULTS.startupTimeoutMs})
  --max-message-bytes <n>   largest message accepted from the implementation (default ${DEFAULTS.maxMessageBytes})
  --max-restarts <n>        restarts after a crash or hang before giving up (default ${DEFAULTS.maxRestarts})
  --ignore-offsets          accept any error offset (implementations that do not track them)
  --quiet                   print only failures and the summary

Example: npm run conformance -- npx tsx spec/conformance/adapters/typescript.ts`;

const VALUE_OPTIONS = ['--vectors', '--known-failures', '--filter', '--timeout', '--startup-timeout', '--max-message-bytes', '--max-restarts'] as const;
const FLAG_OPTIONS = ['--ignore-offsets', '--quiet', '--help'] as const;

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new ConformanceError('CONF_USAGE', `${name} needs a non-negative integer, got "${text}"`);
  return n;
}

/** Parses options up to the first non-option word (or `--`); the rest is the command. */
export function parseCommandLine(argv: string[], cwd: string): RunOptions & { knownFailuresPath: string } {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('--')) break;
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if ((FLAG_OPTIONS as readonly string[]).includes(name)) flags.add(name);
    else if ((VALUE_OPTIONS as readonly string[]).includes(name)) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new ConformanceError('CONF_USAGE', `${name} needs a value\n${USAGE}`);
      values.set(name, [...(values.get(name) ?? []), v]);
    } else throw new ConformanceError('CONF_USAGE', `unknown option ${name}\n${USAGE}`);
  }
  if (flags.has('--help')) throw new ConformanceError('CONF_USAGE', USAGE);
  const [command, ...args] = argv.slice(i);
  if (!command) throw new ConformanceError('CONF_USAGE', `no implementation command given\n${USAGE}`);
  const one = (name: string) => values.get(name)?.at(-1);
  const num = (name: string) => (one(name) === undefined ? undefined : positiveInt(name, one(name)!));
  const knownFailuresPath = one('--known-failures') ? resolve(cwd, one('--known-failures')!) : DEFAULT_KNOWN_FAILURES;
  return {
    command,
    args,
    vectors: (values.get('--vectors') ?? [DEFAULT_VECTORS]).map((p) => resolve(cwd, p)),
    knownFailuresPath,
    filter: one('--filter'),
    timeoutMs: num('--timeout'),
    startupTimeoutMs: num('--startup-timeout'),
    maxMessageBytes: num('--max-message-bytes'),
    maxRestarts: num('--max-restarts'),
    ignoreOffsets: flags.has('--ignore-offsets'),
    quiet: flags.has('--quiet'),
    cwd,
  };
}

async function main(): Promise<number> {
  const cwd = process.env.INIT_CWD ?? process.cwd();
  try {
    const options = parseCommandLine(process.argv.slice(2), cwd);
    const explicit = options.knownFailuresPath !== DEFAULT_KNOWN_FAILURES;
    const known = explicit || existsSync(options.knownFailuresPath) ? KnownFailures.read(options.knownFailuresPath) : new KnownFailures([]);
    const result = await runConformance({ ...options, knownFailures: known, knownFailuresFile: relative(cwd, options.knownFailuresPath) || options.knownFailuresPath });
    return result.exitCode;
  } catch (e) {
    if (isConformanceError(e)) {
      console.error(`conformance: ${e.code}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main();
