/**
 * Session start without a prekey server (spec regions.session_root_input): B publishes a
 * one-time ephemeral E_B first (in a v2 invite, or in an upgrade or reset offer); A answers
 * with its ephemeral E_A and is the first to send. Both compute
 *
 *   RK0 = DK(v2 session, X(a,B) || X(e_A,B) || X(a,E_B) || X(e_A,E_B) || A_x || A_ed || B_x || B_ed)
 *
 * (the X3DH shape). A then takes a sending root step against E_B at once, so its first ratchet
 * message can travel with the first contact or right after its answer; B's first ratchet key is
 * E_B itself, and B sends after A's first message arrives. Neither side knows the other's KEM
 * key yet: A's first chain publishes one (kind `key`), B's first chain answers it.
 */
import { KEM_SEED_SIZE, KEY_SIZE, SESSION_VERSION } from '@parley/generated';
import type { Identity, PublicKeys } from '../identity.ts';
import { dhOf, newDhKeyPair, rand, type RatchetDeps } from './deps.ts';
import { kdfRoot, kdfSessionStart } from './kdf.ts';
import { kemPublicKey } from './kem.ts';
import type { RatchetState } from './state.ts';

/** A one-time ephemeral X25519 key pair (E_I of an invite, or an offer's). Secret; erase after use. */
export interface Ephemeral {
  secret: Uint8Array;
  publicKey: Uint8Array;
}

export function newEphemeral(d: RatchetDeps): Promise<Ephemeral> {
  return newDhKeyPair(d, KEY_SIZE);
}

function empty(): Uint8Array {
  return new Uint8Array(0);
}

/**
 * A's session: `me` is A (holding e_A), `them` is B (whose E_B was published). `startedAt` is
 * the sent_at of the message that starts the session (the contact request or the answer's offer).
 */
export async function startAsA(d: RatchetDeps, me: Identity, eA: Ephemeral, them: PublicKeys, eB: Uint8Array, startedAt: number): Promise<RatchetState> {
  const secrets = {
    dhStatic: await dhOf(d, me.xSecret, them.x, 'contact'),
    dhEphemeralStatic: await dhOf(d, eA.secret, them.x, 'contact'),
    dhStaticEphemeral: await dhOf(d, me.xSecret, eB, 'ephemeral'),
    dhEphemeral: await dhOf(d, eA.secret, eB, 'ephemeral'),
  };
  const k = kdfSessionStart(secrets, me, them);
  for (const v of Object.values(secrets)) v.fill(0);
  const ratchet = await newDhKeyPair(d, KEY_SIZE);
  const dh = await dhOf(d, ratchet.secret, eB, 'ephemeral');
  const first = kdfRoot(k.root, dh, empty());
  dh.fill(0);
  k.root.fill(0);
  const kemSeed = rand(d, KEM_SEED_SIZE);
  return {
    format: SESSION_VERSION,
    startedAt,
    peerSeen: 0,
    dhSecret: ratchet.secret,
    dhPublic: ratchet.publicKey,
    dhRemote: eB.slice(),
    rootKey: first.root,
    sendChain: first.chain,
    sendCount: 0,
    prevSendCount: 0,
    recvChain: empty(),
    recvCount: 0,
    sendHeader: k.headerA,
    recvHeader: empty(),
    nextSendHeader: first.nextHeader,
    nextRecvHeader: k.headerB,
    kemSeed,
    kemPublic: await kemPublicKey(kemSeed),
    kemCiphertext: empty(),
    kemRemote: empty(),
    kemRearm: 0,
    skipped: [],
  };
}

/** B's session: `me` is B (holding e_B, which becomes its first ratchet key), `them` is A. */
export async function startAsB(d: RatchetDeps, me: Identity, eB: Ephemeral, them: PublicKeys, eA: Uint8Array, startedAt: number): Promise<RatchetState> {
  const secrets = {
    dhStatic: await dhOf(d, me.xSecret, them.x, 'contact'),
    dhEphemeralStatic: await dhOf(d, me.xSecret, eA, 'ephemeral'),
    dhStaticEphemeral: await dhOf(d, eB.secret, them.x, 'contact'),
    dhEphemeral: await dhOf(d, eB.secret, eA, 'ephemeral'),
  };
  const k = kdfSessionStart(secrets, them, me);
  for (const v of Object.values(secrets)) v.fill(0);
  return {
    format: SESSION_VERSION,
    startedAt,
    peerSeen: 0,
    dhSecret: eB.secret.slice(),
    dhPublic: eB.publicKey.slice(),
    dhRemote: empty(),
    rootKey: k.root,
    sendChain: empty(),
    sendCount: 0,
    prevSendCount: 0,
    recvChain: empty(),
    recvCount: 0,
    sendHeader: empty(),
    recvHeader: empty(),
    nextSendHeader: k.headerB,
    nextRecvHeader: k.headerA,
    kemSeed: empty(),
    kemPublic: empty(),
    kemCiphertext: empty(),
    kemRemote: empty(),
    kemRearm: 0,
    skipped: [],
  };
}
