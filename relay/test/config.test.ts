import { describe, expect, it } from 'vitest';
import { MAX_CONNECTIONS_PER_ADDRESS, MAX_FRAME_SIZE, MAX_RELAY_ENDPOINTS, MAILBOX_MAX_FRAMES } from '@parley/generated';
import { loadConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('defaults to 127.0.0.1:8080 with the spec limits', () => {
    const c = loadConfig({}, []);
    expect(c.port).toBe(8080);
    expect(c.host).toBe('127.0.0.1');
    expect(c.dataDir).toBeUndefined();
    expect(c.limits.maxFrameSize).toBe(MAX_FRAME_SIZE);
    expect(c.limits.maxConnectionsPerAddress).toBe(MAX_CONNECTIONS_PER_ADDRESS);
    expect(c.limits.mailboxMaxFrames).toBe(MAILBOX_MAX_FRAMES);
    expect(c.turn).toBeUndefined();
    expect(c.logLevel).toBe('info');
    expect(c.metricsHost).toBe('127.0.0.1');
    expect(c.metricsPort).toBe(9464);
  });

  it('reads the metrics listener and the issue-15 bounds from the environment and flags', () => {
    const c = loadConfig({ METRICS_HOST: '10.0.0.5', RELAY_PENDING_TIMEOUT_MS: '2000' }, ['--metrics-port', '0', '--mailbox-source-max-bytes', '1048576', '--fd-reserve', '64']);
    expect(c.metricsHost).toBe('10.0.0.5');
    expect(c.metricsPort).toBe(0);
    expect(c.limits.pendingTimeoutMs).toBe(2000);
    expect(c.limits.mailboxSourceMaxBytes).toBe(1048576);
    expect(c.limits.fdReserve).toBe(64);
    expect(configError(() => loadConfig({ METRICS_PORT: '70000' }, [])).message).toMatch(/METRICS_PORT/);
    expect(configError(() => loadConfig({}, ['--mailbox-stranger-share-divisor', '0'])).message).toMatch(/mailbox-stranger-share-divisor/);
  });

  it('reads the environment, and flags override it', () => {
    const env = { PORT: '9000', HOST: '0.0.0.0', PARLEY_DATA: '/tmp/x', RELAY_MAX_CONNECTIONS_PER_ADDRESS: '5' };
    const c = loadConfig(env, ['--port', '9001', '--max-connections-per-address=7', '--log-level', 'debug']);
    expect(c.port).toBe(9001);
    expect(c.host).toBe('0.0.0.0');
    expect(c.dataDir).toBe('/tmp/x');
    expect(c.limits.maxConnectionsPerAddress).toBe(7);
    expect(c.logLevel).toBe('debug');
  });

  it('serves a web app only from the folder it is given (WEB_ROOT, --web-root), never a guessed one', () => {
    expect(loadConfig({}, []).webRoot).toBeUndefined();
    expect(loadConfig({ WEB_ROOT: '/srv/parley' }, []).webRoot).toBe('/srv/parley');
    expect(loadConfig({ WEB_ROOT: '/srv/parley' }, ['--web-root', 'web/dist']).webRoot).toBe('web/dist');
    // npm start passes --web-root web/dist; a later flag (npm start -- --web-root X) wins
    expect(loadConfig({}, ['--web-root', 'web/dist', '--web-root', '/srv/other']).webRoot).toBe('/srv/other');
  });

  it('names the setting of a bad value, as it was given', () => {
    expect(configError(() => loadConfig({ PORT: 'abc' })).message).toMatch(/^PORT: must be a whole number/);
    expect(configError(() => loadConfig({}, ['--port=70000'])).message).toMatch(/^--port: must be at most 65535/);
    expect(configError(() => loadConfig({ LOG_LEVEL: 'loud' })).setting).toBe('LOG_LEVEL');
    expect(configError(() => loadConfig({ RELAY_MAX_FRAME_SIZE: String(MAX_FRAME_SIZE + 1) })).setting).toBe('RELAY_MAX_FRAME_SIZE');
    expect(configError(() => loadConfig({ NOTIFIER_ID: 'zz' })).setting).toBe('NOTIFIER_ID');
    expect(configError(() => loadConfig({ PUBLIC_URL: 'http://x' })).setting).toBe('PUBLIC_URL');
    for (const bad of [' , ', 'https://a/', 'ws://a/,ws://a/', Array.from({ length: MAX_RELAY_ENDPOINTS + 1 }, (_, i) => `ws://n${i}/`).join(',')]) {
      expect(configError(() => loadConfig({ RELAY_ENDPOINTS: bad })).setting, bad.slice(0, 40)).toBe('RELAY_ENDPOINTS');
    }
    expect(configError(() => loadConfig({}, ['--bogus', '1'])).setting).toBe('--bogus');
    expect(configError(() => loadConfig({}, ['--port'])).setting).toBe('--port');
  });

  it('rejects limits that cannot work together, naming one of them', () => {
    const e = configError(() => loadConfig({ RELAY_IDLE_TIMEOUT_MS: '1000', RELAY_PING_INTERVAL_MS: '2000' }));
    expect(e.setting).toBe('RELAY_IDLE_TIMEOUT_MS');
  });

  it('takes TURN only with both a secret and turn: URLs', () => {
    expect(configError(() => loadConfig({ TURN_SECRET: '0123456789abcdef0123' })).setting).toBe('TURN_SECRET');
    expect(configError(() => loadConfig({ TURN_URLS: 'turn:a.example' })).setting).toBe('TURN_URLS');
    expect(configError(() => loadConfig({ TURN_URLS: 'http://a.example', TURN_SECRET: '0123456789abcdef0123' })).setting).toBe('TURN_URLS');
    const c = loadConfig({ TURN_SECRET: '0123456789abcdef0123', TURN_URLS: 'turn:a.example:3478, turns:a.example:5349', STUN_URLS: 'stun:a.example' });
    expect(c.turn).toEqual({ secret: '0123456789abcdef0123', turnUrls: ['turn:a.example:3478', 'turns:a.example:5349'], stunUrls: ['stun:a.example'] });
  });

  it('takes the notifier as a full X25519 key or as an id', () => {
    expect(loadConfig({ NOTIFIER_ID: 'ab'.repeat(32) }).notifier).toEqual({ kind: 'key', x: new Uint8Array(32).fill(0xab) });
    expect(loadConfig({ NOTIFIER_ID: 'cd'.repeat(8) }).notifier).toEqual({ kind: 'id', id: new Uint8Array(8).fill(0xcd) });
  });
});
