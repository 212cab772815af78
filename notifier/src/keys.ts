/**
 * The notifier's two secrets, each in its own key file (mode 0600, written atomically by the
 * runtime's key-file helpers, refused when group or others may read them):
 * - its Parley identity (`notifier.key`, a parley-identity document): the relay learns its id
 *   (NOTIFIER_ID), clients its public keys through the published invite;
 * - its VAPID key pair (`vapid.key`, P-256, RFC 8292): push services check the JWT it signs,
 *   browsers take the public key as `applicationServerKey`.
 */
import { createECDH } from 'node:crypto';
import { lstat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateIdentity, pickBackend, toHex, type Identity } from '@parley/runtime';
import { isKeyFileError, loadIdentityFile, readKeyFile, saveIdentityFile, writeKeyFile } from '@parley/runtime/node';
import webpush from 'web-push';
import { NotifierError } from './errors.ts';

/** Uncompressed P-256 point (0x04 ‖ x ‖ y) and scalar sizes. */
const P256_PUBLIC_SIZE = 65;
const P256_SECRET_SIZE = 32;

export interface VapidKeys {
  /** base64url of the uncompressed public point (65 bytes): the browser's applicationServerKey. */
  publicKey: string;
  /** base64url of the secret scalar (32 bytes). */
  privateKey: string;
}

interface VapidFile extends VapidKeys {
  format: 'parley-vapid';
  version: 1;
}

export interface NotifierKeys {
  identity: Identity;
  vapid: VapidKeys;
}

/** Creates both key files; refuses to replace an existing one unless `force`. */
export async function generateKeys(paths: { keyFile: string; vapidKeyFile: string }, force = false): Promise<NotifierKeys> {
  for (const p of [paths.keyFile, paths.vapidKeyFile]) {
    if (!force && (await exists(p))) throw new NotifierError('KEYS', `${p} exists; pass --force to replace it (clients and the relay would have to be told the new keys)`);
    await mkdir(dirname(p), { recursive: true, mode: 0o700 });
  }
  const identity = await generateIdentity(await pickBackend());
  const vapid = webpush.generateVAPIDKeys();
  checkVapid(vapid, paths.vapidKeyFile);
  await saveIdentityFile(paths.keyFile, identity);
  const file: VapidFile = { format: 'parley-vapid', version: 1, ...vapid };
  await writeKeyFile(paths.vapidKeyFile, JSON.stringify(file, null, 2) + '\n');
  return { identity, vapid };
}

/** Reads both key files (KEYS error naming the file and what is wrong). */
export async function loadKeys(paths: { keyFile: string; vapidKeyFile: string }): Promise<NotifierKeys> {
  const identity = await wrap(paths.keyFile, async () => loadIdentityFile(await pickBackend(), paths.keyFile));
  const vapid = await wrap(paths.vapidKeyFile, async () => {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(await readKeyFile(paths.vapidKeyFile));
    const o = JSON.parse(text) as Partial<VapidFile>;
    if (o.format !== 'parley-vapid' || o.version !== 1 || typeof o.publicKey !== 'string' || typeof o.privateKey !== 'string') {
      throw new NotifierError('KEYS', `${paths.vapidKeyFile}: not a parley-vapid version 1 document`);
    }
    const keys = { publicKey: o.publicKey, privateKey: o.privateKey };
    checkVapid(keys, paths.vapidKeyFile);
    return keys;
  });
  return { identity, vapid };
}

/** What `keygen` prints and `notifier.json` publishes: public values only. */
export function publicInfo(keys: NotifierKeys): { id: string; x: string; ed: string; vapidPublicKey: string } {
  return { id: toHex(keys.identity.id), x: toHex(keys.identity.x), ed: toHex(keys.identity.ed), vapidPublicKey: keys.vapid.publicKey };
}

/** The public key must be the secret scalar's point, uncompressed. */
function checkVapid(k: VapidKeys, path: string): void {
  const pub = Buffer.from(k.publicKey, 'base64url');
  const sec = Buffer.from(k.privateKey, 'base64url');
  if (pub.length !== P256_PUBLIC_SIZE || pub[0] !== 0x04 || sec.length !== P256_SECRET_SIZE) {
    throw new NotifierError('KEYS', `${path}: a VAPID key is a ${P256_PUBLIC_SIZE}-byte uncompressed P-256 point and a ${P256_SECRET_SIZE}-byte scalar`);
  }
  const ecdh = createECDH('prime256v1');
  try {
    ecdh.setPrivateKey(sec);
  } catch (cause) {
    throw new NotifierError('KEYS', `${path}: the VAPID secret is not a P-256 scalar`, { cause });
  }
  if (!ecdh.getPublicKey().equals(pub)) throw new NotifierError('KEYS', `${path}: the VAPID public key does not match the secret`);
}

async function wrap<T>(path: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof NotifierError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotifierError('KEYS', `${path} does not exist; run \`notifier keygen\` first`, { cause: e });
    if (isKeyFileError(e)) throw new NotifierError('KEYS', e.message, { cause: e });
    throw new NotifierError('KEYS', `${path}: ${(e as Error).message}`, { cause: e });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
