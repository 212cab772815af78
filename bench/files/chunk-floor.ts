/**
 * The CPU a file chunk costs in the protocol's own work, whatever the engine around it does:
 * the sender hashes it into the file digest (the offer carries it) and seals it (a v2 ratchet
 * frame: envelope, AEAD, the keyed hash of the signed region, Ed25519); the receiver verifies
 * and opens it and hashes it into the digest it checks. Timed on the real runtime functions
 * (node backend), single-threaded process CPU per chunk, median of rounds.
 *
 * From it, the fastest a transfer could go on this machine if nothing else cost anything and
 * the work spread perfectly over every core (sender, relay and receiver share them):
 * cores × FILE_CHUNK_SIZE / (sender + receiver CPU per chunk). Set against 0.3x of the bare
 * forwarder, it says whether the files target is within physical reach here (issue 19).
 */
import { availableParallelism } from 'node:os';
import { FILE_CHUNK_SIZE, MSG_ID_SIZE, MessageType } from '@parley/generated';
import { pickBackend, randomBytes } from '@parley/runtime/crypto';
import { fileDigestHasher } from '@parley/runtime/engine';
import { identityFromSeed, makeEnvelope, newEphemeral, openRatchetFrame, sealRatchetFrame, startAsA, startAsB, type RatchetState } from '@parley/runtime/protocol';

const ROUNDS = 5;
const PER_ROUND = 60;

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

/** Process CPU (user + system) per call of `fn`, µs, median of ROUNDS rounds of PER_ROUND calls. */
async function cpuPerCall(fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 10; i++) await fn();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.cpuUsage();
    for (let i = 0; i < PER_ROUND; i++) await fn();
    const d = process.cpuUsage(t);
    rounds.push((d.user + d.system) / PER_ROUND);
  }
  return median(rounds);
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

  const digestUs = await cpuPerCall(() => fileDigestHasher().update(data));
  const frames: Uint8Array[] = [];
  const sealUs = await cpuPerCall(async () => {
    const s = await sealRatchetFrame({ deps, sender: a, recipient: b, state: sa, envelope: chunk() });
    sa = s.state;
    frames.push(s.frame);
  });
  let next = 0;
  const openUs = await cpuPerCall(async () => {
    const o = await openRatchetFrame({ deps, me: b, candidates: [{ contact: a, state: sb }], frame: frames[next++]! });
    sb = o.state;
  });
  const senderUs = digestUs + sealUs;
  const receiverUs = digestUs + openUs;
  const cores = availableParallelism();
  return { digestUs, sealUs, openUs, senderUs, receiverUs, cores, ceilingBps: (cores * FILE_CHUNK_SIZE) / ((senderUs + receiverUs) / 1e6) };
}
