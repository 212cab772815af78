/** The BLAKE3 provider the generated derivations take (internal). */
import type { Blake3 } from '@parley/generated';
import { deriveKey, keyedHash, keyedHashPieces } from '../crypto/index.ts';

export const H: Blake3 = { deriveKey, keyedHash, keyedHashPieces };
