/**
 * `npm run soak -- [--clients N] [--seconds S] [--kills K] [--rate R] [--json]`: see README.md.
 * Exit status 0 when every check passed, 1 when one failed, 2 for bad flags or a setup that did
 * not fit in the time given.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SetupError, runSoak } from './coordinator.ts';
import { USAGE, UsageError, parseArgs } from './options.ts';
import { formatReport, summarize } from './summary.ts';

async function main(argv: string[]): Promise<number> {
  let o;
  try {
    o = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`soak: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (o === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const t0 = Date.now();
  const say = (line: string) => process.stderr.write(`soak +${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s  ${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'parley-soak-'));
  let run;
  try {
    run = await runSoak(o, dir, say);
  } catch (e) {
    const setup = e instanceof SetupError;
    process.stderr.write(`soak: ${setup ? 'setup failed' : 'failed'}: ${(e as Error).message}\n  relay log kept in ${dir}\n`);
    if (o.json) process.stdout.write(JSON.stringify({ ok: false, failures: [(e as Error).message], setupFailed: setup }) + '\n');
    return setup ? 2 : 1;
  }
  const report = summarize(run);
  if (report.ok) rmSync(dir, { recursive: true, force: true });
  else process.stderr.write(`soak: relay log kept in ${dir}\n`);
  process.stdout.write((o.json ? JSON.stringify(report) : formatReport(report)) + '\n');
  return report.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`soak: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
