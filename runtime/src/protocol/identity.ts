/**
 * Identities (spec derivations identity_x25519 and identity_ed25519; constants ID_SIZE,
 * SEED_SIZE). Both key pairs derive from one 32-byte seed, so vectors are reproducible:
 *
 *   x secret  = DK(identity x25519, seed)     (clamped by X25519 itself, RFC 7748 §5)
 *   ed seed   = DK(identity ed25519, seed)    (RFC 8032 §5.1.5)
 *   id        = the first ID_SIZE bytes of the X25519 public key
 *
 * Export and import use JSON with hex and a version field; only the seed is secret.
 */
import { ID_SIZE, KEY_SIZE, SEED_SIZE, deriveIdentityEd25519, deriveIdentityX25519 } from '@parley/generated';
import { equalBytes, fromHex, randomBytes, toHex, type CryptoBackend } from '../crypto/index.ts';
import { abytes, astring } from './_assert.ts';
import { H } from './_blake3.ts';

/** A party's public keys: X25519 (key agreement) and Ed25519 (signatures). */
export interface PublicKeys {
  readonly x: Uint8Array;
  readonly ed: Uint8Array;
}

/** Public keys and the id derived from them. */
export interface PublicIdentity extends PublicKeys {
  /** The first ID_SIZE bytes of `x`: a routing hint, not an identifier (ids can be ground). */
  readonly id: Uint8Array;
}

/** A full identity. `seed`, `xSecret` and `edSeed` are secret; `destroyIdentity` wipes them. */
export interface Identity extends PublicIdentity {
  readonly seed: Uint8Array;
  readonly xSecret: Uint8Array;
  readonly edSeed: Uint8Array;
}

/** The persisted form of an identity. */
export interface IdentityJSON {
  format: 'parley-identity';
  version: 1;
  /** The secret seed, hex. */
  seed: string;
  /** Public keys and id, hex (checked against the seed on import). */
  x25519: string;
  ed25519: string;
  id: string;
}

/** The id of an X25519 public key: its first ID_SIZE bytes (a copy). */
export function idOf(x: Uint8Array): Uint8Array {
  return abytes(x, 'x', KEY_SIZE).slice(0, ID_SIZE);
}

/** Hex of an id, of an identity's id, or of the id of an X25519 key. */
export function idHex(idOrKeys: Uint8Array | { readonly id: Uint8Array }): string {
  const bytes = idOrKeys instanceof Uint8Array ? idOrKeys : idOrKeys.id;
  if (bytes.length === KEY_SIZE) return toHex(bytes.subarray(0, ID_SIZE));
  return toHex(abytes(bytes, 'id', ID_SIZE));
}

/** Derives both key pairs and the id from a SEED_SIZE-byte seed (the seed is copied). */
export async function identityFromSeed(backend: CryptoBackend, seed: Uint8Array): Promise<Identity> {
  abytes(seed, 'seed', SEED_SIZE);
  const s = seed.slice();
  const xSecret = deriveIdentityX25519(H, { seed: s });
  const edSeed = deriveIdentityEd25519(H, { seed: s });
  const x = await backend.x25519PublicKey(xSecret);
  const ed = await backend.ed25519PublicKey(edSeed);
  return Object.freeze({ seed: s, xSecret, edSeed, x, ed, id: x.slice(0, ID_SIZE) });
}

/** A new identity from a fresh random seed. */
export async function generateIdentity(backend: CryptoBackend, random: (n: number) => Uint8Array = randomBytes): Promise<Identity> {
  const seed = random(SEED_SIZE);
  try {
    return await identityFromSeed(backend, seed);
  } finally {
    seed.fill(0);
  }
}

/** The public part of an identity (copies). */
export function publicIdentity(keys: PublicKeys): PublicIdentity {
  abytes(keys.x, 'x', KEY_SIZE);
  abytes(keys.ed, 'ed', KEY_SIZE);
  return Object.freeze({ x: keys.x.slice(), ed: keys.ed.slice(), id: keys.x.slice(0, ID_SIZE) });
}

/** True if both public keys are equal (public data: not constant time). */
export function sameKeys(a: PublicKeys, b: PublicKeys): boolean {
  return equalBytes(a.x, b.x) && equalBytes(a.ed, b.ed);
}

/** Serializes an identity (its secret seed included) as JSON. Store it as a 0600 key file. */
export function exportIdentity(identity: Identity): string {
  const json: IdentityJSON = {
    format: 'parley-identity',
    version: 1,
    seed: toHex(identity.seed),
    x25519: toHex(identity.x),
    ed25519: toHex(identity.ed),
    id: toHex(identity.id),
  };
  return JSON.stringify(json, null, 2) + '\n';
}

/**
 * Parses an exported identity and derives it again from the seed. Throws TypeError for a
 * malformed document and RangeError if the stored public keys do not match the seed.
 */
export async function importIdentity(backend: CryptoBackend, json: string | IdentityJSON): Promise<Identity> {
  const o = (typeof json === 'string' ? JSON.parse(astring(json, 'json')) : json) as Partial<IdentityJSON> | null;
  if (typeof o !== 'object' || o === null || o.format !== 'parley-identity') throw new TypeError('not a parley-identity document');
  if (o.version !== 1) throw new RangeError(`unsupported parley-identity version ${String(o.version)}`);
  const seed = abytes(fromHex(astring(o.seed, 'seed')), 'seed', SEED_SIZE);
  const identity = await identityFromSeed(backend, seed);
  seed.fill(0);
  const matches =
    toHex(identity.x) === astring(o.x25519, 'x25519').toLowerCase() &&
    toHex(identity.ed) === astring(o.ed25519, 'ed25519').toLowerCase() &&
    toHex(identity.id) === astring(o.id, 'id').toLowerCase();
  if (!matches) {
    destroyIdentity(identity);
    throw new RangeError('the stored public keys do not match the seed');
  }
  return identity;
}

/** Wipes the secrets of an identity; it cannot sign or agree keys afterwards. */
export function destroyIdentity(identity: Identity): void {
  identity.seed.fill(0);
  identity.xSecret.fill(0);
  identity.edSeed.fill(0);
}
