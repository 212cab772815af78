/**
 * Shared options and error handling. Every command returns its exit code; any error becomes one
 * line on stderr (a JSON object with `--json`) and the exit code of its kind (errors.ts).
 */
import { join } from 'node:path';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { QueuedOfflineError, classify } from '../errors.ts';
import { DOWNLOADS_DIR, Home, defaultHome } from '../home.ts';
import { Session } from '../session.ts';

/** Default wait for the relay (connect and handshake) and for one-shot sends, in seconds. */
export const DEFAULT_TIMEOUT_S = 30;
/** Longest wait for the relay's mailbox after the handshake before a command goes on anyway. */
export const MAX_SYNC_WAIT_MS = 10_000;

export abstract class BaseCommand extends Command {
  home = Option.String('--home', { description: 'config folder (default $WSCHAT_HOME, else $XDG_CONFIG_HOME/wschat or ~/.config/wschat)' });
  json = Option.Boolean('--json', false, { description: 'machine-readable output: JSON (one object a line for streams)' });

  /** The command's work; returns the exit code (0 if nothing). */
  protected abstract run(): Promise<number | void>;

  async execute(): Promise<number> {
    try {
      return (await this.run()) ?? 0;
    } catch (err) {
      return this.fail(err);
    }
  }

  // Option validation errors surface here: give them the usage exit code too.
  override async validateAndExecute(): Promise<number> {
    try {
      return await super.validateAndExecute();
    } catch (err) {
      return this.fail(err);
    }
  }

  protected fail(err: unknown): number {
    const c = classify(err);
    if (this.json) this.context.stderr.write(JSON.stringify({ type: 'error', code: c.code, exit: c.exitCode, message: c.message, ...(c.detail !== undefined ? { detail: c.detail } : {}), ...(err instanceof QueuedOfflineError ? { queued: err.id } : {}) }) + '\n');
    else this.context.stderr.write(`wschat: ${c.message}\n`);
    if (c.code === 'INTERNAL' && process.env.WSCHAT_DEBUG && err instanceof Error) this.context.stderr.write(`${err.stack}\n`);
    return c.exitCode;
  }

  protected homeDir(): Home {
    return new Home(this.home ?? defaultHome(this.env()));
  }

  protected env(): NodeJS.ProcessEnv {
    return (this.context as { env?: NodeJS.ProcessEnv }).env ?? process.env;
  }

  protected out(line: string): void {
    this.context.stdout.write(line + '\n');
  }

  protected outJson(value: unknown): void {
    this.context.stdout.write(JSON.stringify(value) + '\n');
  }

  /** Runs `fn` with a session on local state only (no relay connection). */
  protected async local<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    const home = this.homeDir();
    const s = await Session.open({ home, online: false, downloads: join(home.dir, DOWNLOADS_DIR) });
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  }
}

/** Commands that talk to the relay. */
export abstract class OnlineCommand extends BaseCommand {
  timeout = Option.String('--timeout', String(DEFAULT_TIMEOUT_S), {
    description: `seconds to wait for the relay and for the command's answer (default ${DEFAULT_TIMEOUT_S})`,
    validator: t.cascade(t.isNumber(), t.isPositive()),
  });
  downloads = Option.String('--downloads', { description: 'where received files are saved (default <home>/downloads)' });

  protected timeoutMs(): number {
    return Math.round(this.timeout * 1000);
  }

  /** Runs `fn` with a session connected to the relay (waits for the handshake first). */
  protected async online<T>(fn: (s: Session) => Promise<T>, o: { waitOnline?: boolean } = {}): Promise<T> {
    const home = this.homeDir();
    const s = await Session.open({ home, online: true, downloads: this.downloads ?? join(home.dir, DOWNLOADS_DIR) });
    try {
      if (o.waitOnline !== false) {
        await s.waitOnline(this.timeoutMs());
        await s.waitSynced(Math.min(this.timeoutMs(), MAX_SYNC_WAIT_MS));
      }
      return await fn(s);
    } finally {
      await s.close();
    }
  }
}

/** Resolves on SIGINT or SIGTERM (long-running commands stop cleanly). */
export function untilSignal(): { promise: Promise<string>; dispose: () => void } {
  let dispose = (): void => undefined;
  const promise = new Promise<string>((resolve) => {
    const on = (sig: string) => () => resolve(sig);
    const int = on('SIGINT');
    const term = on('SIGTERM');
    process.once('SIGINT', int);
    process.once('SIGTERM', term);
    dispose = () => {
      process.off('SIGINT', int);
      process.off('SIGTERM', term);
    };
  });
  return { promise, dispose };
}
