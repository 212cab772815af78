/**
 * The node backend's native half of XChaCha20-Poly1305, OpenSSL's IETF
 * ChaCha20-Poly1305 (RFC 8439 §2.8), passes every Wycheproof chacha20_poly1305 case.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { isCryptoError } from '../../src/crypto/errors.ts';
import { chachaIetfOpen, chachaIetfSeal } from '../../src/crypto/node.ts';
import { readVectors, wycheproofCases, type AeadCase, type WycheproofFile } from './_vectors.ts';

const cases = wycheproofCases(readVectors<WycheproofFile<{ tests: AeadCase[] }>>('wycheproof/chacha20_poly1305_test.json'));

function errorOf(f: () => unknown): string {
  try {
    f();
    return 'no error';
  } catch (e) {
    return isCryptoError(e) ? e.code : (e as Error).name;
  }
}

describe('node chacha20-poly1305 (IETF) passes chacha20_poly1305_test.json', () => {
  it.each(cases)('tcId $tcId $result $comment', (t) => {
    const [key, iv, aad, msg] = [fromHex(t.key), fromHex(t.iv), fromHex(t.aad), fromHex(t.msg)];
    const sealed = fromHex(t.ct + t.tag);
    if (t.result === 'valid') {
      expect(toHex(chachaIetfSeal(key, iv, msg, aad))).toBe(t.ct + t.tag);
      expect(toHex(chachaIetfOpen(key, iv, sealed, aad))).toBe(t.msg);
      return;
    }
    const expected = iv.length === 12 ? 'DECRYPT_FAILED' : 'RangeError';
    expect(errorOf(() => chachaIetfOpen(key, iv, sealed, aad))).toBe(expected);
  });
});
