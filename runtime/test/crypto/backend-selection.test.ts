/**
 * Backend selection: node:crypto in Node, the PARLEY_CRYPTO override, getBackend by
 * name, and WebCrypto detection by known-answer tests.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BACKEND_ENV_VAR, getBackend, pickBackend } from '../../src/crypto/select.ts';
import { webcryptoSupported } from '../../src/crypto/webcrypto.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('backend selection', () => {
  it('picks node in Node when nothing is forced', async () => {
    vi.stubEnv(BACKEND_ENV_VAR, '');
    expect((await pickBackend()).name).toBe('node');
  });

  it.each(['noble', 'node', 'webcrypto'] as const)('honours PARLEY_CRYPTO=%s', async (name) => {
    vi.stubEnv(BACKEND_ENV_VAR, name);
    expect((await pickBackend()).name).toBe(name);
  });

  it('rejects an unknown PARLEY_CRYPTO value', async () => {
    vi.stubEnv(BACKEND_ENV_VAR, 'openssl');
    await expect(pickBackend()).rejects.toThrow(/PARLEY_CRYPTO must be one of noble, node, webcrypto, got openssl/);
  });

  it('getBackend returns each backend by name and rejects unknown names', async () => {
    for (const name of ['noble', 'node', 'webcrypto'] as const) expect((await getBackend(name)).name).toBe(name);
    await expect(getBackend('rust' as never)).rejects.toThrow(RangeError);
  });

  it('detects WebCrypto Ed25519 and X25519 in Node 20 by known answers', async () => {
    expect(await webcryptoSupported()).toBe(true);
  });
});
