/**
 * Backend on WebCrypto (`globalThis.crypto.subtle`): Ed25519 and X25519 as in the
 * Secure Curves in WebCrypto draft (https://wicg.github.io/webcrypto-secure-curves/),
 * RFC 8032 and RFC 7748. WebCrypto has no ChaCha, so XChaCha20-Poly1305 is noble's.
 * The shared checks of `_rules.ts` run before every native call, so the rules are ours,
 * not the browser's. The equation is the engine's: OpenSSL (Node) and BoringSSL
 * (Chromium) verify Ed25519 cofactorlessly, like our other backends; an engine using
 * the cofactored equation would differ only on signatures with a torsion component.
 *
 * Support is detected by running known-answer tests (RFC 8032 §7.1 TEST 1,
 * RFC 7748 §6.1), not by looking for names: `webcryptoSupported()`.
 * Imported keys are cached like the node backend's (`_keycache.ts`); private keys
 * are imported non-extractable, except a temporary extractable copy used once to
 * read the public key.
 */
import { defineBackend, type BackendCore, type NativeEphemeral } from './_define.ts';
import { PublicKeyCache, SecretKeyCache } from './_keycache.ts';
import type { CryptoBackend } from './backend.ts';
import { equalBytes, fromHex } from './bytes.ts';
import { CryptoError } from './errors.ts';
import { nobleCore } from './noble.ts';

type Curve = 'Ed25519' | 'X25519';

const PKCS8_PREFIX: Record<Curve, string> = {
  Ed25519: '302e020100300506032b657004220420', // RFC 8410, OID 1.3.101.112
  X25519: '302e020100300506032b656e04220420', // RFC 8410, OID 1.3.101.110
};
const USAGE: Record<Curve, KeyUsage> = { Ed25519: 'sign', X25519: 'deriveBits' };

/*
 * The part of WebCrypto this backend calls, typed here: the runtime runs in browsers, workers and
 * Node, and type-checks without the DOM library, so it names only what it uses.
 */
type KeyUsage = 'sign' | 'verify' | 'deriveBits';
/** A key held by the platform (WebCrypto's CryptoKey); opaque here. */
interface CryptoKey {
  readonly type: string;
}
interface CryptoKeyPair {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}
type Bytes = Uint8Array<ArrayBuffer>;
interface SubtleCrypto {
  importKey(format: 'pkcs8' | 'raw', keyData: Bytes, algorithm: { name: Curve }, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKey>;
  exportKey(format: 'jwk', key: CryptoKey): Promise<{ x?: string }>;
  exportKey(format: 'raw', key: CryptoKey): Promise<ArrayBuffer>;
  generateKey(algorithm: { name: 'X25519' }, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKeyPair | CryptoKey>;
  deriveBits(algorithm: { name: 'X25519'; public: CryptoKey }, key: CryptoKey, length: number): Promise<ArrayBuffer>;
  sign(algorithm: { name: 'Ed25519' }, key: CryptoKey, data: Bytes): Promise<ArrayBuffer>;
  verify(algorithm: { name: 'Ed25519' }, key: CryptoKey, signature: Bytes, data: Bytes): Promise<boolean>;
}

function subtle(): SubtleCrypto {
  const s = (globalThis as unknown as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (s === undefined) throw new CryptoError('UNSUPPORTED', 'WebCrypto is not available');
  return s;
}

/** TS 5.7+ types BufferSource as ArrayBuffer-backed; our arrays may not say so. */
const src = (u: Uint8Array): Uint8Array<ArrayBuffer> => u as Uint8Array<ArrayBuffer>;

function importPrivate(crv: Curve, secret: Uint8Array, extractable: boolean): Promise<CryptoKey> {
  const der = new Uint8Array(48);
  der.set(fromHex(PKCS8_PREFIX[crv]));
  der.set(secret, 16);
  try {
    // importKey copies keyData before returning (WebCrypto §14.3.9 step 2), so wiping now is safe.
    return subtle().importKey('pkcs8', der, { name: crv }, extractable, [USAGE[crv]]);
  } finally {
    der.fill(0);
  }
}

function fromBase64url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function exportPublic(crv: Curve, secret: Uint8Array): Promise<Uint8Array> {
  const jwk = await subtle().exportKey('jwk', await importPrivate(crv, secret, true));
  if (typeof jwk.x !== 'string') throw new CryptoError('BAD_KEY', `${crv}: no public key exported`);
  return fromBase64url(jwk.x);
}

const privateKeys: Record<Curve, SecretKeyCache<Promise<CryptoKey>>> = {
  Ed25519: new SecretKeyCache(),
  X25519: new SecretKeyCache(),
};
const derivedPublicKeys: Record<Curve, SecretKeyCache<Promise<Uint8Array>>> = {
  Ed25519: new SecretKeyCache(),
  X25519: new SecretKeyCache(),
};
const publicKeys: Record<Curve, PublicKeyCache<Promise<CryptoKey>>> = {
  Ed25519: new PublicKeyCache(),
  X25519: new PublicKeyCache(),
};

const privateKey = (crv: Curve, secret: Uint8Array): Promise<CryptoKey> =>
  privateKeys[crv].get(secret, (s) => importPrivate(crv, s, false));

async function publicKeyOf(crv: Curve, secret: Uint8Array): Promise<Uint8Array> {
  const publicKey = await derivedPublicKeys[crv].get(secret, (s) => exportPublic(crv, s));
  return publicKey.slice();
}

function importPublic(crv: Curve, publicKey: Uint8Array): Promise<CryptoKey> {
  const id = String.fromCharCode(...publicKey);
  const usages: KeyUsage[] = crv === 'Ed25519' ? ['verify'] : [];
  return publicKeys[crv].get(id, () => subtle().importKey('raw', src(publicKey), { name: crv }, false, usages));
}

/** A fresh X25519 key pair from the platform; the private key is not extractable. */
async function generateX25519(): Promise<NativeEphemeral> {
  const pair = (await subtle().generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
  let privateKey: CryptoKey | null = pair.privateKey;
  const publicKey = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  return {
    publicKey,
    async dh(pub) {
      if (privateKey === null) throw new Error('destroyed');
      return new Uint8Array(await subtle().deriveBits({ name: 'X25519', public: await importPublic('X25519', pub) }, privateKey, 256));
    },
    destroy() {
      privateKey = null;
    },
  };
}

const webcryptoCore: BackendCore = {
  x25519PublicKey: (secret) => publicKeyOf('X25519', secret),
  x25519Generate: generateX25519,
  async x25519(secret, publicKey) {
    const [priv, pub] = await Promise.all([privateKey('X25519', secret), importPublic('X25519', publicKey)]);
    return new Uint8Array(await subtle().deriveBits({ name: 'X25519', public: pub }, priv, 256));
  },
  ed25519PublicKey: (seed) => publicKeyOf('Ed25519', seed),
  async ed25519Sign(seed, message) {
    const key = await privateKey('Ed25519', seed);
    return new Uint8Array(await subtle().sign({ name: 'Ed25519' }, key, src(message)));
  },
  async ed25519Verify(publicKey, message, signature) {
    const key = await importPublic('Ed25519', publicKey);
    return subtle().verify({ name: 'Ed25519' }, key, src(signature), src(message));
  },
  xchachaSeal: nobleCore.xchachaSeal,
  xchachaOpen: nobleCore.xchachaOpen,
};

export const webcryptoBackend: CryptoBackend = defineBackend('webcrypto', webcryptoCore);

/** Drops every cached CryptoKey. */
export function clearWebcryptoKeyCaches(): void {
  for (const c of [...Object.values(privateKeys), ...Object.values(derivedPublicKeys)]) c.clear();
  for (const c of Object.values(publicKeys)) c.clear();
}

// Known answers. RFC 8032 §7.1 TEST 1 (empty message); RFC 7748 §6.1.
const KAT = {
  edSeed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  edPublic: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  edSignature:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  xAlice: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  xAlicePublic: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  xBobPublic: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  xShared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
};

async function selfTest(): Promise<boolean> {
  try {
    const b = webcryptoBackend;
    const seed = fromHex(KAT.edSeed);
    const empty = new Uint8Array(0);
    const sig = await b.ed25519Sign(seed, empty);
    const ok =
      equalBytes(await b.ed25519PublicKey(seed), fromHex(KAT.edPublic)) &&
      equalBytes(sig, fromHex(KAT.edSignature)) &&
      (await b.ed25519Verify(fromHex(KAT.edPublic), empty, sig)) &&
      !(await b.ed25519Verify(fromHex(KAT.edPublic), Uint8Array.of(1), sig));
    const alice = fromHex(KAT.xAlice);
    return (
      ok &&
      equalBytes(await b.x25519PublicKey(alice), fromHex(KAT.xAlicePublic)) &&
      equalBytes(await b.x25519(alice, fromHex(KAT.xBobPublic)), fromHex(KAT.xShared))
    );
  } catch {
    return false;
  }
}

let support: Promise<boolean> | undefined;

/** True if this platform's WebCrypto computes Ed25519 and X25519 correctly (memoised). */
export function webcryptoSupported(): Promise<boolean> {
  support ??= selfTest();
  return support;
}
