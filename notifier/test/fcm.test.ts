/**
 * FCM HTTP v1 (src/fcm.ts) against the loopback FCM: the OAuth flow (RS256 assertion verified
 * with the service account's public key, grant type, scope, audience), token caching and
 * refresh, and the data-only message with the constant payload.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FCM_PAYLOAD_KEY, PUSH_PAYLOAD_SIZE } from '@parley/generated';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNotifierError } from '../src/errors.ts';
import { FcmSender, loadServiceAccount } from '../src/fcm.ts';
import { WakeReason, pushPayload } from '../src/push.ts';
import { LoopbackFcm } from '@parley/test-kit/notifier';

let fcm: LoopbackFcm;
let dir: string;
beforeAll(async () => {
  fcm = await LoopbackFcm.start();
  dir = await mkdtemp(join(tmpdir(), 'parley-fcm-'));
});
afterAll(async () => {
  await fcm.close();
  await rm(dir, { recursive: true, force: true });
});

async function sender(o: { now?: () => number; key?: ReturnType<typeof generateKeyPairSync>['privateKey'] } = {}): Promise<FcmSender> {
  const account = await loadServiceAccount(await fcm.serviceAccount(dir, o.key ? { key: o.key } : {}));
  return new FcmSender({ account, endpoint: fcm.endpoint, timeoutMs: 5000, messageTtlS: 604800, callTtlS: 45, ...(o.now ? { now: o.now } : {}) });
}

describe('FcmSender', () => {
  it('exchanges a service-account assertion for a token and sends a data-only message with the constant payload', async () => {
    const s = await sender();
    const before = fcm.messages.length;
    expect(await s.send({ kind: 'fcm', token: 'device-token-1' }, WakeReason.message)).toEqual({ outcome: 'sent', status: 200 });
    expect(fcm.refusals).toEqual([]);
    const m = fcm.messages[before]!;
    expect(m.token).toBe('device-token-1');
    expect(Object.keys(m).sort()).toEqual(['android', 'data', 'token']);
    const p = Buffer.from(m.data[FCM_PAYLOAD_KEY]!, 'base64url');
    expect(p.length).toBe(PUSH_PAYLOAD_SIZE);
    expect(p).toEqual(Buffer.from(pushPayload(WakeReason.message)));
    expect(m.android).toEqual({ priority: 'HIGH', ttl: '604800s', collapse_key: 'message' });
  });

  it('caches the access token until shortly before it expires', async () => {
    let t = Date.now();
    const s = await sender({ now: () => t });
    const n0 = fcm.tokenRequests;
    await s.send({ kind: 'fcm', token: 'a' }, WakeReason.message);
    await Promise.all([s.send({ kind: 'fcm', token: 'b' }, WakeReason.call), s.send({ kind: 'fcm', token: 'c' }, WakeReason.message)]);
    expect(fcm.tokenRequests - n0).toBe(1);
    t += 3600_000 - 30_000; // within the refresh margin
    await s.send({ kind: 'fcm', token: 'd' }, WakeReason.message);
    expect(fcm.tokenRequests - n0).toBe(2);
    const call = fcm.messages.find((m) => m.token === 'b')!;
    expect(call.android).toEqual({ priority: 'HIGH', ttl: '45s', collapse_key: 'call' });
    expect(Buffer.from(call.data[FCM_PAYLOAD_KEY]!, 'base64url')[0]).toBe(WakeReason.call);
  });

  it('gets a new token and retries once when FCM answers 401', async () => {
    const s = await sender();
    await s.send({ kind: 'fcm', token: 'x' }, WakeReason.message);
    fcm.revokeTokens();
    const n0 = fcm.tokenRequests;
    expect((await s.send({ kind: 'fcm', token: 'y' }, WakeReason.message)).outcome).toBe('sent');
    expect(fcm.tokenRequests - n0).toBe(1);
  });

  it('reports an UNREGISTERED token as gone', async () => {
    const s = await sender();
    fcm.unregistered.add('stale');
    expect(await s.send({ kind: 'fcm', token: 'stale' }, WakeReason.message)).toEqual({ outcome: 'gone', status: 404 });
  });

  it('a key the token endpoint does not trust fails the push, without throwing', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const s = await sender({ key: privateKey });
    const r = await s.send({ kind: 'fcm', token: 'z' }, WakeReason.message);
    expect(r.outcome).toBe('failed');
    expect(fcm.refusals).toContain('assertion signature does not verify');
  });

  it('refuses a file that is not a service-account key', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ type: 'authorized_user' }));
    await expect(loadServiceAccount(bad)).rejects.toSatisfy((e) => isNotifierError(e, 'FCM_AUTH'));
  });
});
