/**
 * Caches of imported platform keys (internal), used by the node and webcrypto
 * backends. Importing a key is their dominant cost: Node 20 (OpenSSL 3.0) spends
 * more time creating a private KeyObject than signing with it, because the import
 * recomputes the public key.
 *
 * Secret keys: `SecretKeyCache` is a WeakMap keyed by the caller's own secret
 * array, so an imported key lives no longer than the array that holds the same
 * secret. No copy of the secret is kept: each lookup compares a 256-bit BLAKE3
 * keyed-hash fingerprint (under a random per-process key) of the array's current
 * contents, so an array that was overwritten (wiped or reused) misses and its
 * entry is replaced. `forget(secret)` drops an entry at once.
 *
 * Public keys: `PublicKeyCache` is a bounded LRU keyed by the key's bytes (as a
 * string), so keys parsed afresh from frames still hit.
 */
import { CHUNK_END, CHUNK_START, KEYED_HASH, ROOT, compressRoot, wordsLE } from './_blake3_compress.ts';

/** Bounds the native keys held for public keys; covers a contact list or a relay's active senders. */
export const PUBLIC_KEY_CACHE_SIZE = 1024;

const FINGERPRINT_KEY = globalThis.crypto.getRandomValues(new Uint32Array(8));
const M = new Uint32Array(16);
const FP = new Uint32Array(8);
const FLAGS = CHUNK_START | CHUNK_END | ROOT | KEYED_HASH;

/** FP = KH(FINGERPRINT_KEY, secret) for a 32-byte secret (one compression). */
function fingerprint(secret: Uint8Array): Uint32Array {
  wordsLE(secret, 0, M, 8);
  compressRoot(FINGERPRINT_KEY, M, 32, FLAGS, FP, 8);
  M.fill(0);
  return FP;
}

function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  let d = 0;
  for (let i = 0; i < 8; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

interface Entry<V> {
  readonly fp: Uint32Array;
  readonly value: V;
}

/** Imported keys for 32-byte secrets, tied to the lifetime of the caller's array. */
export class SecretKeyCache<V> {
  #map = new WeakMap<Uint8Array, Entry<V>>();

  /** The value cached for this array if its contents are unchanged, else `create(secret)` (cached). */
  get(secret: Uint8Array, create: (secret: Uint8Array) => V): V {
    const fp = fingerprint(secret);
    const hit = this.#map.get(secret);
    if (hit !== undefined && sameWords(hit.fp, fp)) return hit.value;
    const entry: Entry<V> = { fp: fp.slice(), value: create(secret) };
    this.#map.set(secret, entry);
    const v: unknown = entry.value;
    if (v instanceof Promise) {
      // A failed asynchronous import is not cached.
      v.catch(() => {
        if (this.#map.get(secret) === entry) this.#map.delete(secret);
      });
    }
    return entry.value;
  }

  forget(secret: Uint8Array): void {
    this.#map.delete(secret);
  }

  /** Drops every entry. */
  clear(): void {
    this.#map = new WeakMap();
  }
}

/** Bounded least-recently-used map from a public key's bytes (as a string) to its imported key. */
export class PublicKeyCache<V> {
  readonly #map = new Map<string, V>();
  readonly #max: number;

  constructor(max = PUBLIC_KEY_CACHE_SIZE) {
    this.#max = max;
  }

  #newest: string | undefined;

  get(id: string, create: () => V): V {
    const hit = this.#map.get(id);
    if (hit !== undefined) {
      // refresh recency (nothing to do when it is already the newest: the common repeat)
      if (id !== this.#newest) {
        this.#map.delete(id);
        this.#map.set(id, hit);
        this.#newest = id;
      }
      return hit;
    }
    this.#newest = id;
    const value = create();
    if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value!);
    this.#map.set(id, value);
    const v: unknown = value;
    if (v instanceof Promise) {
      v.catch(() => {
        if (this.#map.get(id) === value) this.#map.delete(id);
      });
    }
    return value;
  }

  get size(): number {
    return this.#map.size;
  }

  clear(): void {
    this.#map.clear();
    this.#newest = undefined;
  }
}
