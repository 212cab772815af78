/**
 * Secure random bytes from `globalThis.crypto.getRandomValues` (WebCrypto §10.1.1),
 * available in browsers and in Node >= 19 without imports.
 */
import { aint } from './_assert.ts';

/** getRandomValues refuses more than 65536 bytes per call (QuotaExceededError). */
const GET_RANDOM_VALUES_MAX = 65536;
/** Upper bound on one request; far above any key or nonce, bounds a mistaken allocation. */
export const RANDOM_BYTES_MAX = 1 << 24;

export function randomBytes(n: number): Uint8Array {
  aint(n, 'n', 0, RANDOM_BYTES_MAX);
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += GET_RANDOM_VALUES_MAX) {
    globalThis.crypto.getRandomValues(out.subarray(at, Math.min(n, at + GET_RANDOM_VALUES_MAX)));
  }
  return out;
}
