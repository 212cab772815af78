/**
 * wschat: the Parley command line. `main(argv)` parses the arguments (clipanion), runs the
 * command and returns its exit code (cli/README.md "Exit codes"); it never throws.
 */
import { Builtins, Cli, UsageError } from 'clipanion';
import { BridgeCommand } from './commands/bridge.ts';
import { ChatCommand } from './commands/chat.ts';
import { ContactAddCommand } from './commands/contact/add.ts';
import { ContactListCommand } from './commands/contact/list.ts';
import { ContactRemoveCommand } from './commands/contact/remove.ts';
import { ContactVerifyCommand } from './commands/contact/verify.ts';
import { FilePauseCommand, FileResumeCommand } from './commands/file/pause.ts';
import { FileSendCommand } from './commands/file/send.ts';
import { GroupCommand, groupHelp, isGroup } from './commands/group.ts';
import { HelpCommand, rootHelp } from './commands/help.ts';
import { InitCommand } from './commands/init.ts';
import { ListenCommand } from './commands/listen.ts';
import { RequestsAcceptCommand } from './commands/requests/accept.ts';
import { RequestsListCommand } from './commands/requests/list.ts';
import { RequestsRejectCommand } from './commands/requests/reject.ts';
import { SendCommand } from './commands/send.ts';
import { WhoamiCommand } from './commands/whoami.ts';
import { EXIT } from './errors.ts';
import { nameOptionValues } from './value-names.ts';

export const VERSION = '0.1.0';

/** clipanion's Cli, with option values named in every help text (value-names.ts). */
class WschatCli extends Cli {
  override usage(...args: Parameters<Cli['usage']>): string {
    return nameOptionValues(super.usage(...args));
  }
}

export function createCli(): Cli {
  const cli = new WschatCli({ binaryLabel: 'wschat — Parley, end-to-end encrypted chat', binaryName: 'wschat', binaryVersion: VERSION, enableCapture: false,
    // colours only on a terminal, and never with NO_COLOR (https://no-color.org)
    enableColors: process.stdout.isTTY === true && !process.env.NO_COLOR });
  for (const c of [
    InitCommand, WhoamiCommand,
    ContactAddCommand, ContactListCommand, ContactRemoveCommand, ContactVerifyCommand,
    RequestsListCommand, RequestsAcceptCommand, RequestsRejectCommand,
    SendCommand, ListenCommand, ChatCommand, FileSendCommand, FilePauseCommand, FileResumeCommand, BridgeCommand, GroupCommand,
    HelpCommand, Builtins.VersionCommand,
  ]) cli.register(c);
  return cli;
}

export async function main(argv: string[], context: Partial<Parameters<Cli['run']>[1]> = {}): Promise<number> {
  const cli = createCli();
  const ctx = { ...Cli.defaultContext, ...context };
  if (argv.length === 0) {
    ctx.stdout.write(rootHelp(cli));
    return EXIT.usage;
  }
  if (argv.length === 2 && isGroup(argv[0]) && (argv[1] === '--help' || argv[1] === '-h')) {
    ctx.stdout.write(groupHelp(cli, argv[0]!));
    return EXIT.ok;
  }
  let command;
  try {
    command = cli.process(argv, ctx);
  } catch (err) {
    // One line, like every other failure, and exit 2 (usage).
    const message = parseFailure(err);
    if (argv.includes('--json')) ctx.stderr.write(JSON.stringify({ type: 'error', code: 'USAGE', exit: EXIT.usage, message }) + '\n');
    else ctx.stderr.write(`wschat: ${message}\n`);
    return EXIT.usage;
  }
  return cli.run(command, ctx);
}

/** Candidate commands named in a parse failure at most: more would not fit a line. */
const MAX_CANDIDATES = 3;

/**
 * A parse failure as one line. An option value refused by its validator is a UsageError (one
 * line already). An unknown command, a missing argument or an unknown option is clipanion's
 * UnknownSyntaxError, whose message spreads the candidates' full usage over several lines:
 * here they are named with their arguments only (the options are in `--help`).
 */
export function parseFailure(err: unknown): string {
  if (err instanceof UsageError) return err.message;
  const e = err as { name?: unknown; message?: unknown; candidates?: { usage: string; reason: string | null }[] };
  const candidates = Array.isArray(e.candidates) ? e.candidates : [];
  const short = (usage: string): string => usage.replace(/ \[[^\]]*\]/g, '');
  const named = candidates.slice(0, MAX_CANDIDATES).map((c) => short(c.usage)).join(' | ');
  const reason = candidates[0]?.reason;
  if (reason && candidates.every((c) => c.reason === reason)) {
    return `${reason.replace(/\.$/, '')}: ${named}${candidates.length > MAX_CANDIDATES ? ' | …' : ''} (add --help for the options)`;
  }
  if (candidates.length > 0 && candidates.length <= MAX_CANDIDATES) return `unknown command; did you mean ${named}? (wschat --help lists the commands)`;
  if (e.name === 'UnknownSyntaxError' || e.name === 'AmbiguousSyntaxError') return 'unknown command (wschat --help lists the commands)';
  return typeof e.message === 'string' ? e.message.split('\n')[0]! : String(err);
}
