/**
 * The passphrase rule lives in the runtime (`@parley/runtime/passphrase`, no crypto imports), so
 * onboarding can say what is wrong before any work without the UI bundle pulling in scrypt.
 */
export { MIN_PASSPHRASE, passphraseLength } from '@parley/runtime/passphrase';
