/** The registration store (src/registrations.ts): persistence, atomicity, bounds. */
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistrationStore, type Registration } from '../src/registrations.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function dir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'parley-regs-'));
  dirs.push(d);
  return d;
}
const open = (d: string, o: Partial<{ maxRegistrations: number; maxPerSender: number }> = {}) =>
  RegistrationStore.open(d, { maxRegistrations: 100, maxPerSender: 4, fsync: false, ...o });
const reg = (tag: string, owner = 'o1', at = 1): Registration => ({ tag, owner, at, sub: { kind: 'fcm', token: `token-${tag}` } });

describe('RegistrationStore', () => {
  it('survives a reopen, journal and snapshot alike', async () => {
    const d = await dir();
    const s = open(d);
    s.put(reg('aa'));
    s.put(reg('bb', 'o2', 2));
    s.put({ ...reg('aa'), sub: { kind: 'webpush', endpoint: 'https://x/y', p256dh: 'p', auth: 'a' } });
    s.delete('bb');
    s.close();
    const t = open(d);
    expect(t.all()).toEqual([{ ...reg('aa'), sub: { kind: 'webpush', endpoint: 'https://x/y', p256dh: 'p', auth: 'a' } }]);
    expect(t.lastSeen('o2')).toBe(2);
    t.close();
    expect(statSync(join(d, 'registrations.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(d, 'registrations.log')).mode & 0o777).toBe(0o600);
  });

  it('ignores a torn last journal line (a crash mid-append) and refuses a corrupt one in the middle', async () => {
    const d = await dir();
    const s = open(d);
    s.put(reg('aa'));
    s.close();
    // reopen compacted; now append one good entry and a torn one by hand
    appendFileSync(join(d, 'registrations.log'), JSON.stringify({ p: reg('cc') }) + '\n' + '{"p":{"tag":"dd"');
    const t = open(d);
    expect(t.all().map((r) => r.tag)).toEqual(['aa', 'cc']);
    t.close();
    appendFileSync(join(d, 'registrations.log'), 'garbage\n' + JSON.stringify({ d: 'aa' }) + '\n');
    expect(() => open(d)).toThrow(/line 1/);
  });

  it('keeps at most maxPerSender per sender and maxRegistrations in all, forgetting the oldest', async () => {
    const d = await dir();
    const s = open(d, { maxRegistrations: 5, maxPerSender: 2 });
    expect(s.put(reg('a1', 'A'))).toEqual([]);
    s.put(reg('a2', 'A'));
    expect(s.put(reg('a3', 'A')).map((r) => r.tag)).toEqual(['a1']);
    s.put(reg('a3', 'A')); // renewing a held tag evicts nothing
    expect(s.all().filter((r) => r.owner === 'A').map((r) => r.tag).sort()).toEqual(['a2', 'a3']);
    for (const t of ['b1', 'c1', 'd1']) s.put(reg(t, t));
    expect(s.size).toBe(5);
    expect(s.put(reg('e1', 'e1')).map((r) => r.tag)).toEqual(['a2']);
    expect(s.size).toBe(5);
    s.close();
    expect(open(d).size).toBe(5);
  });

  it('expires registrations not renewed in time, and deletes a gone one only if unchanged', async () => {
    const s = open(await dir());
    s.put(reg('old', 'o', 100));
    s.put(reg('new', 'o', 200));
    expect(s.expire(150).map((r) => r.tag)).toEqual(['old']);
    expect(s.deleteIfSame('new', { kind: 'fcm', token: 'other' })).toBe(false);
    expect(s.deleteIfSame('new', { kind: 'fcm', token: 'token-new' })).toBe(true);
    expect(s.size).toBe(0);
    s.close();
  });

  it('compacts the journal once it outgrows the snapshot', async () => {
    const d = await dir();
    const s = open(d);
    for (let i = 0; i < 1500; i++) s.put(reg('aa', 'o', i));
    expect(readFileSync(join(d, 'registrations.log'), 'utf8').split('\n').length).toBeLessThan(1100);
    s.close();
    expect(open(d).get('aa')!.at).toBe(1499);
  });

  it('forgets a sender with its registrations', async () => {
    const s = open(await dir());
    s.put(reg('a', 'X'));
    s.put(reg('b', 'X'));
    s.put(reg('c', 'Y'));
    s.forgetSender('X');
    expect(s.all().map((r) => r.tag)).toEqual(['c']);
    expect(s.lastSeen('X')).toBeUndefined();
    s.close();
  });
});
