/**
 * Key files (runtime/src/node): written 0600 atomically, refused when group or others may
 * access them, when they are not regular files, or hold no identity.
 */
import { chmodSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeBackend } from '../../src/crypto/node.ts';
import { KEY_FILE_MODE, isKeyFileError, loadIdentityFile, readKeyFile, saveIdentityFile, writeKeyFile } from '../../src/node/index.ts';
import { generateIdentity } from '../../src/protocol/identity.ts';

const posix = process.platform !== 'win32';

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return isKeyFileError(e) ? e.code : String(e);
  }
  return undefined;
}

describe.runIf(posix)('key files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-keys-'));

  it('writes 0600 files atomically and reads them back', async () => {
    const id = await generateIdentity(nodeBackend);
    const path = join(dir, 'identity.json');
    await saveIdentityFile(path, id);
    expect(statSync(path).mode & 0o777).toBe(KEY_FILE_MODE);
    const back = await loadIdentityFile(nodeBackend, path);
    expect(Buffer.from(back.x)).toEqual(Buffer.from(id.x));
    await writeKeyFile(path, 'replaced');
    expect(Buffer.from(await readKeyFile(path)).toString()).toBe('replaced');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a key file readable by group or others', async () => {
    const path = join(dir, 'loose.json');
    await writeKeyFile(path, 'secret');
    for (const mode of [0o640, 0o604, 0o660, 0o602]) {
      chmodSync(path, mode);
      expect(await code(readKeyFile(path))).toBe('INSECURE_PERMISSIONS');
    }
    chmodSync(path, 0o400);
    expect(await code(readKeyFile(path))).toBeUndefined();
  });

  it('refuses symlinks, directories and files that hold no identity', async () => {
    const target = join(dir, 'target.json');
    await writeKeyFile(target, 'x');
    const link = join(dir, 'link.json');
    symlinkSync(target, link);
    expect(await code(readKeyFile(link))).toBe('NOT_A_FILE');
    expect(await code(readKeyFile(dir))).toBe('NOT_A_FILE');
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{"format":"parley-identity","version":1}', { mode: 0o600 });
    expect(await code(loadIdentityFile(nodeBackend, junk))).toBe('BAD_CONTENT');
  });
});
