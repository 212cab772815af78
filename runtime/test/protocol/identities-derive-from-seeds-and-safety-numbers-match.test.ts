/**
 * Identities (spec derivations identity_x25519, identity_ed25519): keys derive from the seed
 * as the spec says, the id is the first ID_SIZE bytes of the X25519 key, export/import round
 * trips and checks the keys. Safety numbers and QR payloads are symmetric and compare in
 * constant time. Envelopes pad to the smallest bucket.
 */
import {
  ID_SIZE,
  MessageType,
  PAD_BUCKET_1,
  PAD_BUCKET_2,
  SAFETY_NUMBER_BYTES,
  SAFETY_NUMBER_GROUP_BYTES,
  SAFETY_NUMBER_GROUP_DIGITS,
  deriveIdentityEd25519,
  deriveIdentityX25519,
} from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { deriveKey, keyedHash } from '../../src/crypto/index.ts';
import { decodeEnvelopeChecked, encodeEnvelopePadded, makeEnvelope, padBucket } from '../../src/protocol/envelope.ts';
import { exportIdentity, generateIdentity, idHex, identityFromSeed, importIdentity } from '../../src/protocol/identity.ts';
import { safetyNumber, safetyNumbersEqual, safetyQr, verifySafetyQr } from '../../src/protocol/safety.ts';
import { BACKENDS, identity, seedOf } from './_helpers.ts';

const H = { deriveKey, keyedHash };

describe.each(BACKENDS)('identities on the $name backend', (backend) => {
  it('derives both key pairs from the seed as the spec says', async () => {
    const seed = seedOf('alice');
    const id = await identityFromSeed(backend, seed);
    expect(Buffer.from(id.x)).toEqual(Buffer.from(await backend.x25519PublicKey(deriveIdentityX25519(H, { seed }))));
    expect(Buffer.from(id.ed)).toEqual(Buffer.from(await backend.ed25519PublicKey(deriveIdentityEd25519(H, { seed }))));
    expect(Buffer.from(id.id)).toEqual(Buffer.from(id.x.subarray(0, ID_SIZE)));
    expect(idHex(id)).toBe(Buffer.from(id.x.subarray(0, ID_SIZE)).toString('hex'));
    expect(idHex(id.x)).toBe(idHex(id));
  });

  it('exports and imports an identity, refusing mismatched keys', async () => {
    const id = await generateIdentity(backend);
    const json = exportIdentity(id);
    expect(JSON.parse(json)).toMatchObject({ format: 'parley-identity', version: 1 });
    const back = await importIdentity(backend, json);
    expect(Buffer.from(back.ed)).toEqual(Buffer.from(id.ed));
    const other = await generateIdentity(backend);
    const mixed = { ...JSON.parse(json), ed25519: Buffer.from(other.ed).toString('hex') };
    await expect(importIdentity(backend, mixed)).rejects.toThrow(RangeError);
    await expect(importIdentity(backend, { ...JSON.parse(json), version: 2 })).rejects.toThrow(RangeError);
    await expect(importIdentity(backend, '{"format":"x"}')).rejects.toThrow(TypeError);
  });

  it('gives both sides the same safety number and QR payload, and tells other pairs apart', async () => {
    const a = await identity(backend, 'alice');
    const b = await identity(backend, 'bob');
    const c = await identity(backend, 'carol');
    const n = safetyNumber(a, b);
    const groups = SAFETY_NUMBER_BYTES / SAFETY_NUMBER_GROUP_BYTES;
    expect(n).toMatch(new RegExp(`^(\\d{${SAFETY_NUMBER_GROUP_DIGITS}} ){${groups - 1}}\\d{${SAFETY_NUMBER_GROUP_DIGITS}}$`));
    expect(safetyNumber(b, a)).toBe(n);
    expect(safetyNumber(a, c)).not.toBe(n);
    expect(safetyNumbersEqual(n, n.replace(/ /g, ''))).toBe(true);
    expect(safetyNumbersEqual(n, safetyNumber(a, c))).toBe(false);
    const qr = safetyQr(a, b);
    expect(verifySafetyQr(qr, b, a)).toBe(true);
    expect(verifySafetyQr(safetyQr(a, c), a, b)).toBe(false);
    const flipped = qr.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(verifySafetyQr(flipped, a, b)).toBe(false);
    expect(verifySafetyQr(qr.subarray(1), a, b)).toBe(false);
  });
});

describe('envelopes', () => {
  it('pad to the smallest bucket that holds them, and only bucket sizes decode', () => {
    const env = makeEnvelope({ type: MessageType.text, body: { text: 'x'.repeat(300), replyTo: new Uint8Array(16) } });
    const bytes = encodeEnvelopePadded(env);
    expect(bytes.length).toBe(PAD_BUCKET_2);
    expect(padBucket(PAD_BUCKET_1)).toBe(PAD_BUCKET_1);
    expect(padBucket(PAD_BUCKET_1 + 1)).toBe(PAD_BUCKET_2);
    expect(() => padBucket(1e9)).toThrow(RangeError);
    const back = decodeEnvelopeChecked(bytes);
    expect(back.type === MessageType.text && back.body.text.length).toBe(300);
    expect(() => decodeEnvelopeChecked(bytes.subarray(0, PAD_BUCKET_2 - 1))).toThrow(/BAD_LENGTH/);
    const dirty = bytes.slice();
    dirty[dirty.length - 1] = 1; // padding must be zero
    expect(() => decodeEnvelopeChecked(dirty)).toThrow(/NON_CANONICAL/);
  });
});
