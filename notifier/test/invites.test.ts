/**
 * The published invites (src/invites.ts): NOTIFIER_INVITES of them in notifier.json, each
 * replaced at half its life or when its estimated uses reach half its maximum, replaced ones
 * revoked once expired, the state kept across restarts (0600) and notifier.json public (0644).
 * The engine is played by a recorder of createInvite/revokeInvite (the end-to-end side is in
 * sign-up-capacity.test.ts).
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INVITE_FIRST_CONTACTS_PER_MINUTE } from '@parley/generated';
import type { InviteInfo } from '@parley/runtime';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { parseNotifierInfo } from '../src/client.ts';
import { ESTIMATED_USE_SHARE, InvitePublisher } from '../src/invites.ts';
import { DEFAULT_LIMITS, signUpsPerDay } from '../src/limits.ts';
import { Scope } from '@parley/test-kit/notifier';

const scope = new Scope();
afterEach(() => scope.cleanup());

const INFO = { id: '00'.repeat(8), x: '11'.repeat(32), ed: '22'.repeat(32), vapidPublicKey: webpush.generateVAPIDKeys().publicKey, webPushOrigins: ['https://fcm.googleapis.com'], fcm: false };

async function publisher(o: { count?: number; maxUses?: number; ttlS?: number; dir?: string } = {}) {
  const dir = o.dir ?? (await scope.dir());
  let now = 1_700_000_000_000;
  let n = 0;
  const created: string[] = [];
  const revoked: string[] = [];
  const deps = {
    dataDir: dir,
    publishFile: join(dir, 'notifier.json'),
    info: INFO,
    createInvite: async (io: { maxUses: number; ttlSeconds: number }): Promise<InviteInfo> => {
      const id = `id${n++}`;
      created.push(id);
      return { id, text: `TEXT${id}`, link: '', uri: '', qr: new Uint8Array(), expiresAt: Math.floor(now / 1000) + io.ttlSeconds, maxUses: io.maxUses };
    },
    revokeInvite: async (id: string) => (revoked.push(id), true),
    count: o.count ?? 4,
    maxUses: o.maxUses ?? 1000,
    ttlS: o.ttlS ?? 3600,
    now: () => now,
    log: pino({ level: 'silent' }),
  };
  const p = new InvitePublisher(deps);
  const doc = () => parseNotifierInfo(JSON.parse(readFileSync(deps.publishFile, 'utf8')));
  return { p, dir, doc, created, revoked, later: (ms: number) => (now += ms), deps };
}

describe('the published invites', () => {
  it('the default count takes more sign-ups a day than the registrations kept', () => {
    expect(signUpsPerDay(1)).toBe(INVITE_FIRST_CONTACTS_PER_MINUTE * 1440);
    expect(signUpsPerDay(DEFAULT_LIMITS.invites)).toBeGreaterThan(DEFAULT_LIMITS.maxRegistrations);
    expect(signUpsPerDay(1)).toBeLessThan(DEFAULT_LIMITS.maxRegistrations); // why one invite was not enough
  });

  it('publishes NOTIFIER_INVITES invites with the keys and the registration policy', async () => {
    const w = await publisher({ count: 4 });
    await w.p.refresh();
    const doc = w.doc();
    expect(doc).toMatchObject({ format: 'parley-notifier', version: 2, ...INFO });
    expect(doc.invites.map((i) => i.invite)).toEqual(['TEXTid0', 'TEXTid1', 'TEXTid2', 'TEXTid3']);
    expect(statSync(w.deps.publishFile).mode & 0o777).toBe(0o644);
    expect(statSync(join(w.dir, 'invite.json')).mode & 0o777).toBe(0o600);
    // nothing due: nothing new
    await w.p.refresh();
    expect(w.created).toHaveLength(4);
  });

  it('replaces each invite when its estimated uses reach half its maximum, not one sender earlier', async () => {
    const count = 4;
    const maxUses = 10;
    const w = await publisher({ count, maxUses });
    await w.p.refresh();
    const bound = maxUses * ESTIMATED_USE_SHARE * count; // senders accepted while published
    for (let i = 0; i < bound - 1; i++) await w.p.accepted();
    expect(w.created).toHaveLength(count);
    await w.p.accepted();
    expect(w.created).toHaveLength(2 * count);
    expect(w.doc().invites.map((i) => i.invite)).toEqual(['TEXTid4', 'TEXTid5', 'TEXTid6', 'TEXTid7']);
    expect(w.p.retired).toBe(count);
    expect(w.revoked).toEqual([]); // still valid for clients with the older notifier.json
  });

  it('replaces an invite at half its life and revokes replaced ones once they expire', async () => {
    const w = await publisher({ count: 2, ttlS: 3600 });
    await w.p.refresh();
    w.later(1800_000 - 1);
    await w.p.refresh();
    expect(w.created).toHaveLength(2);
    w.later(1);
    await w.p.refresh();
    expect(w.created).toHaveLength(4);
    expect(w.p.retired).toBe(2);
    w.later(1800_000); // the first two expire (at exactly expiresAt they are still valid)
    await w.p.refresh();
    expect(w.revoked).toEqual([]);
    w.later(1000);
    await w.p.refresh();
    expect(w.revoked).toEqual(['id0', 'id1']);
    expect(w.p.retired).toBe(2); // id2, id3 were replaced at their own half-life meanwhile
    expect(w.created).toHaveLength(6);
  });

  it('keeps its state across a restart, follows a changed count, and retires an invite of the first format', async () => {
    const w = await publisher({ count: 3 });
    await w.p.refresh();
    const again = await publisher({ count: 3, dir: w.dir });
    await again.p.refresh();
    expect(again.created).toEqual([]);
    expect(again.doc().invites.map((i) => i.invite)).toEqual(['TEXTid0', 'TEXTid1', 'TEXTid2']);
    const fewer = await publisher({ count: 1, dir: w.dir });
    await fewer.p.refresh();
    expect(fewer.doc().invites.map((i) => i.invite)).toEqual(['TEXTid0']);
    expect(fewer.p.retired).toBe(2);

    const old = await publisher({ count: 2 });
    writeFileSync(join(old.dir, 'invite.json'), JSON.stringify({ text: 'OLD', id: 'old', createdAt: 0, expiresAt: 1, maxUses: 1000, accepted: 3 }));
    await old.p.refresh();
    expect(old.created).toHaveLength(2);
    expect(old.revoked).toEqual(['old']); // expired long ago
  });

  it('a burst of accepted senders creates each replacement once', async () => {
    const w = await publisher({ count: 2, maxUses: 4 });
    await w.p.refresh();
    await Promise.all(Array.from({ length: 4 }, () => w.p.accepted()));
    expect(w.created).toHaveLength(4);
    expect(w.doc().invites).toHaveLength(2);
  });
});
