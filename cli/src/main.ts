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
import { FileSendCommand } from './commands/file/send.ts';
import { InitCommand } from './commands/init.ts';
import { ListenCommand } from './commands/listen.ts';
import { RequestsAcceptCommand } from './commands/requests/accept.ts';
import { RequestsListCommand } from './commands/requests/list.ts';
import { RequestsRejectCommand } from './commands/requests/reject.ts';
import { SendCommand } from './commands/send.ts';
import { WhoamiCommand } from './commands/whoami.ts';
import { EXIT } from './errors.ts';

export const VERSION = '0.1.0';

export function createCli(): Cli {
  const cli = new Cli({ binaryLabel: 'wschat — Parley, end-to-end encrypted chat', binaryName: 'wschat', binaryVersion: VERSION, enableCapture: false,
    // colours only on a terminal, and never with NO_COLOR (https://no-color.org)
    enableColors: process.stdout.isTTY === true && !process.env.NO_COLOR });
  for (const c of [
    InitCommand, WhoamiCommand,
    ContactAddCommand, ContactListCommand, ContactRemoveCommand, ContactVerifyCommand,
    RequestsListCommand, RequestsAcceptCommand, RequestsRejectCommand,
    SendCommand, ListenCommand, ChatCommand, FileSendCommand, BridgeCommand,
    Builtins.HelpCommand, Builtins.VersionCommand,
  ]) cli.register(c);
  return cli;
}

export async function main(argv: string[], context: Partial<Parameters<Cli['run']>[1]> = {}): Promise<number> {
  const cli = createCli();
  const ctx = { ...Cli.defaultContext, ...context };
  if (argv.length === 0) {
    ctx.stdout.write(cli.usage(null));
    return EXIT.usage;
  }
  let command;
  try {
    command = cli.process(argv, ctx);
  } catch (err) {
    // An option value its validator refuses: one line, like every other failure. An unknown
    // command or option: clipanion's message, which lists the commands that come close.
    const message = err instanceof UsageError ? err.message : undefined;
    if (argv.includes('--json')) ctx.stderr.write(JSON.stringify({ type: 'error', code: 'USAGE', exit: EXIT.usage, message: message ?? String((err as Error).message).split('\n')[0] }) + '\n');
    else if (message !== undefined) ctx.stderr.write(`wschat: ${message}\n`);
    else ctx.stderr.write(cli.error(err, { colored: false }));
    return EXIT.usage;
  }
  return cli.run(command, ctx);
}
