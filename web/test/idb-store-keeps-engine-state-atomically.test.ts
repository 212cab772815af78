/**
 * IdbStore (worker/idb-store.ts) on fake-indexeddb: the Store contract the engine relies on
 * (copies in and out, sorted prefix lists, atomic batches), its cache, and persistence across
 * reopening. The same contract cases run on the runtime's MemoryStore as the reference.
 */
import 'fake-indexeddb/auto';
import { MemoryStore, type Store } from '@parley/runtime';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/worker/idb.ts';
import { IdbStore } from '../src/worker/idb-store.ts';

let n = 0;
const fresh = async (o = {}) => IdbStore.open(await openDatabase(`store-test-${++n}`), o);
const b = (...xs: number[]) => Uint8Array.from(xs);

const impls: [string, () => Promise<Store>][] = [
  ['MemoryStore', async () => new MemoryStore()],
  ['IdbStore', () => fresh()],
];

describe.each(impls)('the Store contract on %s', (_name, make) => {
  it('gets what was put, as a copy', async () => {
    const s = await make();
    const v = b(1, 2, 3);
    await s.put('c/abc', v);
    v[0] = 9;
    const got = (await s.get('c/abc'))!;
    expect([...got]).toEqual([1, 2, 3]);
    got[1] = 9;
    expect([...(await s.get('c/abc'))!]).toEqual([1, 2, 3]);
    expect(await s.get('c/missing')).toBeUndefined();
  });

  it('lists keys of a prefix in code-unit order, and nothing else', async () => {
    const s = await make();
    for (const k of ['h/b/2', 'h/a/1', 'h/a/0', 'h/a-/x', 'h/a', 'o/0000000000000001', 'hx']) await s.put(k, b(1));
    expect(await s.list('h/a/')).toEqual(['h/a/0', 'h/a/1']);
    expect(await s.list('h/')).toEqual(['h/a', 'h/a-/x', 'h/a/0', 'h/a/1', 'h/b/2']);
    expect(await s.list('zz/')).toEqual([]);
  });

  it('applies a batch in order, puts and deletes together', async () => {
    const s = await make();
    await s.put('a/1', b(1));
    await s.batch([
      { op: 'put', key: 'a/2', value: b(2) },
      { op: 'delete', key: 'a/1' },
      { op: 'put', key: 'a/2', value: b(3) },
    ]);
    expect(await s.list('a/')).toEqual(['a/2']);
    expect([...(await s.get('a/2'))!]).toEqual([3]);
  });

  it('rejects a bad key or value before applying anything', async () => {
    const s = await make();
    await expect(s.batch([{ op: 'put', key: 'ok/1', value: b(1) }, { op: 'put', key: '/bad', value: b(1) }])).rejects.toThrow(RangeError);
    await expect(s.put('ok/2', 'text' as unknown as Uint8Array)).rejects.toThrow(TypeError);
    expect(await s.list('ok/')).toEqual([]);
  });
});

describe('IdbStore', () => {
  it('commits nothing of a batch whose transaction fails part way', async () => {
    const s = await fresh();
    const proto = Object.getPrototypeOf((await openDatabase('probe')).transaction('kv', 'readonly').objectStore('kv'));
    const put = proto.put;
    proto.put = function (value: unknown, key: unknown) {
      if (key === 'x/boom') throw new DOMException('simulated', 'DataCloneError');
      return put.call(this, value, key);
    };
    try {
      await expect(s.batch([{ op: 'put', key: 'x/1', value: b(1) }, { op: 'put', key: 'x/boom', value: b(2) }])).rejects.toThrow('simulated');
    } finally {
      proto.put = put;
    }
    expect(await s.list('x/')).toEqual([]);
    expect(await s.get('x/1')).toBeUndefined();
  });

  it('keeps its data when reopened, and serves small records from the cache', async () => {
    const db = await openDatabase('reopen-test');
    const s1 = await IdbStore.open(db, { cacheValueMax: 4 });
    await s1.batch([
      { op: 'put', key: 'c/small', value: b(1, 2) },
      { op: 'put', key: 'fc/big', value: new Uint8Array(100).fill(7) },
    ]);
    expect(s1.cacheStats).toEqual({ entries: 1, bytes: 2 });
    const s2 = await IdbStore.open(db, { cacheValueMax: 4 });
    expect(s2.cacheStats.entries).toBe(1); // warmed with the small record only
    expect([...(await s2.get('c/small'))!]).toEqual([1, 2]);
    expect((await s2.get('fc/big'))!.length).toBe(100);
    await s2.delete('c/small');
    expect(s2.cacheStats.entries).toBe(0);
    expect(await s2.get('c/small')).toBeUndefined();
  });

  it('empties its cache instead of growing past the limit', async () => {
    const s = await fresh({ cacheValueMax: 10, cacheMaxBytes: 25 });
    for (let i = 0; i < 6; i++) await s.put(`k/${i}`, new Uint8Array(10));
    expect(s.cacheStats.bytes).toBeLessThanOrEqual(25);
    for (let i = 0; i < 6; i++) expect((await s.get(`k/${i}`))!.length).toBe(10);
  });
});
