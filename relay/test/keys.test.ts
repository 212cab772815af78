import { mkdtempSync, promises as fs, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../src/errors.ts';
import { keyLocation, loadOrCreateSeed, readSeed, relayFingerprint, writeNewSeed } from '../src/keys.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'parley-relay-keys-'));

describe('relay key file', () => {
  it('is written with mode 0600 as one line of hex, and read back', async () => {
    const path = join(tmp(), 'sub', 'relay.key');
    const seed = await writeNewSeed(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(path, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(await readSeed(path)).toEqual(seed);
  });

  it('is not overwritten without force', async () => {
    const path = join(tmp(), 'relay.key');
    await writeNewSeed(path);
    await expect(writeNewSeed(path)).rejects.toThrow(KeyError);
    await expect(writeNewSeed(path, true)).resolves.toHaveLength(32);
  });

  it('is refused when all zero, malformed, readable by others or missing', async () => {
    const dir = tmp();
    const zero = join(dir, 'zero.key');
    writeFileSync(zero, '00'.repeat(32) + '\n', { mode: 0o600 });
    await expect(readSeed(zero)).rejects.toThrow(/all zero/);
    const bad = join(dir, 'bad.key');
    writeFileSync(bad, 'hello\n', { mode: 0o600 });
    await expect(readSeed(bad)).rejects.toThrow(/not a relay key/);
    const open = join(dir, 'open.key');
    writeFileSync(open, 'ab'.repeat(32), { mode: 0o644 });
    await fs.chmod(open, 0o644);
    await expect(readSeed(open)).rejects.toThrow(/chmod 600/);
    await expect(readSeed(join(dir, 'none.key'))).rejects.toThrow(/relay keygen/);
  });

  it('is generated only in the local default (a data folder), and says so', async () => {
    const dir = tmp();
    const seen: string[] = [];
    const seed = await loadOrCreateSeed({ dataDir: dir, keyFile: undefined, host: '0.0.0.0' }, (p) => seen.push(p));
    expect(seen).toEqual([join(dir, 'relay.key')]);
    expect(await loadOrCreateSeed({ dataDir: dir, keyFile: undefined, host: '0.0.0.0' }, (p) => seen.push(p))).toEqual(seed);
    expect(seen).toHaveLength(1);
    // An explicit key file that does not exist is never generated.
    await expect(loadOrCreateSeed({ dataDir: undefined, keyFile: join(dir, 'missing.key'), host: '127.0.0.1' }, () => {})).rejects.toThrow(KeyError);
    // A public HOST without PARLEY_DATA or a key file has no local default.
    expect(() => keyLocation({ dataDir: undefined, keyFile: undefined, host: '0.0.0.0' })).toThrow(KeyError);
    expect(keyLocation({ dataDir: undefined, keyFile: undefined, host: '127.0.0.1' }).path).toMatch(/\.data\/relay\.key$/);
  });

  it('has a stable public fingerprint', () => {
    const fp = relayFingerprint(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
    expect(fp).toMatch(/^([0-9a-f]{4}-){7}[0-9a-f]{4}$/);
    expect(relayFingerprint(new Uint8Array(32).fill(1), new Uint8Array(32).fill(3))).not.toBe(fp);
  });
});
