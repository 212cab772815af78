/** Key files and `notifier keygen` (src/keys.ts, src/main.ts). */
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '@parley/runtime';
import webpush from 'web-push';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isNotifierError } from '../src/errors.ts';
import { generateKeys, loadKeys } from '../src/keys.ts';
import { main } from '../src/main.ts';

const dirs: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function paths() {
  const d = await mkdtemp(join(tmpdir(), 'parley-keys-'));
  dirs.push(d);
  return { dir: d, keyFile: join(d, 'sub', 'notifier.key'), vapidKeyFile: join(d, 'sub', 'vapid.key') };
}

describe('notifier keys', () => {
  it('writes both key files 0600 and reads them back', async () => {
    const p = await paths();
    const k = await generateKeys(p);
    for (const f of [p.keyFile, p.vapidKeyFile]) expect((await stat(f)).mode & 0o777).toBe(0o600);
    const back = await loadKeys(p);
    expect(toHex(back.identity.x)).toBe(toHex(k.identity.x));
    expect(back.vapid).toEqual(k.vapid);
    expect(Buffer.from(k.vapid.publicKey, 'base64url').length).toBe(65);
  });

  it('refuses to overwrite without force, a readable key file, a missing one and a mismatched VAPID pair', async () => {
    const p = await paths();
    await generateKeys(p);
    await expect(generateKeys(p)).rejects.toThrow(/--force/);
    await generateKeys(p, true);
    await chmod(p.vapidKeyFile, 0o644);
    await expect(loadKeys(p)).rejects.toSatisfy((e) => isNotifierError(e, 'KEYS') && /chmod 600/.test((e as Error).message));
    await chmod(p.vapidKeyFile, 0o600);
    const doc = JSON.parse(await readFile(p.vapidKeyFile, 'utf8'));
    await writeFile(p.vapidKeyFile, JSON.stringify({ ...doc, publicKey: webpush.generateVAPIDKeys().publicKey }), { mode: 0o600 });
    await expect(loadKeys(p)).rejects.toThrow(/does not match/);
    await expect(loadKeys({ ...p, keyFile: join(p.dir, 'none') })).rejects.toThrow(/notifier keygen/);
  });

  it('`notifier keygen` prints the id, the public keys and the VAPID key; bad settings exit 2', async () => {
    const p = await paths();
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['keygen', '--data', join(p.dir, 'd')])).toBe(0);
    const k = await loadKeys({ keyFile: join(p.dir, 'd', 'notifier.key'), vapidKeyFile: join(p.dir, 'd', 'vapid.key') });
    expect(out).toContain(`id                ${toHex(k.identity.id)}`);
    expect(out).toContain(`NOTIFIER_ID=${toHex(k.identity.x)}`);
    expect(out).toContain(k.vapid.publicKey);
    expect(out).not.toContain(k.vapid.privateKey);
    expect(await main(['keygen', '--data', join(p.dir, 'd')])).toBe(2);
    expect(await main(['start', '--data', join(p.dir, 'd')])).toBe(2);
    expect(String(err.mock.calls.at(-1)?.[0])).toMatch(/RELAY_URL/);
  });
});
