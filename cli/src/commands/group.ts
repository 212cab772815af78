/**
 * `wschat contact` and `wschat file` without a subcommand (or with an unknown one): one line
 * naming the subcommands, exit 2, like every other usage error. Without this, clipanion prints
 * its several-line "Unknown Syntax Error" listing every candidate's full usage. `--help` after
 * a group lists its subcommands (main.ts), since clipanion would show this command's own help.
 */
import { Option } from 'clipanion';
import { BadUsageError } from '../errors.ts';
import { BaseCommand } from './base.ts';

type Definitions = { definitions(): { path: string; description?: string }[] };

/** The subcommands of a group, with their descriptions, from the registered commands. */
function subcommands(cli: Definitions, group: string): { name: string; description: string }[] {
  return cli.definitions().flatMap((d) => {
    const words = d.path.split(' ').slice(1);
    return words.length === 2 && words[0] === group ? [{ name: words[1]!, description: (d.description ?? '').trim() }] : [];
  });
}

export function isGroup(word: string | undefined): boolean {
  return GroupCommand.paths.some((p) => p[0] === word);
}

export function groupHelp(cli: Definitions, group: string): string {
  const subs = subcommands(cli, group);
  const width = Math.max(...subs.map((s) => s.name.length));
  return [`wschat ${group} <subcommand>`, '', ...subs.map((s) => `  ${s.name.padEnd(width)}  ${s.description}`), '', `wschat ${group} <subcommand> --help shows one in full.`, ''].join('\n');
}

export class GroupCommand extends BaseCommand {
  // no `usage`: not listed in the help, where the subcommands are
  static override paths = [['contact'], ['file']];

  words = Option.Rest();

  protected async run(): Promise<number> {
    const group = this.path[0] ?? '';
    const subs = subcommands(this.cli, group).map((s) => s.name);
    const given = this.words[0];
    const what = given === undefined ? 'needs a subcommand' : `has no subcommand ${JSON.stringify(given.slice(0, 40))}`;
    throw new BadUsageError(`wschat ${group} ${what}: ${subs.join(', ')} (wschat ${group} --help)`);
  }
}
