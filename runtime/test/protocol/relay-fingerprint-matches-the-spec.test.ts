import { blake3 } from '@noble/hashes/blake3.js';
import { Contexts, RELAY_FINGERPRINT_GROUP_BYTES, RELAY_FINGERPRINT_SIZE } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { relayFingerprint } from '../../src/protocol/index.ts';

const key = (fill: number) => new Uint8Array(32).fill(fill);

describe('relayFingerprint', () => {
  it('is DK(relay fingerprint, relay_x || relay_ed) in dash-separated hex groups', () => {
    const x = key(1);
    const ed = key(2);
    // Independent computation with noble's BLAKE3 derive_key.
    const want = blake3(new Uint8Array([...x, ...ed]), { context: new TextEncoder().encode(Contexts.relayFingerprint), dkLen: RELAY_FINGERPRINT_SIZE });
    const hex = [...want].map((b) => b.toString(16).padStart(2, '0')).join('');
    const fp = relayFingerprint(x, ed);
    expect(fp.replaceAll('-', '')).toBe(hex);
    expect(fp.split('-')).toHaveLength(RELAY_FINGERPRINT_SIZE / RELAY_FINGERPRINT_GROUP_BYTES);
  });

  it('changes with either key', () => {
    expect(relayFingerprint(key(1), key(2))).not.toBe(relayFingerprint(key(1), key(3)));
    expect(relayFingerprint(key(1), key(2))).not.toBe(relayFingerprint(key(4), key(2)));
  });
});
