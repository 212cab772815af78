/**
 * Keys at rest (worker/vault.ts): a sealed seed opens only with its passphrase and only next
 * to its own public keys; a tampered record is refused before any work. Relay settings
 * (worker/relay-config.ts): build-time env first, then the serving relay's well-known
 * document, each validated.
 */
import { PROTOCOL_VERSION, SEED_SIZE } from '@parley/generated';
import { fromHex, nobleBackend, randomBytes, relayFingerprint, toHex } from '@parley/runtime';
import { describe, expect, it } from 'vitest';
import { startRelay } from '@parley/relay';
import { RelayConfigError, relayFromEnv, relayFromWellKnown, resolveRelay, sameEndpoints, sameRelayKeys } from '../src/worker/relay-config.ts';
import { MIN_PASSPHRASE } from '../src/shared/passphrase.ts';
import { SCRYPT_PARAMS, VaultError, checkNewPassphrase, openSeed, sealSeed } from '../src/worker/vault.ts';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const pub = { x: randomBytes(32), ed: randomBytes(32) };
const hexKey = (c: string) => c.repeat(64);
/** The fingerprint of two hex keys, as every client computes it. */
const fp = (x: string, ed: string) => relayFingerprint(fromHex(x), fromHex(ed));

describe('the vault', () => {
  it('seals a seed that opens only with the passphrase and the same public keys', async () => {
    const seed = randomBytes(SEED_SIZE);
    const p = await sealSeed(nobleBackend, seed, 'correct horse', pub, FAST);
    expect(p.kdf).toBe('scrypt');
    expect(p.sealed).not.toEqual(seed);
    expect(await openSeed(nobleBackend, p, 'correct horse', pub)).toEqual(seed);
    // NFKC: the same passphrase typed with a composed or decomposed accent
    const q = await sealSeed(nobleBackend, seed, 'caf\u00e9 au lait', pub, FAST);
    expect(await openSeed(nobleBackend, q, 'cafe\u0301 au lait', pub)).toEqual(seed);
    await expect(openSeed(nobleBackend, p, 'wrong horse', pub)).rejects.toMatchObject({ code: 'BAD_PASSPHRASE' });
    await expect(openSeed(nobleBackend, p, 'correct horse', { ...pub, ed: randomBytes(32) })).rejects.toMatchObject({ code: 'BAD_PASSPHRASE' });
  });

  it('refuses records that ask for absurd work or are malformed', async () => {
    const pw = 'long enough';
    const p = await sealSeed(nobleBackend, randomBytes(SEED_SIZE), pw, pub, FAST);
    await expect(openSeed(nobleBackend, { ...p, params: { N: 2 ** 30, r: 8, p: 1 } }, pw, pub)).rejects.toMatchObject({ code: 'CORRUPT_VAULT' });
    await expect(openSeed(nobleBackend, { ...p, params: { N: 1000, r: 8, p: 1 } }, pw, pub)).rejects.toMatchObject({ code: 'CORRUPT_VAULT' });
    await expect(openSeed(nobleBackend, { ...p, salt: 'x' as unknown as Uint8Array }, pw, pub)).rejects.toMatchObject({ code: 'CORRUPT_VAULT' });
    await expect(sealSeed(nobleBackend, new Uint8Array(5), pw, pub, FAST)).rejects.toThrow(RangeError);
  });

  it(`seals only with a passphrase of at least ${MIN_PASSPHRASE} characters, counted after NFKC`, async () => {
    const seed = randomBytes(SEED_SIZE);
    for (const weak of ['', 'short', 'x'.repeat(MIN_PASSPHRASE - 1), 'cafe\u0301s!!' /* 8 code points, 7 after NFKC */, 42 as unknown as string]) {
      const err = await sealSeed(nobleBackend, seed, weak, pub, FAST).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VaultError);
      expect(err).toMatchObject({ name: 'VaultError', code: 'WEAK_PASSPHRASE' });
    }
    expect(() => checkNewPassphrase('x'.repeat(MIN_PASSPHRASE))).not.toThrow();
    expect(() => checkNewPassphrase('\u{1F511}'.repeat(MIN_PASSPHRASE))).not.toThrow(); // code points, not UTF-16 units
    expect(() => checkNewPassphrase('\u{1F511}'.repeat(MIN_PASSPHRASE / 2))).toThrow(VaultError);
    // Opening has no length rule (the record decides); an empty passphrase is just wrong, without any scrypt work.
    const p = await sealSeed(nobleBackend, seed, 'x'.repeat(MIN_PASSPHRASE), pub, FAST);
    await expect(openSeed(nobleBackend, p, '', pub)).rejects.toMatchObject({ code: 'BAD_PASSPHRASE' });
    await expect(openSeed(nobleBackend, p, undefined as unknown as string, pub)).rejects.toMatchObject({ code: 'BAD_PASSPHRASE' });
    expect(await openSeed(nobleBackend, p, 'x'.repeat(MIN_PASSPHRASE), pub)).toEqual(seed);
  });

  it('defaults to scrypt N=2^17, r=8, p=1 (128 MiB)', () => {
    expect(SCRYPT_PARAMS).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect(128 * SCRYPT_PARAMS.N * SCRYPT_PARAMS.r).toBe(128 * 1024 * 1024);
  });
});

describe('relay settings', () => {
  it('uses the build settings when all three are set, and checks them', () => {
    expect(relayFromEnv({})).toBeUndefined();
    expect(relayFromEnv({ VITE_PARLEY_RELAY_URL: 'wss://relay.example/', VITE_PARLEY_RELAY_X: hexKey('A'), VITE_PARLEY_RELAY_ED: hexKey('b') })).toEqual({
      url: 'wss://relay.example/',
      x: hexKey('a'),
      ed: hexKey('b'),
      fingerprint: fp(hexKey('a'), hexKey('b')),
      source: 'env',
    });
    expect(() => relayFromEnv({ VITE_PARLEY_RELAY_URL: 'https://relay.example/', VITE_PARLEY_RELAY_X: hexKey('a'), VITE_PARLEY_RELAY_ED: hexKey('b') })).toThrow(/ws:/);
    expect(() => relayFromEnv({ VITE_PARLEY_RELAY_URL: 'ws://r/', VITE_PARLEY_RELAY_X: 'abcd' })).toThrow(/hex digits/);
  });

  it('takes several nodes of one relay from the build settings and from the well-known document', () => {
    const keys = { VITE_PARLEY_RELAY_X: hexKey('a'), VITE_PARLEY_RELAY_ED: hexKey('b') };
    expect(relayFromEnv({ VITE_PARLEY_RELAY_URL: 'wss://a.relay.example/, wss://b.relay.example/', ...keys })).toMatchObject({ url: 'wss://a.relay.example/', endpoints: ['wss://a.relay.example/', 'wss://b.relay.example/'] });
    expect(() => relayFromEnv({ VITE_PARLEY_RELAY_URL: 'wss://a.relay.example/,https://b.relay.example/', ...keys })).toThrow(/ws:/);
    expect(() => relayFromEnv({ VITE_PARLEY_RELAY_URL: 'wss://a.relay.example/,wss://a.relay.example/', ...keys })).toThrow(/distinct/);
    const doc = { protocol: 'parley', versions: [PROTOCOL_VERSION], url: 'wss://relay.example/', endpoints: ['wss://n1.relay.example/', 'wss://n2.relay.example/'], relay_x: hexKey('c'), relay_ed: hexKey('d'), fingerprint: fp(hexKey('c'), hexKey('d')) };
    const r = relayFromWellKnown(doc);
    expect(r.endpoints).toEqual(doc.endpoints);
    expect(sameEndpoints(r, { ...r, endpoints: [...doc.endpoints].reverse() })).toBe(false);
    expect(sameEndpoints(r, relayFromWellKnown({ ...doc }))).toBe(true);
    expect(() => relayFromWellKnown({ ...doc, endpoints: ['ws://n1.relay.example/'] })).toThrow(expect.objectContaining({ reason: 'BAD_ENDPOINTS' }));
  });

  it("reads the serving relay's well-known document", async () => {
    const doc = { protocol: 'parley', versions: [PROTOCOL_VERSION], url: 'ws://127.0.0.1:1/', relay_x: hexKey('c'), relay_ed: hexKey('d'), fingerprint: fp(hexKey('c'), hexKey('d')) };
    expect(relayFromWellKnown(doc)).toEqual({ url: doc.url, endpoints: [doc.url], x: doc.relay_x, ed: doc.relay_ed, fingerprint: doc.fingerprint, source: 'well-known' });
    expect(relayFromWellKnown({ ...doc, versions: [PROTOCOL_VERSION + 1, PROTOCOL_VERSION] }).x).toBe(hexKey('c'));
    const seen: string[] = [];
    const fetchFn = (async (u: string) => {
      seen.push(u);
      return new Response(JSON.stringify(doc), { status: 200 });
    }) as unknown as typeof fetch;
    expect((await resolveRelay({}, 'http://app.test:8080', fetchFn)).url).toBe(doc.url);
    expect(seen).toEqual(['http://app.test:8080/.well-known/parley.json']);
    const down = (async () => {
      throw new Error('offline');
    }) as unknown as typeof fetch;
    await expect(resolveRelay({}, 'http://app.test', down)).rejects.toMatchObject({ code: 'RELAY_CONFIG' });
    const missing = (async () => new Response('no', { status: 404 })) as unknown as typeof fetch;
    await expect(resolveRelay({}, 'http://app.test', missing)).rejects.toThrow(/404/);
    expect(sameRelayKeys(relayFromWellKnown(doc), { ...relayFromWellKnown(doc), url: 'ws://elsewhere/' })).toBe(true);
    const notJson = (async () => new Response('<html>', { status: 200 })) as unknown as typeof fetch;
    await expect(resolveRelay({}, 'http://app.test', notJson)).rejects.toMatchObject({ name: 'RelayConfigError', code: 'RELAY_CONFIG' });
    // the worker's path: a served document whose fingerprint is not its keys' is refused, not pinned
    const mismatched = (async () => new Response(JSON.stringify({ ...doc, fingerprint: fp(hexKey('e'), hexKey('f')) }), { status: 200 })) as unknown as typeof fetch;
    await expect(resolveRelay({}, 'http://app.test', mismatched)).rejects.toMatchObject({ name: 'RelayConfigError', code: 'RELAY_CONFIG', reason: 'FINGERPRINT_MISMATCH' });
  });

  it('refuses documents of another protocol, without our version, with fields the spec does not define, or whose fingerprint is not their keys\'', () => {
    const doc = { protocol: 'parley', versions: [PROTOCOL_VERSION], url: 'ws://127.0.0.1:1/', relay_x: hexKey('c'), relay_ed: hexKey('d'), fingerprint: fp(hexKey('c'), hexKey('d')) };
    expect(relayFromWellKnown(doc).fingerprint).toBe(doc.fingerprint); // the base document is good: each case below breaks one thing
    const bad: [unknown, RegExp][] = [
      [null, /not a JSON object/],
      [[doc], /not a JSON object/],
      [{ ...doc, protocol: undefined }, /protocol must be "parley"/],
      [{ ...doc, protocol: 'matrix' }, /protocol must be "parley"/],
      [{ ...doc, versions: undefined }, new RegExp(`version ${PROTOCOL_VERSION}`)],
      [{ ...doc, versions: [PROTOCOL_VERSION + 1] }, new RegExp(`version ${PROTOCOL_VERSION}`)],
      [{ ...doc, versions: String(PROTOCOL_VERSION) }, new RegExp(`version ${PROTOCOL_VERSION}`)],
      // `x` and `ed` are not the spec's names (relay_x, relay_ed): not read as aliases
      [{ protocol: 'parley', versions: [PROTOCOL_VERSION], url: doc.url, x: hexKey('c'), ed: hexKey('d'), fingerprint: doc.fingerprint }, /relay_x/],
      [{ ...doc, relay_x: hexKey('C') }, /relay_x/],
      [{ ...doc, url: 'https://relay.example/' }, /url/],
      [{ ...doc, fingerprint: undefined }, /fingerprint/],
      // the published fingerprint belongs to other keys (or the keys were swapped under it)
      [{ ...doc, fingerprint: fp(hexKey('e'), hexKey('d')) }, /is not the fingerprint of the published keys/],
      [{ ...doc, relay_x: hexKey('e') }, /is not the fingerprint of the published keys/],
    ];
    for (const [d, why] of bad) {
      let err: unknown;
      try {
        relayFromWellKnown(d);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(d)).toBeInstanceOf(RelayConfigError);
      expect((err as RelayConfigError).code).toBe('RELAY_CONFIG');
      expect((err as Error).message).toMatch(why);
      if (why.source.includes('fingerprint of the published')) expect((err as RelayConfigError).reason).toBe('FINGERPRINT_MISMATCH');
    }
  });

  it("accepts what the relay's own /.well-known/parley.json serves", async () => {
    const relay = await startRelay({ port: 0, host: '127.0.0.1', logLevel: 'silent', limits: { shutdownRetryAfterMs: 0 } });
    try {
      const r = await resolveRelay({}, relay.httpUrl);
      expect(r).toMatchObject({ url: relay.url, x: toHex(relay.publicKeys.x), ed: toHex(relay.publicKeys.ed), source: 'well-known' });
      expect(r.fingerprint).toBe(relayFingerprint(relay.publicKeys.x, relay.publicKeys.ed));
    } finally {
      await relay.close();
    }
  });
});
