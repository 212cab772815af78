/**
 * v2 session benchmark (issue 17), every figure against a baseline measured in the same run:
 *
 * - seal+sign and verify+open of a 1 KiB message in the same direction (a symmetric ratchet
 *   step) vs v1's peer frames, on the node and noble backends (target ≥ 0.95x of v1);
 * - a DH+KEM ratchet step (opening the first message of a new chain: 3 X25519, ML-KEM-768 keygen,
 *   encapsulation and decapsulation, 2 root KDFs) and the DH part alone, node vs the noble-only
 *   baseline;
 * - bytes a ratchet header adds to a frame, per header kind (none, key, key + ciphertext), vs
 *   the v1 frame of the same envelope;
 * - stored state per contact and its growth with skipped keys.
 *
 *   npx tsx runtime/bench/ratchet.bench.ts        (BENCH_RATCHET_MS: time per measurement)
 */
import { pathToFileURL } from 'node:url';
import { KEY_SIZE, MAX_SKIPPED_KEYS, MSG_ID_SIZE, MessageType, PAD_BUCKET_2, RatchetKem, type Envelope } from '@parley/generated';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import { nobleBackend } from '../src/crypto/noble.ts';
import { nodeBackend } from '../src/crypto/node.ts';
import { randomBytes } from '../src/crypto/index.ts';
import { encodeEnvelopePadded, makeEnvelope } from '../src/protocol/envelope.ts';
import { identityFromSeed, type Identity } from '../src/protocol/identity.ts';
import { PairCache } from '../src/protocol/pair.ts';
import { openPeer, sealPeer } from '../src/protocol/peer.ts';
import {
  encodeEnvelopeRatchet,
  kdfRoot,
  newEphemeral,
  openRatchetFrame,
  sealRatchetFrame,
  serializeState,
  startAsA,
  startAsB,
  type RatchetDeps,
  type RatchetState,
} from '../src/protocol/ratchet/index.ts';
import { opsPerSecond } from './crypto/measure.ts';

export interface BenchTable {
  title: string;
  rows: Record<string, string | number>[];
  note?: string;
}

const MS = Number(process.env.BENCH_RATCHET_MS ?? 1000);
const slice = { minMs: MS, warmupMs: MS / 4 };
const PAIRS = 20_000;

/**
 * The v1 and v2 rates of one operation, interleaved one operation at a time (the order of the
 * two flips every pair), each operation timed alone on the monotonic clock; the rate is 1 / the
 * lower quartile of the times. On a shared machine a rate measured over a whole run, CPU time
 * included, moves with the other processes (cache and core contention, preemption); most single
 * operations are not preempted, so a low quantile of single operations is the cost of the
 * operation itself (the lower quartile rather than the median: a noble verify of about 1 ms is
 * often preempted under load), and interleaving exposes v1 and v2 to the same conditions. PAIRS
 * pairs, or as many as fit in about 3 x MS.
 */
async function paired(v1: () => Promise<unknown>, v2: () => Promise<unknown>): Promise<[number, number]> {
  for (let i = 0; i < 200; i++) {
    await v1();
    await v2();
  }
  const t1: number[] = [];
  const t2: number[] = [];
  const deadline = performance.now() + 3 * MS;
  const time = async (fn: () => Promise<unknown>, into: number[]): Promise<void> => {
    const t = performance.now();
    await fn();
    into.push(performance.now() - t);
  };
  for (let i = 0; i < PAIRS && performance.now() < deadline; i++) {
    if (i % 2 === 0) {
      await time(v1, t1);
      await time(v2, t2);
    } else {
      await time(v2, t2);
      await time(v1, t1);
    }
  }
  return [1000 / lowerQuartile(t1), 1000 / lowerQuartile(t2)];
}

function lowerQuartile(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 2]!;
}

function envelope1k(): Envelope {
  // A text that pads to PAD_BUCKET_2 (1 KiB), as protocol.bench.ts does for v1.
  return makeEnvelope({ type: MessageType.text, body: { text: 'x'.repeat(PAD_BUCKET_2 - 200), replyTo: new Uint8Array(MSG_ID_SIZE) } });
}

interface Pair {
  a: Identity;
  b: Identity;
  da: RatchetDeps;
  db: RatchetDeps;
  sa: RatchetState;
  sb: RatchetState;
}

async function pairOn(backend: CryptoBackend): Promise<Pair> {
  const a = await identityFromSeed(backend, randomBytes(32));
  const b = await identityFromSeed(backend, randomBytes(32));
  const da = { backend };
  const db = { backend };
  const eB = await newEphemeral(db);
  const eA = await newEphemeral(da);
  return { a, b, da, db, sa: await startAsA(da, a, eA, b, eB.publicKey, Date.now()), sb: await startAsB(db, b, eB, a, eA.publicKey, Date.now()) };
}

/** A conversation brought to the steady state: both sides sent, so headers carry key and ciphertext. */
async function steady(p: Pair): Promise<void> {
  const env = envelope1k();
  const x = await sealRatchetFrame({ deps: p.da, sender: p.a, recipient: p.b, state: p.sa, envelope: env });
  p.sa = x.state;
  p.sb = (await openRatchetFrame({ deps: p.db, me: p.b, candidates: [{ contact: p.a, state: p.sb }], frame: x.frame })).state;
  const y = await sealRatchetFrame({ deps: p.db, sender: p.b, recipient: p.a, state: p.sb, envelope: env });
  p.sb = y.state;
  p.sa = (await openRatchetFrame({ deps: p.da, me: p.a, candidates: [{ contact: p.b, state: p.sa }], frame: y.frame })).state;
}

async function symmetric(backend: CryptoBackend): Promise<Record<string, number>> {
  const p = await pairOn(backend);
  await steady(p);
  const plain = encodeEnvelopePadded(envelope1k());
  const plainV2 = encodeEnvelopeRatchet(envelope1k());
  const pairA = await new PairCache(backend, p.a).get(p.b);
  const pairsB = new PairCache(backend, p.b);
  const v1Frame = await sealPeer({ backend, sender: p.a, recipient: p.b, envelope: plain, pair: pairA });
  // A's first message of its new chain is B's DH step; the second is a symmetric step.
  const first = await sealRatchetFrame({ deps: p.da, sender: p.a, recipient: p.b, state: p.sa, envelope: plainV2, pair: pairA });
  const sb = (await openRatchetFrame({ deps: p.db, me: p.b, candidates: [{ contact: p.a, state: p.sb }], frame: first.frame, pairs: pairsB })).state;
  const v2 = await sealRatchetFrame({ deps: p.da, sender: p.a, recipient: p.b, state: first.state, envelope: plainV2, pair: pairA });
  let sa = v2.state;
  const v2Frame = v2.frame;
  const check = await openRatchetFrame({ deps: p.db, me: p.b, candidates: [{ contact: p.a, state: sb }], frame: v2Frame, pairs: pairsB });
  if (check.step !== 'chain' || check.header.kem !== RatchetKem.none) throw new Error('bench: not a symmetric step with a header without KEM block');
  const [v1Seal, v2Seal] = await paired(
    () => sealPeer({ backend, sender: p.a, recipient: p.b, envelope: plain, pair: pairA }),
    async () => {
      // Each seal advances the chain, exactly as a sender does.
      sa = (await sealRatchetFrame({ deps: p.da, sender: p.a, recipient: p.b, state: sa, envelope: plainV2, pair: pairA })).state;
    },
  );
  const [v1Open, v2Open] = await paired(
    () => openPeer({ backend, me: p.b, candidates: [p.a], frame: v1Frame, pairs: pairsB }),
    // Opening from the same state each time is one chain step's work (states are never changed in place).
    () => openRatchetFrame({ deps: p.db, me: p.b, candidates: [{ contact: p.a, state: sb }], frame: v2Frame, pairs: pairsB }),
  );
  return { v1Seal, v2Seal, v1Open, v2Open };
}

async function dhSteps(backend: CryptoBackend): Promise<{ full: number; dhOnly: number }> {
  const p = await pairOn(backend);
  await steady(p);
  const pairsA = new PairCache(backend, p.a);
  // B's next message after hearing A starts a new chain: opening it at A is a DH+KEM step.
  const x = await sealRatchetFrame({ deps: p.da, sender: p.a, recipient: p.b, state: p.sa, envelope: envelope1k() });
  const sbAfter = (await openRatchetFrame({ deps: p.db, me: p.b, candidates: [{ contact: p.a, state: p.sb }], frame: x.frame })).state;
  const y = await sealRatchetFrame({ deps: p.db, sender: p.b, recipient: p.a, state: sbAfter, envelope: envelope1k() });
  const saBefore = x.state;
  const full = await opsPerSecond(() => openRatchetFrame({ deps: p.da, me: p.a, candidates: [{ contact: p.b, state: saBefore }], frame: y.frame, pairs: pairsA }), slice);
  const remote = sbAfter.dhPublic;
  const dhOnly = await opsPerSecond(async () => {
    const r1 = kdfRoot(saBefore.rootKey, await backend.x25519(saBefore.dhSecret, remote), new Uint8Array(0));
    const secret = randomBytes(KEY_SIZE);
    await backend.x25519PublicKey(secret);
    kdfRoot(r1.root, await backend.x25519(secret, remote), new Uint8Array(0));
  }, slice);
  return { full, dhOnly };
}

async function sizes(): Promise<{ headers: BenchTable; state: BenchTable }> {
  const backend = nodeBackend;
  const p = await pairOn(backend);
  const env = envelope1k();
  const v1 = await sealPeer({ backend, sender: p.a, recipient: p.b, envelope: env });
  const freshA = serializeState(p.sa).length;
  const freshB = serializeState(p.sb).length;
  const first = await sealRatchetFrame({ deps: p.da, sender: p.a, recipient: p.b, state: p.sa, envelope: env });
  const plain = await sealRatchetFrame({ deps: p.da, sender: p.a, recipient: p.b, state: first.state, envelope: env });
  await steady(p);
  const later = await sealRatchetFrame({ deps: p.da, sender: p.a, recipient: p.b, state: p.sa, envelope: env });
  const kinds = [first, plain, later].map((f) => f.header.kem);
  if (kinds.join() !== [RatchetKem.key, RatchetKem.none, RatchetKem.keyCiphertext].join()) throw new Error(`bench: unexpected header kinds ${kinds.join()}`);
  const headers: BenchTable = {
    title: 'Ratchet: bytes a v2 header adds to a frame (1 KiB envelope)',
    note: 'Against the v1 peer frame of the same envelope. A chain\'s KEM block rides on its first message (and on re-armed ones), so a same-direction message adds only the small header; the kind depends on the chain position, never on the message type, so the padding buckets still hide types (spec/DESIGN.md, v2 sessions).',
    rows: [
      { header: 'v1 peer frame (baseline)', 'frame bytes': v1.length, added: 0 },
      { header: 'none (every later message of a chain)', 'frame bytes': plain.frame.length, added: plain.frame.length - v1.length },
      { header: 'kem key (a session\'s first message)', 'frame bytes': first.frame.length, added: first.frame.length - v1.length },
      { header: 'kem key + ciphertext (a chain\'s first message)', 'frame bytes': later.frame.length, added: later.frame.length - v1.length },
    ],
  };
  // Growth with skipped keys: A starts a chain (its first message arrives), sends n messages
  // that B does not receive, then one it does; B answers so A starts a new chain.
  const rows: Record<string, string | number>[] = [
    { state: 'A after session start', bytes: freshA },
    { state: 'B after session start', bytes: freshB },
    { state: 'steady state (A)', bytes: serializeState(p.sa).length },
    { state: 'steady state (B)', bytes: serializeState(p.sb).length },
  ];
  let sa = p.sa;
  let sb = p.sb;
  let skipped = 0;
  const deliver = async (): Promise<void> => {
    const f = await sealRatchetFrame({ deps: p.da, sender: p.a, recipient: p.b, state: sa, envelope: env });
    sa = f.state;
    sb = (await openRatchetFrame({ deps: p.db, me: p.b, candidates: [{ contact: p.a, state: sb }], frame: f.frame })).state;
  };
  for (const target of [10, 100, 1000, MAX_SKIPPED_KEYS]) {
    while (skipped < target) {
      const n = Math.min(target - skipped, 1000); // at most MAX_SKIP_PER_CHAIN per chain
      await deliver();
      for (let i = 0; i < n; i++) sa = (await sealRatchetFrame({ deps: p.da, sender: p.a, recipient: p.b, state: sa, envelope: env })).state;
      await deliver();
      const back = await sealRatchetFrame({ deps: p.db, sender: p.b, recipient: p.a, state: sb, envelope: env });
      sb = back.state;
      sa = (await openRatchetFrame({ deps: p.da, me: p.a, candidates: [{ contact: p.b, state: sa }], frame: back.frame })).state;
      skipped += n;
    }
    rows.push({ state: `B with ${sb.skipped.length} skipped keys`, bytes: serializeState(sb).length });
  }
  const per = (serializeState(sb).length - (rows[3]!.bytes as number)) / sb.skipped.length;
  return {
    headers,
    state: { title: 'Ratchet: stored state per contact (bytes)', note: `Target: under 8 KiB without skipped keys (SimpleX's figure). Each skipped key adds about ${per.toFixed(0)} bytes; MAX_SKIPPED_KEYS (${MAX_SKIPPED_KEYS}) bounds the growth.`, rows },
  };
}

export async function benchRatchet(): Promise<BenchTable[]> {
  const sym: Record<string, string | number>[] = [];
  const steps: Record<string, string | number>[] = [];
  let nobleFull = 0;
  let nobleDh = 0;
  for (const backend of [nodeBackend, nobleBackend]) {
    const s = await symmetric(backend);
    sym.push({ backend: backend.name, op: 'seal+sign 1 KiB', v1: Math.round(s.v1Seal!), v2: Math.round(s.v2Seal!), 'v2 / v1': `${(s.v2Seal! / s.v1Seal!).toFixed(2)}x` });
    sym.push({ backend: backend.name, op: 'verify+open 1 KiB', v1: Math.round(s.v1Open!), v2: Math.round(s.v2Open!), 'v2 / v1': `${(s.v2Open! / s.v1Open!).toFixed(2)}x` });
    const d = await dhSteps(backend);
    if (backend === nobleBackend) {
      nobleFull = d.full;
      nobleDh = d.dhOnly;
    }
    steps.push({ backend: backend.name, 'DH+KEM step/s': Math.round(d.full), 'DH step/s': Math.round(d.dhOnly) });
  }
  for (const r of steps) {
    r['DH+KEM vs noble'] = `${((r['DH+KEM step/s'] as number) / nobleFull).toFixed(2)}x`;
    r['DH vs noble'] = `${((r['DH step/s'] as number) / nobleDh).toFixed(2)}x`;
  }
  const sz = await sizes();
  return [
    { title: 'Ratchet: v2 symmetric step vs v1 peer frames, ops/s', note: `Same direction, no DH step: chain KDF, header and body AEAD, keyed signature over the whole ciphertext region (the header carries no KEM block). Target: v2 at least 0.95x of v1. Pair keys cached (PairCache) in both. Operations per second from the lower quartile of single operations' times, v1 and v2 interleaved one at a time (a shared machine's load would otherwise decide the ratio).`, rows: sym },
    { title: 'Ratchet: DH ratchet steps/s (opening the first message of a new chain)', note: 'DH+KEM: the whole step as the receiver takes it (3 X25519, ML-KEM-768 keygen + encapsulation + decapsulation on noble, 2 root KDFs, header and body). DH: the X25519 and root-KDF part alone. Baseline: the noble-only backend in the same run.', rows: steps },
    sz.headers,
    sz.state,
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const t of await benchRatchet()) console.log(JSON.stringify(t, null, 2));
}
