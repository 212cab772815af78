/**
 * `relay` command line: `relay [start] [options]` runs the relay; `relay keygen` writes its
 * key file. Bad settings exit with code 2 and a message naming the setting.
 */
import { pathToFileURL } from 'node:url';
import { loadConfig, settingsHelp } from './config.ts';
import { ConfigError, KeyError } from './errors.ts';
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
    if (e instanceof ConfigError || e instanceof KeyError) {
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
  const relay = await startRelay({ ...config, seed, defaultMetrics: true });
  seed.fill(0);
  const log = relay.server.log;
  if (generated.length > 0) {
    log.warn(
      { key_file: generated[0], fingerprint: relayFingerprint(relay.publicKeys.x, relay.publicKeys.ed) },
      'local default: generated a new relay key in the data folder; its public keys are at /.well-known/parley.json',
    );
  }
  log.info({ fingerprint: relayFingerprint(relay.publicKeys.x, relay.publicKeys.ed), url: relay.url }, 'relay started');
  await new Promise<void>((done) => {
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
  return 0;
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
