/**
 * The home folder (`--home`, else $WSCHAT_HOME, else $XDG_CONFIG_HOME/wschat or
 * ~/.config/wschat): the identity, the pinned relay, the engine's store, downloads, and a lock
 * so that one process at a time uses it (the engine's FileStore is single-process).
 *
 *   identity.json   the identity seed and public keys (0600)
 *   config.json     the pinned relay and our display name (0600)
 *   inbox.json      which received messages were shown or acknowledged (0600)
 *   state/          the engine's FileStore (0700)
 *   downloads/      received files (0700; --downloads overrides)
 *   lock            the pid (and start time) of the process using this folder
 */
import { constants, promises as fs, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { MAX_RELAY_ENDPOINTS } from '@parley/generated';
import { pickBackend } from '@parley/runtime/crypto';
import type { Identity } from '@parley/runtime/protocol';
import { loadIdentityFile, readKeyFile, saveIdentityFile, writeKeyFile } from '@parley/runtime/node';
import { z } from 'zod';
import { BusyError, FileError, NotInitialisedError } from './errors.ts';

export const IDENTITY_FILE = 'identity.json';
export const CONFIG_FILE = 'config.json';
export const INBOX_FILE = 'inbox.json';
export const STATE_DIR = 'state';
/** Part files of incoming transfers and spooled outgoing files (runtime FileBlobs). */
export const BLOBS_DIR = 'blobs';
export const DOWNLOADS_DIR = 'downloads';
const LOCK_FILE = 'lock';

export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WSCHAT_HOME) return resolve(env.WSCHAT_HOME);
  const base = env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(homedir(), '.config');
  return join(base, 'wschat');
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits');

export const ConfigSchema = z.strictObject({
  format: z.literal('wschat-config'),
  version: z.literal(1),
  /** Our display name, proposed in contact requests and accepts. */
  name: z.string(),
  relay: z.strictObject({
    url: z.string().regex(/^wss?:\/\//, 'a ws:// or wss:// URL'),
    x: hex64,
    ed: hex64,
    fingerprint: z.string(),
    /**
     * The relay's nodes from its well-known document (spec documents.well_known endpoints),
     * dialled in random order with failover; absent (a single relay, or pinned from an invite
     * or keys): the one URL above.
     */
    endpoints: z.array(z.string().regex(/^wss?:\/\/\S+$/, 'a ws:// or wss:// URL')).min(1).max(MAX_RELAY_ENDPOINTS).optional(),
  }),
});
export type Config = z.infer<typeof ConfigSchema>;

export class Home {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  async exists(): Promise<boolean> {
    return fs.lstat(this.path(IDENTITY_FILE)).then(() => true, () => false);
  }

  /** Creates the folder (0700) if needed. */
  async create(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await fs.chmod(this.dir, 0o700);
  }

  async saveIdentity(identity: Identity): Promise<void> {
    await saveIdentityFile(this.path(IDENTITY_FILE), identity);
  }

  async saveConfig(config: Config): Promise<void> {
    await writeKeyFile(this.path(CONFIG_FILE), JSON.stringify(ConfigSchema.parse(config), null, 2) + '\n');
  }

  /** The identity and config; NotInitialisedError if there are none. */
  async load(): Promise<{ identity: Identity; config: Config }> {
    if (!(await this.exists())) throw new NotInitialisedError(this.dir);
    const identity = await loadIdentityFile(await pickBackend(), this.path(IDENTITY_FILE));
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(await readKeyFile(this.path(CONFIG_FILE))));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotInitialisedError(this.dir);
      throw new FileError(`${this.path(CONFIG_FILE)}: ${(err as Error).message}`);
    }
    const parsed = ConfigSchema.safeParse(raw);
    if (!parsed.success) throw new FileError(`${this.path(CONFIG_FILE)} is not a wschat config: ${parsed.error.issues[0]?.message}`);
    return { identity, config: parsed.data };
  }

  /**
   * Takes the folder's lock (a file holding our pid, created exclusively). A lock whose process
   * is gone is taken over. Returns the release function.
   */
  async lock(): Promise<() => Promise<void>> {
    const file = this.path(LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fh = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
        await fh.writeFile(`${process.pid} ${startTime(process.pid) ?? ''}\n`.replace(' \n', '\n'));
        await fh.close();
        let released = false;
        const release = async (): Promise<void> => {
          if (released) return;
          released = true;
          await fs.rm(file, { force: true });
        };
        process.once('exit', () => {
          // last resort when the process ends without a clean stop
          if (!released) rmSync(file, { force: true });
        });
        return release;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const [pidText, started] = (await fs.readFile(file, 'utf8').catch(() => '')).trim().split(' ');
        const pid = Number.parseInt(pidText ?? '', 10);
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid, started)) {
          throw new BusyError(`another wschat (pid ${pid}) is using ${this.dir}; stop it, or talk through it (wschat chat / wschat bridge)`);
        }
        await fs.rm(file, { force: true });
      }
    }
    throw new BusyError(`cannot lock ${this.dir}`);
  }
}

/**
 * Whether the lock's process still runs. A pid alone is not enough: after a crash or a reboot
 * the number may belong to another program, and the lock would never be taken over. Where
 * /proc exists the lock also holds the process's start time, which must match.
 */
function alive(pid: number, started: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = startTime(pid);
  return started === undefined || started === '' || now === undefined || now === started;
}

/** A process's start time (clock ticks since boot, /proc/<pid>/stat field 22), or undefined without /proc. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: count after its end
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
