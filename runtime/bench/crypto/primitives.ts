/**
 * Throughput of the crypto primitives on each backend, with libsodium-wrappers
 * (WebAssembly) as the baseline. Run standalone:
 *
 *   npx tsx runtime/bench/crypto/primitives.ts
 *
 * Cases named "same seed array" pass the same secret array each call, as the
 * engine does with its identity key (the native backends then reuse the imported
 * key); "new seed array" passes a fresh copy each call, forcing a key import.
 * libsodium has no BLAKE3: those rows use its keyed BLAKE2b (crypto_generichash)
 * as the stand-in baseline, and the "fast path" column is our single-compression
 * BLAKE3 (blake3.ts).
 */
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import sodium from 'libsodium-wrappers';
import { pathToFileURL } from 'node:url';
import type { CryptoBackend } from '../../src/crypto/backend.ts';
import { RouteKeystream, keyedHash } from '../../src/crypto/blake3.ts';
import { nobleBackend } from '../../src/crypto/noble.ts';
import { nodeBackend } from '../../src/crypto/node.ts';
import { webcryptoBackend, webcryptoSupported } from '../../src/crypto/webcrypto.ts';
import { DEFAULT_MIN_MS, opsPerSecond, type MeasureOptions } from './measure.ts';

export interface Row {
  op: string;
  /** 'libsodium' | 'noble' | 'node' | 'webcrypto' | 'fast path' */
  impl: string;
  opsPerSec: number;
  /** opsPerSec / libsodium's opsPerSec for the same op (null for libsodium itself). */
  vsLibsodium: number | null;
}

type Case = { op: string; impl: string; fn: () => unknown };

const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

function cases(backends: CryptoBackend[]): Case[] {
  const seed = fill(32, 1);
  const msg = fill(1024, 2);
  const key = fill(32, 3);
  const nonce = fill(24, 4);
  const ad = fill(32, 5);
  const in32 = fill(32, 6);
  const frame = fill(128, 7);

  const kp = sodium.crypto_sign_seed_keypair(seed);
  const sig = sodium.crypto_sign_detached(msg, kp.privateKey);
  const xSecret = fill(32, 8);
  const xPeer = sodium.crypto_scalarmult_base(fill(32, 9));
  const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(msg, ad, null, nonce, key);
  const big = fill(16384, 10);

  const out: Case[] = [
    { op: 'ed25519 sign 1 KiB, same seed array', impl: 'libsodium', fn: () => sodium.crypto_sign_detached(msg, kp.privateKey) },
    {
      op: 'ed25519 sign 1 KiB, new seed array',
      impl: 'libsodium',
      fn: () => sodium.crypto_sign_detached(msg, sodium.crypto_sign_seed_keypair(seed.slice()).privateKey),
    },
    { op: 'ed25519 verify 1 KiB', impl: 'libsodium', fn: () => sodium.crypto_sign_verify_detached(sig, msg, kp.publicKey) },
    { op: 'x25519, same secret array', impl: 'libsodium', fn: () => sodium.crypto_scalarmult(xSecret, xPeer) },
    { op: 'x25519, new secret array', impl: 'libsodium', fn: () => sodium.crypto_scalarmult(xSecret.slice(), xPeer) },
    {
      op: 'xchacha seal 1 KiB',
      impl: 'libsodium',
      fn: () => sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(msg, ad, null, nonce, key),
    },
    {
      op: 'xchacha open 1 KiB',
      impl: 'libsodium',
      fn: () => sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed, ad, nonce, key),
    },
    {
      op: 'xchacha seal 16 KiB',
      impl: 'libsodium',
      fn: () => sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(big, ad, null, nonce, key),
    },
    { op: 'blake3 keyed hash 32 B', impl: 'libsodium', fn: () => sodium.crypto_generichash(32, in32, key) },
    {
      op: 'route keystream mask',
      impl: 'libsodium',
      fn: () => {
        const ks = sodium.crypto_generichash(8, frame.subarray(0, 32), key);
        for (let i = 0; i < 8; i++) frame[i]! ^= ks[i]!;
      },
    },
  ];

  for (const b of backends) {
    out.push(
      { op: 'ed25519 sign 1 KiB, same seed array', impl: b.name, fn: () => b.ed25519Sign(seed, msg) },
      { op: 'ed25519 sign 1 KiB, new seed array', impl: b.name, fn: () => b.ed25519Sign(seed.slice(), msg) },
      { op: 'ed25519 verify 1 KiB', impl: b.name, fn: () => b.ed25519Verify(kp.publicKey, msg, sig) },
      { op: 'x25519, same secret array', impl: b.name, fn: () => b.x25519(xSecret, xPeer) },
      { op: 'x25519, new secret array', impl: b.name, fn: () => b.x25519(xSecret.slice(), xPeer) },
      { op: 'xchacha seal 1 KiB', impl: b.name, fn: () => b.xchachaSeal(key, nonce, msg, ad) },
      { op: 'xchacha open 1 KiB', impl: b.name, fn: () => b.xchachaOpen(key, nonce, sealed, ad) },
      { op: 'xchacha seal 16 KiB', impl: b.name, fn: () => b.xchachaSeal(key, nonce, big, ad) },
    );
  }

  const rk = new RouteKeystream(key);
  let counter = 0;
  const input = new Uint8Array(32);
  const view = new DataView(input.buffer);
  out.push(
    { op: 'blake3 keyed hash 32 B', impl: 'noble', fn: () => nobleBlake3(in32, { key }) },
    { op: 'blake3 keyed hash 32 B', impl: 'fast path', fn: () => keyedHash(key, in32) },
    {
      op: 'route keystream mask',
      impl: 'noble',
      fn: () => {
        view.setBigUint64(0, BigInt(counter++), true);
        input.set(frame.subarray(8, 32), 8);
        const ks = nobleBlake3(input, { key, dkLen: 8 });
        for (let i = 0; i < 8; i++) frame[i]! ^= ks[i]!;
      },
    },
    { op: 'route keystream mask', impl: 'fast path', fn: () => rk.mask8(counter++, frame, 8, frame, 0) },
  );
  return out;
}

/** Rounds per case; each implementation is measured once per round, interleaved. */
const ROUNDS = 3;

/**
 * Measures every case for about `minMs` in total (default 300 ms): ROUNDS slices of
 * minMs / ROUNDS, interleaved across the implementations of an op so that machine
 * noise hits baseline and candidates alike, keeping each one's best slice.
 */
export async function benchPrimitives(options: MeasureOptions = {}): Promise<Row[]> {
  await sodium.ready;
  const backends = [nobleBackend, nodeBackend];
  if (await webcryptoSupported()) backends.push(webcryptoBackend);
  const all = cases(backends);
  const slice: MeasureOptions = { minMs: (options.minMs ?? DEFAULT_MIN_MS) / ROUNDS, warmupMs: options.warmupMs };
  const rows: Row[] = all.map((c) => ({ op: c.op, impl: c.impl, opsPerSec: 0, vsLibsodium: null }));
  for (const op of new Set(all.map((c) => c.op))) {
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < all.length; i++) {
        if (all[i]!.op !== op) continue;
        rows[i]!.opsPerSec = Math.max(rows[i]!.opsPerSec, await opsPerSecond(all[i]!.fn, slice));
      }
    }
  }
  for (const r of rows) {
    const base = rows.find((x) => x.op === r.op && x.impl === 'libsodium');
    if (base !== undefined && r.impl !== 'libsodium') r.vsLibsodium = r.opsPerSec / base.opsPerSec;
  }
  return rows;
}

const IMPLS = ['libsodium', 'noble', 'node', 'webcrypto', 'fast path'];

/** A table: one line per op, one column per implementation, "ops/s (ratio vs libsodium)". */
export function formatTable(rows: Row[]): string {
  const ops = [...new Set(rows.map((r) => r.op))];
  const cell = (r: Row | undefined): string =>
    r === undefined
      ? ''
      : `${Math.round(r.opsPerSec).toLocaleString('en-US')}${r.vsLibsodium === null ? '' : ` (${r.vsLibsodium.toFixed(2)}x)`}`;
  const header = ['op', ...IMPLS];
  const lines = ops.map((op) => [op, ...IMPLS.map((impl) => cell(rows.find((r) => r.op === op && r.impl === impl)))]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]): string => `| ${l.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchPrimitives();
  console.log(`Node ${process.versions.node}, OpenSSL ${process.versions.openssl}; ops/s (ratio vs libsodium-wrappers)`);
  console.log(formatTable(rows));
}
