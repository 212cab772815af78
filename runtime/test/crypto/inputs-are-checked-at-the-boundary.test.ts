/**
 * Public functions check their arguments once, at the boundary: wrong type is a
 * TypeError, wrong length a RangeError naming the argument and the expected size;
 * data rejected by a rule is a CryptoError with a stable code.
 */
import { describe, expect, it } from 'vitest';
import { deriveKey, hash, keyedHash } from '../../src/crypto/blake3.ts';
import { CryptoError, isCryptoError } from '../../src/crypto/errors.ts';
import { randomBytes } from '../../src/crypto/random.ts';
import { ALL_BACKENDS } from './_backends.ts';

const b32 = new Uint8Array(32);
const b24 = new Uint8Array(24);
const none = new Uint8Array(0);

describe('CryptoError', () => {
  it('has a name, a stable code, a cause, and a guard', () => {
    const cause = new Error('inner');
    const e = new CryptoError('LOW_ORDER', 'x', { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('CryptoError');
    expect(e.code).toBe('LOW_ORDER');
    expect(e.cause).toBe(cause);
    expect(isCryptoError(e)).toBe(true);
    expect(isCryptoError(e, 'LOW_ORDER')).toBe(true);
    expect(isCryptoError(e, 'DECRYPT_FAILED')).toBe(false);
    expect(isCryptoError(new Error('x'))).toBe(false);
    expect(isCryptoError({ code: 'LOW_ORDER' })).toBe(false);
  });
});

describe.each(ALL_BACKENDS)('$name backend boundary', (b) => {
  it('rejects non-bytes with TypeError', async () => {
    await expect(b.x25519PublicKey('x' as never)).rejects.toThrow(TypeError);
    await expect(b.ed25519Sign(b32, [1, 2] as never)).rejects.toThrow(/message must be a Uint8Array, got Array/);
    await expect(b.ed25519Verify(b32, none, null as never)).rejects.toThrow(/signature must be a Uint8Array, got null/);
    await expect(b.xchachaSeal(b32, b24, none, undefined as never)).rejects.toThrow(TypeError);
    expect(() => b.xchachaSealSync(b32, b24, none, undefined as never)).toThrow(TypeError);
  });

  it('rejects wrong lengths with RangeError naming the argument and size', async () => {
    await expect(b.x25519PublicKey(new Uint8Array(31))).rejects.toThrow(/secret must be 32 bytes, got 31/);
    await expect(b.x25519(b32, new Uint8Array(33))).rejects.toThrow(/publicKey must be 32 bytes, got 33/);
    await expect(b.ed25519PublicKey(new Uint8Array(64))).rejects.toThrow(/seed must be 32 bytes, got 64/);
    await expect(b.xchachaSeal(new Uint8Array(16), b24, none, none)).rejects.toThrow(/key must be 32 bytes, got 16/);
    expect(() => b.xchachaSealSync(b32, new Uint8Array(12), none, none)).toThrow(/nonce must be 24 bytes, got 12/);
    await expect(b.xchachaOpen(b32, new Uint8Array(12), new Uint8Array(16), none)).rejects.toThrow(/nonce must be 24 bytes, got 12/);
  });

  it('answers false, not an error, for a verify with wrong-length key or signature', async () => {
    expect(await b.ed25519Verify(new Uint8Array(31), none, new Uint8Array(64))).toBe(false);
    expect(await b.ed25519Verify(b32, none, new Uint8Array(63))).toBe(false);
  });

  it('fails a too-short ciphertext with DECRYPT_FAILED', async () => {
    const err = await b.xchachaOpen(b32, b24, new Uint8Array(15), none).catch((e: unknown) => e);
    expect(isCryptoError(err, 'DECRYPT_FAILED')).toBe(true);
  });

  it('reports low-order and non-canonical keys with their codes', async () => {
    const low = await b.x25519(b32, new Uint8Array(32)).catch((e: unknown) => e);
    expect(isCryptoError(low, 'LOW_ORDER')).toBe(true);
    const high = new Uint8Array(32).fill(0xff);
    const nc = await b.x25519(b32, high).catch((e: unknown) => e);
    expect(isCryptoError(nc, 'NON_CANONICAL')).toBe(true);
  });
});

describe('blake3 and random boundaries', () => {
  it('checks types, key length and output length', () => {
    expect(() => hash('abc' as never)).toThrow(TypeError);
    expect(() => hash(none, 0)).toThrow(/outLen must be an integer in \[1, 65536\], got 0/);
    expect(() => hash(none, 1.5)).toThrow(RangeError);
    expect(() => keyedHash(new Uint8Array(16), none)).toThrow(/key must be 32 bytes, got 16/);
    expect(() => deriveKey(1 as never, none)).toThrow(/context must be a string/);
  });

  it('randomBytes returns n fresh bytes, beyond the 65536-byte getRandomValues limit too', () => {
    expect(randomBytes(0)).toEqual(new Uint8Array(0));
    const big = randomBytes(70_000);
    expect(big.length).toBe(70_000);
    expect(big.subarray(65_536).some((x) => x !== 0)).toBe(true);
    expect(randomBytes(32)).not.toEqual(randomBytes(32));
    expect(() => randomBytes(-1)).toThrow(RangeError);
  });
});
