/**
 * The v2 key schedule (spec derivations session_root, session_header_a/b, ratchet_root,
 * chain_message_key, chain_next_key), on the generated derivations so every context string
 * and input layout comes from the spec:
 *
 *   RK0           = DK(v2 session, X(a,B) || X(e_A,B) || X(a,E_B) || X(e_A,E_B) || A_x || A_ed || B_x || B_ed)
 *   HK_A0, NHK_B0 = DK(v2 header a, RK0), DK(v2 header b, RK0)
 *   KDF_RK        = DK(v2 root, RK || dh || u32 len || kem_ss) → RK' || CK || NHK
 *   KDF_CK        = KH(CK, 0x01) message key, KH(CK, 0x02) next chain key
 */
import {
  KEY_SIZE,
  chainMessageInput,
  chainNextInput,
  deriveRatchetRoot,
  deriveSessionHeaderA,
  deriveSessionHeaderB,
  deriveSessionRoot,
} from '@parley/generated';
import { blake3KeyWordsInto, keyedHashShort } from '../../crypto/index.ts';
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

// The spec's one-byte inputs of chain_message_key and chain_next_key (constants), and the chain
// key's words: both keyed hashes are one compression under the same key, so the key is read
// once and each hash runs without allocating (the step of every message; the generated
// deriveChainMessageKey/deriveChainNextKey give the same bytes, tested with the vectors).
const MESSAGE_INPUT = chainMessageInput();
const NEXT_INPUT = chainNextInput();
const CHAIN_WORDS = new Uint32Array(8);

/** KDF_CK: the message key of this chain position and the next chain key. */
export function kdfChain(chainKey: Uint8Array): { messageKey: Uint8Array; next: Uint8Array } {
  const messageKey = new Uint8Array(KEY_SIZE);
  const next = new Uint8Array(KEY_SIZE);
  blake3KeyWordsInto(chainKey, CHAIN_WORDS, 0);
  try {
    keyedHashShort(CHAIN_WORDS, MESSAGE_INPUT, messageKey);
    keyedHashShort(CHAIN_WORDS, NEXT_INPUT, next);
  } finally {
    CHAIN_WORDS.fill(0);
  }
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
