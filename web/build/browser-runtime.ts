/**
 * Vite plugin: replaces the runtime's Node crypto backend (runtime/src/crypto/node.ts, reached
 * only through a dynamic import that runs when `process.versions.node` exists) with a module
 * that fails to load, so browser bundles carry no node:crypto or node:buffer shims.
 * pickBackend() then picks WebCrypto, or noble.
 */
import type { Plugin } from 'vite';

/** Name of the stub's chunk (`assets/_parley-node-backend-stub-<hash>.js`): web/bench leaves it out, browsers never load it. */
export const NODE_BACKEND_STUB = 'parley-node-backend-stub';
/**
 * Worker chunks (`assets/<name>-<hash>.js`) loaded only when a feature needs them, never before
 * the first screen: ML-KEM-768, which runtime/src/protocol/ratchet/kem.ts imports on a v2
 * session's first KEM step, and scrypt, which runtime/src/vault/seal.ts imports when a
 * passphrase is set or typed (the unlock screen shows before it is needed). web/bench counts them apart from first-load JS, fails when one is
 * missing from the build, and fails when a cold navigation fetched one before the screen was
 * usable. The service worker precaches them like every built file, so offline works.
 */
export const LAZY_WORKER_CHUNKS = ['ml-kem', 'scrypt'];
const STUB = `\0${NODE_BACKEND_STUB}`;
const NODE_BACKEND = /[\\/]runtime[\\/]src[\\/]crypto[\\/]node\.ts$/;

export function browserRuntime(): Plugin {
  return {
    name: 'parley-browser-runtime',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!source.endsWith('node.ts') || !importer) return null;
      const r = await this.resolve(source, importer, { ...options, skipSelf: true });
      return r && NODE_BACKEND.test(r.id) ? STUB : null;
    },
    load(id) {
      return id === STUB ? "throw new Error('the node crypto backend is not part of browser builds');\nexport const nodeBackend = undefined;\n" : null;
    },
  };
}
