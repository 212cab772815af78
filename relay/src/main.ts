/**
 * `relay` command line: `relay [start] [options]` runs the relay; `relay keygen` writes its
 * key file. Bad settings exit with code 2 and a message naming the setting.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, settingsHelp } from './config.ts';
import { ClusterError, ConfigError, KeyError } from './errors.ts';
import { keyLocation, loadOrCreateSeed, relayFingerprint, writeNewSeed } from './keys.ts';
import { deriveRelayKeys } from './protocol.ts';
import { toHex } from './runtime.ts';
import { startRelay } from './index.ts';

const USAGE = `Parley relay: a dumb, hardened WebSocket router that never sees plaintext.

Usage:
  relay [start] [options]     run the relay (default command)
  relay keygen [--data DIR | --key-file PATH] [--force]
                              write a new relay key file (mode 0600) and print its public keys
  relay --help

Options (flag, environment variable, meaning):
${settingsHelp()}
`;

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const command = first === undefined || first.startsWith('--') ? 'start' : first;
  const args = first === undefined || first.startsWith('--') ? argv : rest;
  try {
    if (command === 'start') return await start(args);
    if (command === 'keygen') return await keygen(args);
    process.stderr.write(`relay: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof KeyError || e instanceof ClusterError) {
      process.stderr.write(`relay: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

async function start(args: string[]): Promise<number> {
  const config = loadConfig(process.env, args);
  const generated: string[] = [];
  const seed = await loadOrCreateSeed(config, (path) => generated.push(path));
  // JSON log lines wait until the banner below is out, so a person reads the address first
  const held = holdUntilBanner(process.stdout);
  const relay = await startRelay({ ...config, seed, defaultMetrics: true, logDestination: held });
  seed.fill(0);
  process.stderr.write(banner(relay, config, keyLocation(config).path));
  held.release();
  const log = relay.server.log;
  if (generated.length > 0) {
    log.warn(
      { key_file: generated[0], fingerprint: relayFingerprint(relay.publicKeys.x, relay.publicKeys.ed) },
      'local default: generated a new relay key in the data folder; its public keys are at /.well-known/parley.json',
    );
  }
  // The handlers are in place before 'relay started' is logged: whoever waits for that line may
  // signal at once, and a signal with no handler yet would kill the process without a clean close.
  const stopped = new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      relay.close().then(done, done);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  log.info({ fingerprint: relayFingerprint(relay.publicKeys.x, relay.publicKeys.ed), url: relay.url }, 'relay started');
  await stopped;
  return 0;
}

/** A log destination that keeps lines until `release()`, then writes them and all later ones to `out`. */
function holdUntilBanner(out: NodeJS.WritableStream): { write(line: string): void; release(): void } {
  let held: string[] | undefined = [];
  return {
    write(line) {
      if (held) held.push(line);
      else out.write(line);
    },
    release() {
      for (const line of held ?? []) out.write(line);
      held = undefined;
    },
  };
}

/**
 * The first lines a person sees after `npm start`, in words and on stderr (stdout stays JSON for
 * log collectors): the address to open in a browser, the fingerprint to compare, where the keys
 * are, and how to stop.
 */
export function banner(relay: { port: number; httpUrl: string; publicKeys: { x: Uint8Array; ed: Uint8Array } }, config: { host: string; webRoot: string | undefined }, keyFile: string): string {
  const wildcard = config.host === '0.0.0.0' || config.host === '::';
  const open = wildcard ? `http://localhost:${relay.port}` : relay.httpUrl;
  const web = config.webRoot !== undefined && existsSync(join(config.webRoot, 'index.html'));
  return [
    '',
    `  Parley relay is running.`,
    web
      ? `  Open ${open} in a browser (two browser profiles, to chat with yourself).`
      : config.webRoot === undefined
        ? `  No web app is served (no WEB_ROOT; npm start from the repository root serves web/dist). Relay address: ${open}`
        : `  The web app is not built (${config.webRoot}): run npm run build -w @parley/web, or npm start from the repository root. Relay address: ${open}`,
    `  Relay fingerprint: ${relayFingerprint(relay.publicKeys.x, relay.publicKeys.ed)}`,
    `  Relay key: ${keyFile}`,
    `  Stop with Ctrl-C. JSON logs follow on stdout.`,
    '',
    '',
  ].join('\n');
}

async function keygen(args: string[]): Promise<number> {
  const force = args.includes('--force');
  const config = loadConfig(
    { PARLEY_DATA: process.env.PARLEY_DATA, RELAY_KEY_FILE: process.env.RELAY_KEY_FILE },
    args.filter((a) => a !== '--force'),
  );
  const path = keyLocation({ ...config, host: '127.0.0.1' }).path;
  const seed = await writeNewSeed(path, force);
  const keys = await deriveRelayKeys(seed);
  seed.fill(0);
  const x = toHex(keys.x);
  const ed = toHex(keys.ed);
  process.stdout.write(
    `Wrote the relay key to ${path} (mode 0600). Keep it secret; back it up.\n\n` +
      `relay_x      ${x}\n` +
      `relay_ed     ${ed}\n` +
      `fingerprint  ${relayFingerprint(keys.x, keys.ed)}\n\n` +
      'Clients pin both public keys. Publish them with the relay URL (the relay serves them at\n' +
      '/.well-known/parley.json); invites carry them; a client built for this relay takes them as\n' +
      'its build setting. Start the relay with RELAY_KEY_FILE (or PARLEY_DATA) pointing at this file.\n',
  );
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`relay: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
