/**
 * Every backend passes every Wycheproof case for X25519, Ed25519 and
 * XChaCha20-Poly1305 (C2SP/wycheproof testvectors_v1, kept in ./vectors).
 *
 * "acceptable" cases (X25519 only) are decided by our rules (README.md, "Rules"):
 *   - public key with u >= 2^255 - 19 over all 256 bits (bit 255 set, or 2^255 - 19 <= u < 2^255):
 *     rejected NON_CANONICAL (RFC 7748 would mask bit 255 and reduce mod p);
 *   - low-order public key (the vector's shared secret is all zero): rejected LOW_ORDER
 *     (RFC 7748 §6.1 allows the check; spec/DESIGN.md "Crypto backends and key rules" requires it);
 *   - any other acceptable case (points on the twist, special u values): accepted and the
 *     shared secret must match.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { ALL_BACKENDS, outcome } from './_backends.ts';
import {
  readVectors,
  wycheproofCases,
  type AeadCase,
  type EddsaGroup,
  type WycheproofFile,
  type XdhCase,
} from './_vectors.ts';

const x25519Cases = wycheproofCases(readVectors<WycheproofFile<{ tests: XdhCase[] }>>('wycheproof/x25519_test.json'));
const ed25519Groups = readVectors<WycheproofFile<EddsaGroup>>('wycheproof/ed25519_test.json').testGroups;
const ed25519Cases = ed25519Groups.flatMap((g) => g.tests.map((t) => ({ ...t, pk: g.publicKey.pk })));
const xchachaCases = wycheproofCases(
  readVectors<WycheproofFile<{ tests: AeadCase[] }>>('wycheproof/xchacha20_poly1305_test.json'),
);

const P = 2n ** 255n - 19n;
const littleEndian = (hex: string): bigint => BigInt('0x' + (hex.match(/../g) ?? []).reverse().join(''));
const ZERO32 = '00'.repeat(32);

/** Our expected outcome for an X25519 case, derived from the vector, not from our code. */
function expectedX25519(t: XdhCase): { ok: string } | { error: 'NON_CANONICAL' | 'LOW_ORDER' } {
  if (littleEndian(t.public) >= P) return { error: 'NON_CANONICAL' };
  if (t.shared === ZERO32) return { error: 'LOW_ORDER' };
  return { ok: t.shared };
}

describe('our X25519 rules never reject a Wycheproof "valid" case', () => {
  it('has no valid case that is non-canonical or low-order', () => {
    const rejectedValid = x25519Cases.filter((t) => t.result === 'valid' && 'error' in expectedX25519(t));
    expect(rejectedValid.map((t) => t.tcId)).toEqual([]);
  });
});

describe.each(ALL_BACKENDS)('$name backend passes Wycheproof', (backend) => {
  describe('x25519_test.json', () => {
    it.each(x25519Cases)('tcId $tcId $result $comment', async (t) => {
      const got = await outcome(backend.x25519(fromHex(t.private), fromHex(t.public)));
      const want = expectedX25519(t);
      if ('ok' in want) {
        expect('ok' in got ? toHex(got.ok) : got).toBe(want.ok);
      } else {
        expect(got).toEqual(want);
      }
    });
  });

  describe('ed25519_test.json', () => {
    it.each(ed25519Cases)('tcId $tcId $result $comment', async (t) => {
      const ok = await backend.ed25519Verify(fromHex(t.pk), fromHex(t.msg), fromHex(t.sig));
      expect(ok).toBe(t.result === 'valid');
    });
  });

  describe('xchacha20_poly1305_test.json', () => {
    it.each(xchachaCases)('tcId $tcId $result $comment', async (t) => {
      const [key, iv, aad, msg] = [fromHex(t.key), fromHex(t.iv), fromHex(t.aad), fromHex(t.msg)];
      const sealed = fromHex(t.ct + t.tag);
      if (t.result === 'valid') {
        expect(toHex(await backend.xchachaSeal(key, iv, msg, aad))).toBe(t.ct + t.tag);
        expect(toHex(await backend.xchachaOpen(key, iv, sealed, aad))).toBe(t.msg);
        return;
      }
      // invalid: a wrong-size nonce is an argument error; anything else fails authentication
      const expected = iv.length === 24 ? 'DECRYPT_FAILED' : 'RangeError';
      expect(await outcome(backend.xchachaOpen(key, iv, sealed, aad))).toEqual({ error: expected });
      if (iv.length !== 24) {
        expect(await outcome(backend.xchachaSeal(key, iv, msg, aad))).toEqual({ error: 'RangeError' });
      }
    });
  });
});
