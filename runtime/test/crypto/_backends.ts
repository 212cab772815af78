/** The backends under test, all in Node (Node 20 has WebCrypto Ed25519 and X25519). */
import type { CryptoBackend } from '../../src/crypto/backend.ts';
import { nobleBackend } from '../../src/crypto/noble.ts';
import { nodeBackend } from '../../src/crypto/node.ts';
import { webcryptoBackend } from '../../src/crypto/webcrypto.ts';

export const ALL_BACKENDS: readonly CryptoBackend[] = [nobleBackend, nodeBackend, webcryptoBackend];
/** The backends checked against the noble reference. */
export const NATIVE_BACKENDS: readonly CryptoBackend[] = [nodeBackend, webcryptoBackend];

/** The error code a promise rejects with, 'ok' if it resolves, the error name for non-CryptoErrors. */
export async function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await p };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return { error: typeof code === 'string' ? code : (e as Error).name };
  }
}
