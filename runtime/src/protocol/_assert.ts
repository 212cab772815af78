/** Boundary assertion helpers (internal), shared with the crypto layer. */
export { abytes, aint, astring, isBytes } from '../crypto/_assert.ts';
