/**
 * The root help (`wschat`, `wschat --help`): clipanion's list of commands, then the exit codes,
 * so that a script's author finds them without the README. Built from errors.ts, the one place
 * that defines them.
 */
import { Command } from 'clipanion';
import { EXIT_MEANING, EXIT_OF, type CliErrorCode, type ExitCode } from '../errors.ts';

export function exitCodesHelp(): string {
  const lines = ['Exit codes (with --json, the error object names the code in capitals)', ''];
  for (const [exit, meaning] of Object.entries(EXIT_MEANING)) {
    const codes = (Object.keys(EXIT_OF) as CliErrorCode[]).filter((c) => EXIT_OF[c] === (Number(exit) as ExitCode));
    lines.push(`  ${exit.padEnd(3)} ${codes.length > 0 ? `${codes.join(', ')}: ` : ''}${meaning}`);
  }
  return lines.join('\n') + '\n';
}

export function rootHelp(cli: { usage(command?: null): string }): string {
  return `${cli.usage(null)}\n${exitCodesHelp()}`;
}

export class HelpCommand extends Command {
  static override paths = [['-h'], ['--help']];

  async execute(): Promise<number> {
    this.context.stdout.write(rootHelp(this.cli));
    return 0;
  }
}
