/**
 * The v2 key schedule (spec derivations session_root, session_header_a/b, ratchet_root,
 * chain_step), on the generated derivations and regions so every context string and input
 * layout comes from the spec:
 *
 *   RK0           = DK(v2 session, X(a,B) || X(e_A,B) || X(a,E_B) || X(e_A,E_B) || A_x || A_ed || B_x || B_ed)
 *   HK_A0, NHK_B0 = DK(v2 header a, RK0), DK(v2 header b, RK0)
 *   KDF_RK        = DK(v2 root, RK || dh || u32 len || kem_ss) → RK' || CK || NHK
 *   KDF_CK        = KH(CK, 0x01)[0..64) → MK || CK'   (one BLAKE3 compression)
 */
import {
  KEY_SIZE,
  chainStepInput,
  deriveRatchetRoot,
  deriveSessionHeaderA,
  deriveSessionHeaderB,
  deriveSessionRoot,
} from '@parley/generated';
import { keyedHashSplit } from '../../crypto/index.ts';
import { H } from '../_blake3.ts';
import type { PublicKeys } from '../identity.ts';

export interface RootStep {
  root: Uint8Array;
  chain: Uint8Array;
  nextHeader: Uint8Array;
}

/** KDF_RK: the new root key, the chain key and the next header key of that direction. */
export function kdfRoot(rootKey: Uint8Array, dh: Uint8Array, kemSecret: Uint8Array): RootStep {
  const out = deriveRatchetRoot(H, { rootKey, dh, kemSecret });
  const step = { root: out.slice(0, KEY_SIZE), chain: out.slice(KEY_SIZE, 2 * KEY_SIZE), nextHeader: out.slice(2 * KEY_SIZE, 3 * KEY_SIZE) };
  out.fill(0);
  return step;
}

// The spec's one-byte input of chain_step (a constant): the step of every message is one
// compression written straight into the two keys (deriveChainStep, the generated derivation,
// gives the same bytes: test chain-step-is-one-keyed-blake3-block-split-in-two).
const STEP_INPUT = chainStepInput();

/** KDF_CK: the message key of this chain position and the next chain key. */
export function kdfChain(chainKey: Uint8Array): { messageKey: Uint8Array; next: Uint8Array } {
  const messageKey = new Uint8Array(KEY_SIZE);
  const next = new Uint8Array(KEY_SIZE);
  keyedHashSplit(chainKey, STEP_INPUT, messageKey, next);
  return { messageKey, next };
}

/** The four DH outputs of a session start, A's view and B's view give the same bytes. */
export interface StartSecrets {
  dhStatic: Uint8Array;
  dhEphemeralStatic: Uint8Array;
  dhStaticEphemeral: Uint8Array;
  dhEphemeral: Uint8Array;
}

/** RK0 and the two first header keys. */
export function kdfSessionStart(s: StartSecrets, a: PublicKeys, b: PublicKeys): { root: Uint8Array; headerA: Uint8Array; headerB: Uint8Array } {
  const root = deriveSessionRoot(H, { ...s, aX: a.x, aEd: a.ed, bX: b.x, bEd: b.ed });
  return { root, headerA: deriveSessionHeaderA(H, { key: root }), headerB: deriveSessionHeaderB(H, { key: root }) };
}
