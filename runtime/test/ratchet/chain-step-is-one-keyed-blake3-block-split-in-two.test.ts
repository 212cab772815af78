/**
 * KDF_CK (spec derivation chain_step): the runtime's fast path (one compression into scratch,
 * kdf.ts) gives exactly the spec's bytes, computed here by an independent BLAKE3 (noble) over the
 * generated input region: the message key is the first KEY_SIZE bytes of the 64-byte keyed
 * hash, the next chain key the following KEY_SIZE. The ratchet vectors are written by the
 * runtime, so this is the check that ties them to the spec's definition.
 */
import { blake3 } from '@noble/hashes/blake3.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEY_SIZE, chainStepInput, deriveChainStep } from '@parley/generated';
import { H } from '../../src/protocol/_blake3.ts';
import { kdfChain } from '../../src/protocol/ratchet/index.ts';

describe('chain step', () => {
  it('is KH(CK, chain_step_input) of 64 bytes: message key, then next chain key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: KEY_SIZE, maxLength: KEY_SIZE }), (ck) => {
        const expected = blake3(chainStepInput(), { key: ck, dkLen: 2 * KEY_SIZE });
        const { messageKey, next } = kdfChain(ck);
        expect(messageKey).toEqual(expected.subarray(0, KEY_SIZE));
        expect(next).toEqual(expected.subarray(KEY_SIZE));
        expect(deriveChainStep(H, ck)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves the chain key as it was and gives keys of their own', () => {
    const ck = new Uint8Array(KEY_SIZE).map((_, i) => i + 1);
    const copy = ck.slice();
    const a = kdfChain(ck);
    const b = kdfChain(ck);
    expect(ck).toEqual(copy);
    a.messageKey.fill(0); // erasing one step's keys must not touch another's
    expect(b.messageKey).not.toEqual(new Uint8Array(KEY_SIZE));
    expect(a.next).toEqual(b.next);
  });
});
