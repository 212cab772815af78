/**
 * `notifier` command line: `notifier keygen` writes the identity and VAPID key files and prints
 * what the relay and clients need; `notifier [start]` runs the notifier. Bad settings and key
 * problems exit with code 2 and a message naming the setting or file.
 */
import { pathToFileURL } from 'node:url';
import { loadConfig, requireRun, settingsHelp } from './config.ts';
import { relayFromWellKnown } from './relay-bootstrap.ts';
import { isNotifierError } from './errors.ts';
import { generateKeys, publicInfo } from './keys.ts';
import { startNotifier } from './notifier.ts';

const USAGE = `Parley notifier: turns the relay's WAKE (a wake tag) into a constant-size push.

Usage:
  notifier keygen [--data DIR | --key-file PATH --vapid-key-file PATH] [--force]
                              write the identity and VAPID key files (mode 0600) and print
                              the id (the relay's NOTIFIER_ID) and the public keys
  notifier [start] [options]  run the notifier
  notifier --help

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
    process.stderr.write(`notifier: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  } catch (e) {
    if (isNotifierError(e, 'CONFIG') || isNotifierError(e, 'KEYS') || isNotifierError(e, 'FCM_AUTH') || isNotifierError(e, 'STORE')) {
      process.stderr.write(`notifier: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

async function start(args: string[]): Promise<number> {
  const config = loadConfig(process.env, args);
  if (config.relay === undefined && config.relayWellKnown !== undefined) config.relay = await relayFromWellKnown(config.relayWellKnown);
  requireRun(config);
  const n = await startNotifier(config);
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      n.log.info({ signal }, 'shutting down');
      n.close().then(done, done);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

async function keygen(args: string[]): Promise<number> {
  const force = args.includes('--force');
  const env = { NOTIFIER_DATA: process.env.NOTIFIER_DATA, NOTIFIER_KEY_FILE: process.env.NOTIFIER_KEY_FILE, VAPID_KEY_FILE: process.env.VAPID_KEY_FILE };
  const config = loadConfig(env, args.filter((a) => a !== '--force'));
  const keys = await generateKeys(config, force);
  const p = publicInfo(keys);
  process.stdout.write(
    `Wrote the notifier identity to ${config.keyFile} and its VAPID key pair to ${config.vapidKeyFile}\n` +
      '(mode 0600). Keep both secret; back them up.\n\n' +
      `id                ${p.id}\n` +
      `x25519            ${p.x}\n` +
      `ed25519           ${p.ed}\n` +
      `vapid_public_key  ${p.vapidPublicKey}\n\n` +
      `Relay: set NOTIFIER_ID=${p.x} (the full key; the id alone also works).\n` +
      'Clients: they read the public keys, the VAPID key and the invite from notifier.json, which\n' +
      'the running notifier writes (NOTIFIER_PUBLISH); serve it next to the web app.\n',
  );
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`notifier: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
