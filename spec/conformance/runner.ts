/**
 * Runs every vector case against an implementation and reports pass or fail per case, then
 * `conformance: N passed, M failed`. A failure listed in the known-failures file is expected; a
 * listed case that passes is an error too, so the list only shrinks.
 */
import { readFileSync } from 'node:fs';
import { Implementation, type HelloInfo } from './child.ts';
import { check } from './check.ts';
import type { FailureCode } from './errors.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from './framing.ts';
import { KnownFailures } from './known.ts';
import { loadVectors, type Case } from './vectors.ts';

/** Limits and defaults; every one is a command-line option (main.ts). */
export const DEFAULTS = {
  /** Per-request timeout: a codec call takes microseconds, so 10 s means a hang. */
  timeoutMs: 10_000,
  /** Start-up and hello: allows for a JIT or an interpreter loading a generated module. */
  startupTimeoutMs: 60_000,
  /** Largest message accepted from the implementation. */
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  /** Fresh starts after a crash or a hang before the remaining cases are abandoned. */
  maxRestarts: 5,
} as const;

export interface RunOptions {
  command: string;
  args: string[];
  /** Vector files or folders. */
  vectors: string[];
  knownFailures?: KnownFailures;
  /** Shown in messages about the known-failures list. */
  knownFailuresFile?: string;
  timeoutMs?: number;
  startupTimeoutMs?: number;
  maxMessageBytes?: number;
  maxRestarts?: number;
  ignoreOffsets?: boolean;
  /** Only cases whose name contains this text. */
  filter?: string;
  /** Print only failures and the summary. */
  quiet?: boolean;
  cwd?: string;
  log?: (line: string) => void;
}

export type CaseStatus = 'pass' | 'fail' | 'xfail' | 'xpass';

export interface CaseResult {
  name: string;
  op: Case['op'];
  status: CaseStatus;
  code?: FailureCode;
  detail?: string;
}

export interface RunResult {
  implementation: HelloInfo;
  results: CaseResult[];
  passed: number;
  failed: number;
  expectedFailures: number;
  unexpectedFailures: number;
  unexpectedPasses: number;
  notes: string[];
  /** 1 on an unexpected failure or an unexpected pass, else 0. */
  exitCode: 0 | 1;
}

/** The protocol the vectors describe (`protocol` member of a vector file), sent with hello. */
function protocolOf(files: string[]): { name: string; version: number } {
  for (const f of files) {
    const p = (JSON.parse(readFileSync(f, 'utf8')) as { protocol?: { name?: unknown; version?: unknown } }).protocol;
    if (p && typeof p.name === 'string' && typeof p.version === 'number') return { name: p.name, version: p.version };
  }
  return { name: 'Parley', version: 0 };
}

export async function runConformance(o: RunOptions): Promise<RunResult> {
  const log = o.log ?? ((line: string) => process.stdout.write(line + '\n'));
  const known = o.knownFailures ?? new KnownFailures([]);
  const listName = o.knownFailuresFile ?? 'the known-failures list';
  const { cases: all, files, notes } = loadVectors(o.vectors);
  const cases = o.filter ? all.filter((c) => c.name.includes(o.filter!)) : all;
  const impl = new Implementation(o.command, o.args, {
    timeoutMs: o.timeoutMs ?? DEFAULTS.timeoutMs,
    startupTimeoutMs: o.startupTimeoutMs ?? DEFAULTS.startupTimeoutMs,
    maxMessageBytes: o.maxMessageBytes ?? DEFAULTS.maxMessageBytes,
    maxRestarts: o.maxRestarts ?? DEFAULTS.maxRestarts,
    spec: protocolOf(files),
    cwd: o.cwd,
  });
  const hello = await impl.start();
  log(`conformance: ${hello.name}${hello.version ? ` ${hello.version}` : ''} (ops: ${hello.ops.join(', ') || 'none'}); ${cases.length} cases from ${files.length} file(s)`);
  for (const n of notes) log(`note: ${n}`);
  const results: CaseResult[] = [];
  try {
    for (const c of cases) {
      const verdict = hello.ops.includes(c.op)
        ? check(c, await impl.request(c.request), { ignoreOffsets: o.ignoreOffsets ?? false })
        : ({ pass: false, code: 'UNSUPPORTED', detail: `the implementation does not list op ${c.op}` } as const);
      const listed = known.has(c.name);
      const r: CaseResult = verdict.pass
        ? { name: c.name, op: c.op, status: listed ? 'xpass' : 'pass' }
        : { name: c.name, op: c.op, status: listed ? 'xfail' : 'fail', code: verdict.code, detail: verdict.detail };
      results.push(r);
      const line = formatResult(r, listName);
      if (!o.quiet || r.status === 'fail' || r.status === 'xpass') log(line);
    }
  } finally {
    await impl.close();
  }
  const count = (s: CaseStatus) => results.filter((r) => r.status === s).length;
  const passed = count('pass') + count('xpass');
  const expectedFailures = count('xfail');
  const unexpectedFailures = count('fail');
  const unexpectedPasses = count('xpass');
  const unused = o.filter ? [] : known.unused().map((e) => `${listName}: "${e}" matches no case`);
  for (const n of unused) log(`note: ${n}`);
  notes.push(...unused);
  if (expectedFailures) log(`conformance: ${expectedFailures} of the failures are listed in ${listName}`);
  if (unexpectedPasses) log(`conformance: ${unexpectedPasses} listed case(s) passed: remove them from ${listName}`);
  log(`conformance: ${passed} passed, ${expectedFailures + unexpectedFailures} failed`);
  return {
    implementation: hello,
    results,
    passed,
    failed: expectedFailures + unexpectedFailures,
    expectedFailures,
    unexpectedFailures,
    unexpectedPasses,
    notes,
    exitCode: unexpectedFailures || unexpectedPasses ? 1 : 0,
  };
}

export function formatResult(r: CaseResult, listName: string): string {
  switch (r.status) {
    case 'pass':
      return `pass  ${r.name}`;
    case 'fail':
      return `FAIL  ${r.name}: ${r.code}: ${r.detail}`;
    case 'xfail':
      return `xfail ${r.name}: ${r.code}: ${r.detail} (listed in ${listName})`;
    case 'xpass':
      return `XPASS ${r.name}: passed, but is listed in ${listName}`;
  }
}
