/** Settings (src/config.ts): env, flags, defaults, and errors that name the setting. */
import { MAILBOX_TTL_MS, MAX_RELAY_ENDPOINTS, WAKE_MIN_INTERVAL_MS } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WEBPUSH_ORIGINS, loadConfig, requireRun } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';

const X = 'ab'.repeat(32);
const ED = 'cd'.repeat(32);

describe('loadConfig', () => {
  it('has spec defaults and paths in the data folder', () => {
    const c = loadConfig({}, []);
    expect(c.relay).toBeUndefined();
    expect(c.dataDir).toBe('.notifier');
    expect(c.keyFile).toBe('.notifier/notifier.key');
    expect(c.webPushOrigins).toEqual(DEFAULT_WEBPUSH_ORIGINS);
    expect(c.limits.wakeMinIntervalMs).toBe(WAKE_MIN_INTERVAL_MS);
    expect(c.limits.registrationTtlMs).toBe(MAILBOX_TTL_MS);
    expect(() => requireRun(c)).toThrow(/RELAY_URL/);
  });

  it('reads env and lets flags win', () => {
    const c = loadConfig(
      { RELAY_URL: 'ws://127.0.0.1:8080/', RELAY_X: X, RELAY_ED: ED, VAPID_SUBJECT: 'mailto:a@b.c', NOTIFIER_DATA: '/tmp/n', NOTIFIER_WAKE_MIN_INTERVAL_MS: '5000' },
      ['--wake-min-interval-ms', '7000', '--webpush-allowed-origins=http://127.0.0.1:9000, https://*.push.apple.com', '--fcm-service-account', '/tmp/sa.json'],
    );
    requireRun(c);
    expect(c.relay!.x).toEqual(Uint8Array.from(Buffer.from(X, 'hex')));
    expect(c.vapidKeyFile).toBe('/tmp/n/vapid.key');
    expect(c.limits.wakeMinIntervalMs).toBe(7000);
    expect(c.webPushOrigins).toEqual(['http://127.0.0.1:9000', 'https://*.push.apple.com']);
    expect(c.relay!.endpoints).toBeUndefined();
    expect(c.fcm).toEqual({ serviceAccountFile: '/tmp/sa.json', endpoint: 'https://fcm.googleapis.com/v1/projects/{project}/messages:send', tokenUri: undefined });
  });

  it('takes the nodes of one relay as a comma-separated RELAY_URL: the first is its URL, all are its endpoints', () => {
    const c = loadConfig({ RELAY_URL: 'ws://127.0.0.1:8080/, ws://127.0.0.1:8081/', RELAY_X: X, RELAY_ED: ED });
    expect(c.relay).toMatchObject({ url: 'ws://127.0.0.1:8080/', endpoints: ['ws://127.0.0.1:8080/', 'ws://127.0.0.1:8081/'] });
    expect(() => loadConfig({ RELAY_URL: 'ws://a/,ws://a/', RELAY_X: X, RELAY_ED: ED })).toThrow(/RELAY_URL: .*twice/);
    const tooMany = Array.from({ length: MAX_RELAY_ENDPOINTS + 1 }, (_, i) => `ws://n${i}/`).join(',');
    expect(() => loadConfig({ RELAY_URL: tooMany, RELAY_X: X, RELAY_ED: ED })).toThrow(new RegExp(`RELAY_URL: at most ${MAX_RELAY_ENDPOINTS}`));
  });

  it('takes the number of invites and the sender cap, up to their bounds', () => {
    const d = loadConfig({}, []);
    expect(d.limits.invites).toBe(16);
    expect(d.limits.maxSenders).toBe(150_000);
    const c = loadConfig({ NOTIFIER_MAX_SENDERS: '10' }, ['--invites', '64', '--webpush-allowed-origins', Array.from({ length: 64 }, (_, i) => `https://p${i}.example`).join(',')]);
    expect(c.limits.invites).toBe(64);
    expect(c.limits.maxSenders).toBe(10);
    expect(c.webPushOrigins).toHaveLength(64);
  });

  it.each([
    [{ RELAY_X: 'zz' }, [], /RELAY_X: must be hex/],
    [{ RELAY_URL: 'http://x' }, [], /RELAY_URL: must be a ws/],
    [{ RELAY_URL: 'ws://x/' }, [], /go together/],
    [{}, ['--vapid-subject', 'ops@example.org'], /--vapid-subject: must be a mailto/],
    [{}, ['--max-registrations', '0'], /--max-registrations: must be at least 1/],
    [{}, ['--max-senders', '0'], /--max-senders: must be at least 1/],
    [{ NOTIFIER_INVITES: '0' }, [], /NOTIFIER_INVITES: must be at least 1/],
    [{}, ['--invites', '65'], /--invites: must be at most 64/],
    [{}, ['--webpush-allowed-origins', Array.from({ length: 65 }, (_, i) => `https://p${i}.example`).join(',')], /at most 64 origins/],
    [{}, ['--fcm-endpoint', 'https://x/'], /needs FCM_SERVICE_ACCOUNT/],
    [{}, ['--webpush-allowed-origins', 'ftp://x'], /WEBPUSH|webpush-allowed-origins/],
    [{}, ['--nope', '1'], /--nope: unknown option/],
    [{}, ['stray'], /unexpected argument/],
  ])('%o %o is refused', (env, argv, msg) => {
    expect(() => loadConfig(env as NodeJS.ProcessEnv, argv as string[])).toThrow(ConfigError);
    expect(() => loadConfig(env as NodeJS.ProcessEnv, argv as string[])).toThrow(msg);
  });
});
