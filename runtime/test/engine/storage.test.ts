import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, type Store } from '../../src/engine/storage.ts';
import { FileStore } from '../../src/node/file-store.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'parley-store-'));
  dirs.push(d);
  return d;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

for (const [name, make] of [
  ['MemoryStore', async () => new MemoryStore()],
  ['FileStore', async () => FileStore.open(join(await tempDir(), 'store'), { fsync: false })],
] as [string, () => Promise<Store>][]) {
  describe(name, () => {
    it('gets, puts, deletes and lists by prefix in key order', async () => {
      const s = await make();
      await s.put('c/b', bytes('2'));
      await s.put('c/a', bytes('1'));
      await s.put('o/0001', bytes('x'));
      expect(text(await s.get('c/a'))).toBe('1');
      expect(await s.get('missing')).toBeUndefined();
      expect(await s.list('c/')).toEqual(['c/a', 'c/b']);
      await s.delete('c/a');
      await s.delete('c/never');
      expect(await s.list('c/')).toEqual(['c/b']);
    });

    it('applies a batch in order', async () => {
      const s = await make();
      await s.put('k/1', bytes('old'));
      await s.batch([
        { op: 'put', key: 'k/2', value: bytes('two') },
        { op: 'delete', key: 'k/1' },
        { op: 'put', key: 'k/2', value: bytes('three') },
      ]);
      expect(await s.list('k/')).toEqual(['k/2']);
      expect(text(await s.get('k/2'))).toBe('three');
    });

    it('refuses keys that are not short ASCII paths, before writing anything', async () => {
      const s = await make();
      await expect(s.put('../escape', bytes('x'))).rejects.toThrow(RangeError);
      await expect(s.put('.hidden', bytes('x'))).rejects.toThrow(RangeError);
      await expect(s.batch([{ op: 'put', key: 'ok', value: bytes('x') }, { op: 'put', key: 'bad key', value: bytes('x') }])).rejects.toThrow(RangeError);
      expect(await s.get('ok')).toBeUndefined();
    });

    it('does not alias stored bytes', async () => {
      const s = await make();
      const v = bytes('abc');
      await s.put('v', v);
      v[0] = 0;
      const got = (await s.get('v'))!;
      expect(text(got)).toBe('abc');
      got[0] = 0;
      expect(text(await s.get('v'))).toBe('abc');
    });
  });
}

describe('FileStore on disk', () => {
  it('creates the directory 0700 and files 0600, tightening an existing directory', async () => {
    const dir = join(await tempDir(), 'store');
    const s = await FileStore.open(dir);
    await s.put('c/x', bytes('secret'));
    await s.batch([{ op: 'put', key: 'a', value: bytes('1') }, { op: 'put', key: 'b', value: bytes('2') }]);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const f of await readdir(dir)) expect((await stat(join(dir, f))).mode & 0o777).toBe(0o600);
    const loose = join(await tempDir(), 'loose');
    const { mkdir, chmod } = await import('node:fs/promises');
    await mkdir(loose, { mode: 0o755 });
    await chmod(loose, 0o755);
    await FileStore.open(loose);
    expect((await stat(loose)).mode & 0o777).toBe(0o700);
  });

  it('replays a batch journal left by a crash, and removes stray temporary files', async () => {
    const dir = join(await tempDir(), 'store');
    const s = await FileStore.open(dir, { fsync: false });
    await s.put('k/1', bytes('old'));
    await s.close();
    // a crash after the journal was written, before it was applied
    const header = new TextEncoder().encode(JSON.stringify([['put', 'k/2', 3], ['delete', 'k/1', 0]]));
    const journal = new Uint8Array(4 + header.length + 3);
    new DataView(journal.buffer).setUint32(0, header.length, true);
    journal.set(header, 4);
    journal.set(bytes('new'), 4 + header.length);
    await writeFile(join(dir, '.journal'), journal);
    await writeFile(join(dir, '.tmp-deadbeef'), bytes('half'));
    const again = await FileStore.open(dir, { fsync: false });
    expect(await again.list('k/')).toEqual(['k/2']);
    expect(text(await again.get('k/2'))).toBe('new');
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
