/**
 * Differential tests of x25519Ephemeral, the handshakes' ephemeral key pairs: on every
 * backend, pairs the backend makes itself (webcrypto: a non-extractable CryptoKey; noble and
 * node: a random secret) agree with noble's X25519, pairs made from a given secret are
 * exactly that secret's, and `dh` accepts and rejects exactly what `x25519` does, with the
 * same error codes.
 */
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nobleBackend } from '../../src/crypto/noble.ts';
import { ALL_BACKENDS, outcome } from './_backends.ts';
import { P, X25519_LOW_ORDER, le32, withTopBit } from './_crafted.ts';

const TIMEOUT = 120_000;
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

const publicArb = fc.oneof(
  bytes(32),
  bytes(32).map((b) => {
    b[31]! &= 0x7f;
    return b;
  }),
  bytes(32).map((s) => nobleX25519.getPublicKey(s)),
  fc.constantFrom(...X25519_LOW_ORDER, ...X25519_LOW_ORDER.map(withTopBit), le32(P), le32(P + 1n), le32(P - 1n)),
);

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe.each(ALL_BACKENDS)('x25519Ephemeral on the $name backend', (backend) => {
  it(
    'generated pairs agree with noble: DH with a noble peer gives the peer\'s shared secret',
    async () => {
      await fc.assert(
        fc.asyncProperty(bytes(32), async (peerSecret) => {
          const e = await backend.x25519Ephemeral();
          expect(e.publicKey).toBeInstanceOf(Uint8Array);
          expect(e.publicKey.length).toBe(32);
          const mine = await e.dh(nobleX25519.getPublicKey(peerSecret));
          expect(hex(mine)).toBe(hex(nobleX25519.getSharedSecret(peerSecret, e.publicKey)));
          e.destroy();
        }),
        { numRuns: 40 },
      );
    },
    TIMEOUT,
  );

  it(
    'a pair from a given secret is that secret\'s, and its dh equals x25519 on noble for any public key (same errors)',
    async () => {
      await fc.assert(
        fc.asyncProperty(bytes(32), publicArb, async (secret, pub) => {
          const e = await backend.x25519Ephemeral(secret);
          expect(hex(e.publicKey)).toBe(hex(nobleX25519.getPublicKey(secret)));
          expect(await outcome(e.dh(pub))).toEqual(await outcome(nobleBackend.x25519(secret, pub)));
          e.destroy();
        }),
        { numRuns: 100 },
      );
    },
    TIMEOUT,
  );

  it(
    'a generated pair rejects exactly the public keys x25519 rejects, with the same code',
    async () => {
      const e = await backend.x25519Ephemeral();
      const anySecret = new Uint8Array(32).fill(7);
      await fc.assert(
        fc.asyncProperty(publicArb, async (pub) => {
          const got = await outcome(e.dh(pub));
          const want = await outcome(nobleBackend.x25519(anySecret, pub));
          if ('error' in want) expect(got).toEqual(want);
          else expect('ok' in got && (got.ok as Uint8Array).length === 32).toBe(true);
        }),
        { numRuns: 100 },
      );
      e.destroy();
    },
    TIMEOUT,
  );

  it('copies a given secret: wiping the caller\'s array changes nothing', async () => {
    const secret = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
    const peer = nobleX25519.getPublicKey(new Uint8Array(32).fill(9));
    const want = nobleX25519.getSharedSecret(secret, peer);
    const e = await backend.x25519Ephemeral(secret);
    secret.fill(0);
    expect(hex(await e.dh(peer))).toBe(hex(want));
  });

  it('makes a new pair each call, and destroy() ends it (idempotent)', async () => {
    const a = await backend.x25519Ephemeral();
    const b = await backend.x25519Ephemeral();
    expect(hex(a.publicKey)).not.toBe(hex(b.publicKey));
    const peer = nobleX25519.getPublicKey(new Uint8Array(32).fill(5));
    await a.dh(peer);
    a.destroy();
    a.destroy();
    await expect(a.dh(peer)).rejects.toThrow(/destroy/);
    expect((await b.dh(peer)).length).toBe(32);
  });

  it('checks its arguments: a secret of the wrong length or type, a public key of the wrong length', async () => {
    await expect(backend.x25519Ephemeral(new Uint8Array(31))).rejects.toThrow(RangeError);
    await expect(backend.x25519Ephemeral('x' as unknown as Uint8Array)).rejects.toThrow(TypeError);
    const e = await backend.x25519Ephemeral();
    await expect(e.dh(new Uint8Array(33))).rejects.toThrow(RangeError);
  });
});
