/**
 * Secrets sealed under a passphrase (src/vault): the key is scrypt (RFC 7914) of the NFKC form,
 * the box XChaCha20-Poly1305 with the caller's associated data. Checked against the references:
 * the RFC 7914 vector and Node's own scrypt for the KDF, and @noble/hashes + @noble/ciphers
 * directly for the whole construction, both ways, on every backend this platform has.
 */
import { scryptSync } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { SEED_SIZE } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { concatBytes, nobleBackend, randomBytes, toHex } from '../../src/crypto/index.ts';
import { nodeBackend } from '../../src/crypto/node.ts';
import {
  MIN_PASSPHRASE,
  SCRYPT_PARAMS,
  VaultError,
  openSeed,
  openWithPassphrase,
  passphraseKey,
  sealSeed,
  sealWithPassphrase,
  type Protection,
} from '../../src/vault/index.ts';

/** A cheap cost for tests (the default takes 128 MiB and a second per call). */
const FAST = { N: 2 ** 10, r: 8, p: 1 };
const backends = [
  ['noble', nobleBackend],
  ['node', nodeBackend],
] as const;

describe('the KDF', () => {
  it('is RFC 7914 scrypt: the RFC vector, and Node agrees on the NFKC form', async () => {
    // RFC 7914 §12, P = "pleaseletmein", S = "SodiumChloride", N = 16384, r = 8, p = 1 (first 32 bytes)
    const key = await passphraseKey('pleaseletmein', new TextEncoder().encode('SodiumChloride'), { N: 16384, r: 8, p: 1 });
    expect(toHex(key)).toBe('7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2');
    const salt = randomBytes(16);
    const composed = await passphraseKey('caf\u00e9 \u2460', salt, FAST);
    expect(toHex(composed)).toBe(toHex(scryptSync(Buffer.from('caf\u00e9 1'.normalize('NFKC')), salt, 32, { N: FAST.N, r: FAST.r, p: FAST.p })));
    expect(await passphraseKey('cafe\u0301 1', salt, FAST)).toEqual(composed);
  });

  it('costs 128 MiB by default (documented in src/vault/seal.ts)', () => {
    expect(SCRYPT_PARAMS).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect(128 * SCRYPT_PARAMS.N * SCRYPT_PARAMS.r).toBe(128 * 1024 * 1024);
  });
});

describe.each(backends)('sealing on the %s backend', (_name, backend) => {
  const ad = randomBytes(64);

  it('opens with noble directly, and opens what noble sealed', async () => {
    const secret = randomBytes(SEED_SIZE);
    const p = await sealWithPassphrase(backend, secret, 'correct horse', ad, FAST);
    const key = scrypt(new TextEncoder().encode('correct horse'), p.salt, { ...FAST, dkLen: 32 });
    expect(xchacha20poly1305(key, p.nonce, ad).decrypt(p.sealed)).toEqual(secret);
    // the other way: a record made with noble alone
    const salt = randomBytes(16);
    const nonce = randomBytes(24);
    const theirs: Protection = { kdf: 'scrypt', params: FAST, salt, nonce, sealed: xchacha20poly1305(scrypt(new TextEncoder().encode('battery staple'), salt, { ...FAST, dkLen: 32 }), nonce, ad).encrypt(secret) };
    expect(await openWithPassphrase(backend, theirs, 'battery staple', ad)).toEqual(secret);
  });

  it('refuses a wrong passphrase, other associated data, a weak passphrase and a tampered record', async () => {
    const seed = randomBytes(SEED_SIZE);
    const pub = { x: randomBytes(32), ed: randomBytes(32) };
    const p = await sealSeed(backend, seed, 'correct horse', pub, FAST);
    expect(await openSeed(backend, p, 'correct horse', pub)).toEqual(seed);
    expect(await openWithPassphrase(backend, p, 'correct horse', concatBytes(pub.x, pub.ed))).toEqual(seed);
    await expect(openSeed(backend, p, 'wrong horse', pub)).rejects.toMatchObject({ code: 'BAD_PASSPHRASE' });
    await expect(openSeed(backend, p, 'correct horse', { ...pub, ed: randomBytes(32) })).rejects.toMatchObject({ code: 'BAD_PASSPHRASE' });
    await expect(sealSeed(backend, seed, 'x'.repeat(MIN_PASSPHRASE - 1), pub, FAST)).rejects.toBeInstanceOf(VaultError);
    for (const params of [{ N: 2 ** 21, r: 8, p: 1 }, { N: 1000, r: 8, p: 1 }, { N: 1024, r: 64, p: 1 }, { N: 1024, r: 8, p: 2 }]) {
      await expect(openSeed(backend, { ...p, params }, 'correct horse', pub)).rejects.toMatchObject({ code: 'CORRUPT_VAULT' });
    }
    const flipped = p.sealed.slice();
    flipped[0]! ^= 1;
    await expect(openSeed(backend, { ...p, sealed: flipped }, 'correct horse', pub)).rejects.toMatchObject({ code: 'BAD_PASSPHRASE' });
  });
});
