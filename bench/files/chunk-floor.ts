/**
 * The CPU a file chunk costs in the protocol's own work, whatever the engine around it does:
 * the sender hashes it into the file digest (the offer carries it) and seals it (a v2 ratchet
 * frame: envelope, AEAD, the keyed hash of the signed region, Ed25519); the receiver verifies
 * and opens it and hashes it into the digest it checks. Timed on the real runtime functions
 * (node backend), process CPU per call, median over CHUNKS chunks, in a process of its own
 * (`chunkFloorInChild`: the bench's own heap would time its collector).
 *
 * From it, the fastest a transfer could go on this machine if nothing else cost anything and
 * the work spread perfectly over every core (sender, relay and receiver share them):
 * cores × FILE_CHUNK_SIZE / (sender + receiver CPU per chunk). Set against 0.3x of the bare
 * forwarder, it says whether the files target is within physical reach here (issue 19).
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { FILE_CHUNK_SIZE, MSG_ID_SIZE, MessageType } from '@parley/generated';
import { pickBackend, randomBytes } from '@parley/runtime/crypto';
import { fileDigestHasher } from '@parley/runtime/engine';
import { identityFromSeed, makeEnvelope, newEphemeral, openRatchetFrame, sealRatchetFrame, startAsA, startAsB, type RatchetState } from '@parley/runtime/protocol';

/** Chunks timed (after WARM_UP): each sealed, then opened, then dropped, one at a time. */
const CHUNKS = 400;
const WARM_UP = 100;

export interface ChunkFloor {
  digestUs: number;
  sealUs: number;
  openUs: number;
  senderUs: number;
  receiverUs: number;
  cores: number;
  /** bytes/s: cores × chunk / (sender + receiver). */
  ceilingBps: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Process CPU (user + system) of one call, µs. */
async function cpuOf(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(t);
  return d.user + d.system;
}

export async function chunkFloor(): Promise<ChunkFloor> {
  const backend = await pickBackend();
  const a = await identityFromSeed(backend, randomBytes(32));
  const b = await identityFromSeed(backend, randomBytes(32));
  const deps = { backend };
  const eA = await newEphemeral(deps);
  const eB = await newEphemeral(deps);
  let sa: RatchetState = await startAsA(deps, a, eA, b, eB.publicKey, Date.now());
  let sb: RatchetState = await startAsB(deps, b, eB, a, eA.publicKey, Date.now());
  const data = randomBytes(FILE_CHUNK_SIZE);
  const chunk = () => makeEnvelope({ type: MessageType.fileChunk, body: { fileId: new Uint8Array(MSG_ID_SIZE), index: 7, data } });
  // the first message of A's chain (with its KEM block) is not a steady chunk: open it first
  const first = await sealRatchetFrame({ deps, sender: a, recipient: b, state: sa, envelope: chunk() });
  sa = first.state;
  sb = (await openRatchetFrame({ deps, me: b, candidates: [{ contact: a, state: sb }], frame: first.frame })).state;

  // one chunk at a time, sealed then opened and dropped, as a transfer's sides do: no frame is
  // kept (keeping hundreds would time the collector instead); medians, so a collection or a
  // scheduler tick that lands on one call does not count
  const digest: number[] = [];
  const seal: number[] = [];
  const open: number[] = [];
  for (let i = 0; i < WARM_UP + CHUNKS; i++) {
    let frame: Uint8Array | undefined;
    const d = await cpuOf(() => fileDigestHasher().update(data));
    const s = await cpuOf(async () => {
      const r = await sealRatchetFrame({ deps, sender: a, recipient: b, state: sa, envelope: chunk() });
      sa = r.state;
      frame = r.frame;
    });
    const o = await cpuOf(async () => {
      sb = (await openRatchetFrame({ deps, me: b, candidates: [{ contact: a, state: sb }], frame: frame! })).state;
    });
    if (i < WARM_UP) continue;
    digest.push(d);
    seal.push(s);
    open.push(o);
  }
  const [digestUs, sealUs, openUs] = [median(digest), median(seal), median(open)];
  const senderUs = digestUs + sealUs;
  const receiverUs = digestUs + openUs;
  const cores = availableParallelism();
  return { digestUs, sealUs, openUs, senderUs, receiverUs, cores, ceilingBps: (cores * FILE_CHUNK_SIZE) / ((senderUs + receiverUs) / 1e6) };
}

/** chunkFloor in a fresh node process (the bench process's heap and history would skew it). */
export function chunkFloorInChild(): ChunkFloor {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { encoding: 'utf8', timeout: 300_000 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as ChunkFloor;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(await chunkFloor()) + '\n');
  process.exit(0);
}
