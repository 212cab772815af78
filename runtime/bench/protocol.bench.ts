/**
 * Protocol benchmark: seal-and-sign and verify-and-open of peer frames carrying a 1 KiB
 * envelope, and handshakes per second (client side and relay side), on the noble and node
 * backends, with libsodium-wrappers (WebAssembly) doing the same primitive operations as the
 * baseline in the same run. Run standalone:
 *
 *   npx tsx runtime/bench/protocol.bench.ts        (BENCH_PROTOCOL_MS: time per measurement)
 *
 * Method: the libsodium baseline is a CryptoBackend adapter, so all three run the very same
 * protocol code (sealPeer, openPeer, ClientHandshake, RelayHandshake) and differ only in the
 * primitives. libsodium has no BLAKE3, so every column uses the runtime's BLAKE3 for the
 * derivations, signature binding and route masking. The libsodium adapter caches the expanded
 * signing key per seed array, as the node backend caches its imported keys. Pair keys are
 * cached per contact (PairCache), as the engine does. Handshakes use fresh ephemerals each time;
 * the client and relay columns split the time of full handshakes by side.
 */
import sodium from 'libsodium-wrappers';
import { pathToFileURL } from 'node:url';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import { CryptoError } from '../src/crypto/errors.ts';
import { nobleBackend } from '../src/crypto/noble.ts';
import { nodeBackend } from '../src/crypto/node.ts';
import { encodeEnvelopePadded, makeEnvelope } from '../src/protocol/envelope.ts';
import { ClientHandshake } from '../src/protocol/handshake-client.ts';
import { RelayHandshake } from '../src/protocol/handshake-relay.ts';
import { identityFromSeed, type Identity } from '../src/protocol/identity.ts';
import { PairCache } from '../src/protocol/pair.ts';
import { openPeer, sealPeer } from '../src/protocol/peer.ts';
import { MessageType, PAD_BUCKET_2 } from '@parley/generated';
import { opsPerSecond } from './crypto/measure.ts';

export interface BenchTable {
  title: string;
  rows: Record<string, string | number>[];
  note?: string;
}

/** Time per measurement (ms). */
const MS = Number(process.env.BENCH_PROTOCOL_MS ?? 1200);

/** libsodium-wrappers as a CryptoBackend (baseline only; not the runtime's strict rules). */
function libsodiumBackend(): CryptoBackend {
  const keypairs = new WeakMap<Uint8Array, Uint8Array>();
  const signingKey = (seed: Uint8Array): Uint8Array => {
    let sk = keypairs.get(seed);
    if (sk === undefined) keypairs.set(seed, (sk = sodium.crypto_sign_seed_keypair(seed).privateKey));
    return sk;
  };
  return {
    name: 'libsodium' as CryptoBackend['name'],
    x25519PublicKey: async (secret) => sodium.crypto_scalarmult_base(secret),
    x25519: async (secret, pub) => sodium.crypto_scalarmult(secret, pub),
    x25519Ephemeral: async (given) => {
      const secret = given?.slice() ?? sodium.randombytes_buf(32);
      return {
        publicKey: sodium.crypto_scalarmult_base(secret),
        dh: async (pub) => sodium.crypto_scalarmult(secret, pub),
        destroy: () => secret.fill(0),
      };
    },
    ed25519PublicKey: async (seed) => sodium.crypto_sign_seed_keypair(seed).publicKey,
    ed25519Sign: async (seed, message) => sodium.crypto_sign_detached(message, signingKey(seed)),
    ed25519Verify: async (pub, message, sig) => sodium.crypto_sign_verify_detached(sig, message, pub),
    xchachaSeal: async (key, nonce, plaintext, ad) => sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key),
    xchachaSealSync: (key, nonce, plaintext, ad) => sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key),
    xchachaOpen: async (key, nonce, ciphertext, ad) => {
      try {
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key);
      } catch (cause) {
        throw new CryptoError('DECRYPT_FAILED', 'libsodium: authentication failed', { cause });
      }
    },
  };
}

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);

interface Impl {
  name: string;
  backend: CryptoBackend;
  alice: Identity;
  bob: Identity;
  relay: Identity;
}

async function impl(name: string, backend: CryptoBackend): Promise<Impl> {
  // Identities from the reference backend, so every column works on the same keys.
  return {
    name,
    backend,
    alice: await identityFromSeed(nobleBackend, fill(32, 1)),
    bob: await identityFromSeed(nobleBackend, fill(32, 2)),
    relay: await identityFromSeed(nobleBackend, fill(32, 3)),
  };
}

/** A text envelope that pads to PAD_BUCKET_2 (1 KiB). */
function envelope1k(): Uint8Array {
  const e = makeEnvelope({ type: MessageType.text, body: { text: 'a'.repeat(900), replyTo: new Uint8Array(16) }, sentAt: 1, msgId: fill(16, 9) });
  const bytes = encodeEnvelopePadded(e);
  if (bytes.length !== PAD_BUCKET_2) throw new Error(`bench envelope is ${bytes.length} bytes, expected ${PAD_BUCKET_2}`);
  return bytes;
}

/** The seal and open steps of one implementation, ready to time. */
async function peerOps(i: Impl): Promise<{ seal: () => Promise<unknown>; open: () => Promise<unknown> }> {
  const { backend, alice, bob } = i;
  const plain = envelope1k();
  const pair = await new PairCache(backend, alice).get(bob);
  const recipientPairs = new PairCache(backend, bob);
  const frame = await sealPeer({ backend, sender: alice, recipient: bob, envelope: plain, pair });
  await openPeer({ backend, me: bob, candidates: [alice], frame, pairs: recipientPairs }); // correctness
  return {
    seal: () => sealPeer({ backend, sender: alice, recipient: bob, envelope: plain, pair }),
    open: () => openPeer({ backend, me: bob, candidates: [alice], frame, pairs: recipientPairs }),
  };
}

/** Full handshakes for about `ms`; per-side handshakes per second from the time spent in each side. */
async function handshakes(i: Impl, ms: number): Promise<{ client: number; relay: number }> {
  const { backend, alice, relay } = i;
  let clientMs = 0;
  let relayMs = 0;
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end || n === 0) {
    let t = performance.now();
    const rh = new RelayHandshake({ backend, relay });
    const challenge = await rh.challenge();
    relayMs += performance.now() - t;
    t = performance.now();
    const ch = new ClientHandshake({ backend, identity: alice, relay: { x: relay.x, ed: relay.ed } });
    const hello = await ch.onChallenge(challenge);
    clientMs += performance.now() - t;
    t = performance.now();
    await rh.onHello(hello);
    const { frame } = await rh.welcome({ mailboxPending: 0 });
    relayMs += performance.now() - t;
    t = performance.now();
    await ch.onWelcome(frame);
    clientMs += performance.now() - t;
    n++;
  }
  return { client: (n * 1000) / clientMs, relay: (n * 1000) / relayMs };
}

const OPS = ['seal + sign peer frame (1 KiB envelope)', 'verify + open peer frame (1 KiB envelope)', 'handshake, client side', 'handshake, relay side'] as const;
/** Slices per measurement, interleaved across implementations so machine noise hits all alike; the best slice counts. */
const ROUNDS = 4;

export async function benchProtocol(): Promise<BenchTable[]> {
  await sodium.ready;
  const impls = [await impl('libsodium', libsodiumBackend()), await impl('noble', nobleBackend), await impl('node', nodeBackend)];
  const best = new Map<string, Record<string, number>>(impls.map((i) => [i.name, Object.fromEntries(OPS.map((o) => [o, 0]))]));
  const keep = (name: string, op: string, v: number) => {
    const r = best.get(name)!;
    r[op] = Math.max(r[op]!, v);
  };
  const peer = await Promise.all(impls.map(peerOps));
  for (const i of impls) await handshakes(i, MS / ROUNDS / 2); // warm-up
  const slice = { minMs: MS / ROUNDS, warmupMs: MS / ROUNDS / 4 };
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < impls.length; k++) {
      const name = impls[k]!.name;
      keep(name, OPS[0], await opsPerSecond(peer[k]!.seal, slice));
      keep(name, OPS[1], await opsPerSecond(peer[k]!.open, slice));
      const hs = await handshakes(impls[k]!, MS / ROUNDS);
      keep(name, OPS[2], hs.client);
      keep(name, OPS[3], hs.relay);
    }
  }
  const base = best.get('libsodium')!;
  const rows: Record<string, string | number>[] = OPS.map((op) => {
    const row: Record<string, string | number> = { operation: op, 'libsodium ops/s': Math.round(base[op]!) };
    for (const name of ['noble', 'node']) {
      const v = best.get(name)![op]!;
      row[`${name} ops/s`] = Math.round(v);
      row[`${name} vs libsodium`] = `${(v / base[op]!).toFixed(2)}x`;
    }
    return row;
  });
  return [
    {
      title: 'Protocol layer: peer frames and handshakes per second (runtime/bench/protocol.bench.ts)',
      note: `Node ${process.versions.node}. The same protocol code on each backend; libsodium-wrappers (WebAssembly) provides the baseline's primitives; BLAKE3 is the runtime's in every column. Best of ${ROUNDS} interleaved slices. Target: node >= 1.00x libsodium.`,
      rows,
    },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const t of await benchProtocol()) {
    console.log(`### ${t.title}\n\n${t.note}\n`);
    const cols = Object.keys(t.rows[0]!);
    const cell = (v: string | number) => (typeof v === 'number' ? Math.round(v).toLocaleString('en-US') : v);
    console.log(`| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`);
    for (const r of t.rows) console.log(`| ${cols.map((c) => cell(r[c]!)).join(' | ')} |`);
  }
}
