/**
 * The passphrase rule, in a module of its own so that onboarding (which says what is wrong
 * before any work) and the vault in the worker (which enforces it: the UI is no boundary, any
 * caller of the worker's `create` gets the same rule) share it without the UI bundle pulling
 * in scrypt.
 */

/** Shortest passphrase accepted: below this, scrypt's cost per guess protects little. */
export const MIN_PASSPHRASE = 8;

/** Length as people count it: code points of the NFKC form, the form the key is derived from. */
export function passphraseLength(passphrase: string): number {
  return [...passphrase.normalize('NFKC')].length;
}
