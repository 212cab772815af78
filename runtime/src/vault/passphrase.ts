/**
 * The passphrase rule, in a module of its own (no crypto imports) so that a UI that says what is
 * wrong before any work can use it without pulling in scrypt; the sealing (seal.ts) enforces
 * the same rule whatever the UI checked.
 */

/** Shortest passphrase accepted: below this, scrypt's cost per guess protects little. */
export const MIN_PASSPHRASE = 8;

/** Length as people count it: code points of the NFKC form, the form the key is derived from. */
export function passphraseLength(passphrase: string): number {
  return [...passphrase.normalize('NFKC')].length;
}
