/**
 * Backend selection by feature detection (spec/DESIGN.md "Crypto backends and key rules"):
 *   1. in Node, `PARLEY_CRYPTO=noble|node|webcrypto` forces a backend;
 *   2. in Node, node:crypto (loaded with a dynamic import, so browser bundles never
 *      import node:crypto statically);
 *   3. WebCrypto, if its Ed25519 and X25519 pass known-answer tests;
 *   4. noble, which runs everywhere.
 */
import { BACKEND_NAMES, type BackendName, type CryptoBackend } from './backend.ts';
import { CryptoError } from './errors.ts';
import { nobleBackend } from './noble.ts';

/** The environment variable that forces a backend in Node. */
export const BACKEND_ENV_VAR = 'PARLEY_CRYPTO';

interface NodeLikeProcess {
  versions?: { node?: string };
  env?: Record<string, string | undefined>;
}

function nodeProcess(): NodeLikeProcess | undefined {
  const p = (globalThis as { process?: NodeLikeProcess }).process;
  return typeof p?.versions?.node === 'string' ? p : undefined;
}

/** The named backend; rejects with CryptoError UNSUPPORTED if it cannot run here. */
export async function getBackend(name: BackendName): Promise<CryptoBackend> {
  switch (name) {
    case 'noble':
      return nobleBackend;
    case 'node': {
      if (nodeProcess() === undefined) throw new CryptoError('UNSUPPORTED', 'the node backend needs Node.js');
      try {
        return (await import('./node.ts')).nodeBackend;
      } catch (cause) {
        throw new CryptoError('UNSUPPORTED', 'node:crypto could not be loaded', { cause });
      }
    }
    case 'webcrypto': {
      const { webcryptoBackend, webcryptoSupported } = await import('./webcrypto.ts');
      if (!(await webcryptoSupported())) {
        throw new CryptoError('UNSUPPORTED', 'WebCrypto Ed25519/X25519 is not available');
      }
      return webcryptoBackend;
    }
    default:
      throw new RangeError(`backend name must be one of ${BACKEND_NAMES.join(', ')}, got ${String(name)}`);
  }
}

function isBackendName(x: string): x is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(x);
}

/** The best backend for this platform (see the module comment). Not memoised: cheap after the first call. */
export async function pickBackend(): Promise<CryptoBackend> {
  const proc = nodeProcess();
  const forced = proc?.env?.[BACKEND_ENV_VAR];
  if (forced !== undefined && forced !== '') {
    if (!isBackendName(forced)) {
      throw new RangeError(`${BACKEND_ENV_VAR} must be one of ${BACKEND_NAMES.join(', ')}, got ${forced}`);
    }
    return getBackend(forced);
  }
  if (proc !== undefined) {
    try {
      return await getBackend('node');
    } catch {
      // fall through (e.g. a runtime that looks like Node without node:crypto)
    }
  }
  try {
    return await getBackend('webcrypto');
  } catch {
    return nobleBackend;
  }
}
