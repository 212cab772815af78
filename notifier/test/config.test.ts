/** Settings (src/config.ts): env, flags, defaults, and errors that name the setting. */
import { MAILBOX_TTL_MS, WAKE_MIN_INTERVAL_MS } from '@parley/generated';
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
    expect(c.fcm).toEqual({ serviceAccountFile: '/tmp/sa.json', endpoint: 'https://fcm.googleapis.com/v1/projects/{project}/messages:send', tokenUri: undefined });
  });

  it.each([
    [{ RELAY_X: 'zz' }, [], /RELAY_X: must be hex/],
    [{ RELAY_URL: 'http://x' }, [], /RELAY_URL: must be a ws/],
    [{ RELAY_URL: 'ws://x/' }, [], /go together/],
    [{}, ['--vapid-subject', 'ops@example.org'], /--vapid-subject: must be a mailto/],
    [{}, ['--max-registrations', '0'], /--max-registrations: must be at least 1/],
    [{}, ['--fcm-endpoint', 'https://x/'], /needs FCM_SERVICE_ACCOUNT/],
    [{}, ['--webpush-allowed-origins', 'ftp://x'], /WEBPUSH|webpush-allowed-origins/],
    [{}, ['--nope', '1'], /--nope: unknown option/],
    [{}, ['stray'], /unexpected argument/],
  ])('%o %o is refused', (env, argv, msg) => {
    expect(() => loadConfig(env as NodeJS.ProcessEnv, argv as string[])).toThrow(ConfigError);
    expect(() => loadConfig(env as NodeJS.ProcessEnv, argv as string[])).toThrow(msg);
  });
});
