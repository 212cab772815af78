/**
 * A v2 session's state (spec structs.ratchet_state), its stored form, and erasure.
 *
 * Steps never change a state in place: `cloneState` gives the copy a step works on, so a step
 * that fails (a jump too large, a body that does not open) leaves the caller's state exactly
 * as it was, and the caller commits the new state in the same atomic write as the record the
 * step produced, then wipes the old one (`wipeState`). The stored bytes are the spec's codec
 * output: used message keys and old chain keys are simply not in them.
 */
import {
  KEM_CIPHERTEXT_SIZE,
  KEM_PUBLIC_KEY_SIZE,
  KEM_SEED_SIZE,
  KEY_SIZE,
  SESSION_VERSION,
  decodeRatchetState,
  encodeRatchetState,
  isCodecError,
  type RatchetState,
} from '@parley/generated';
import { RatchetError } from './errors.ts';

export type { RatchetState };

/**
 * A copy whose secret byte arrays share nothing with `s`. Public values (ratchet and KEM public
 * keys, the KEM ciphertext) are shared: no step writes into them, it replaces them with new
 * arrays, and wiping leaves them alone. Copying them (3.5 KB) was a third of a symmetric step.
 */
export function cloneState(s: RatchetState): RatchetState {
  // Every field written out, in one literal: the copies all get the same hidden class, which a
  // spread followed by overwrites did not guarantee (the clone cost tripled once states came
  // from earlier clones).
  return {
    format: s.format,
    startedAt: s.startedAt,
    peerSeen: s.peerSeen,
    dhSecret: s.dhSecret.slice(),
    dhPublic: s.dhPublic,
    dhRemote: s.dhRemote,
    rootKey: s.rootKey.slice(),
    sendChain: s.sendChain.slice(),
    sendCount: s.sendCount,
    prevSendCount: s.prevSendCount,
    recvChain: s.recvChain.slice(),
    recvCount: s.recvCount,
    sendHeader: s.sendHeader.slice(),
    recvHeader: s.recvHeader.slice(),
    nextSendHeader: s.nextSendHeader.slice(),
    nextRecvHeader: s.nextRecvHeader.slice(),
    kemSeed: s.kemSeed.slice(),
    kemPublic: s.kemPublic,
    kemCiphertext: s.kemCiphertext,
    kemRemote: s.kemRemote,
    kemRearm: s.kemRearm,
    skipped: s.skipped.map((k) => ({ headerKey: k.headerKey.slice(), number: k.number, messageKey: k.messageKey.slice(), storedAt: k.storedAt })),
  };
}

/** Overwrites every secret of `s` with zeros (after a newer state was committed). */
export function wipeState(s: RatchetState): void {
  for (const b of [s.dhSecret, s.rootKey, s.sendChain, s.recvChain, s.sendHeader, s.recvHeader, s.nextSendHeader, s.nextRecvHeader, s.kemSeed]) b.fill(0);
  for (const k of s.skipped) {
    k.headerKey.fill(0);
    k.messageKey.fill(0);
  }
}

/** The stored form (spec structs.ratchet_state). */
export function serializeState(s: RatchetState): Uint8Array {
  return encodeRatchetState(s);
}

const optional: ReadonlyArray<[keyof RatchetState, number]> = [
  ['dhRemote', KEY_SIZE],
  ['sendChain', KEY_SIZE],
  ['recvChain', KEY_SIZE],
  ['sendHeader', KEY_SIZE],
  ['recvHeader', KEY_SIZE],
  ['kemSeed', KEM_SEED_SIZE],
  ['kemPublic', KEM_PUBLIC_KEY_SIZE],
  ['kemCiphertext', KEM_CIPHERTEXT_SIZE],
  ['kemRemote', KEM_PUBLIC_KEY_SIZE],
];

/**
 * Reads a stored state: the codec's checks, then the ones it cannot express (an optional key
 * is empty or whole; a sending chain has its header key; the KEM seed and public key travel
 * together). Throws RatchetError BAD_STATE.
 */
export function parseState(bytes: Uint8Array): RatchetState {
  let s: RatchetState;
  try {
    s = decodeRatchetState(bytes);
  } catch (e) {
    if (isCodecError(e)) throw new RatchetError('BAD_STATE', `stored session state does not decode (${e.message})`, { cause: e });
    throw e;
  }
  if (s.format !== SESSION_VERSION) throw new RatchetError('BAD_STATE', `state format ${s.format}`);
  for (const [k, n] of optional) {
    const len = (s[k] as Uint8Array).length;
    if (len !== 0 && len !== n) throw new RatchetError('BAD_STATE', `${k} of ${len} bytes (0 or ${n})`);
  }
  if ((s.sendChain.length === 0) !== (s.sendHeader.length === 0)) throw new RatchetError('BAD_STATE', 'a sending chain without its header key');
  if ((s.recvChain.length === 0) !== (s.recvHeader.length === 0)) throw new RatchetError('BAD_STATE', 'a receiving chain without its header key');
  if ((s.kemSeed.length === 0) !== (s.kemPublic.length === 0)) throw new RatchetError('BAD_STATE', 'a KEM seed without its public key');
  return owned(s);
}

/**
 * The decoder's byte fields are views into `bytes`; the state gets arrays of its own, so a
 * caller may wipe or reuse the stored bytes, and states derived from it (which share public
 * values, see cloneState) never point into them.
 */
function owned(s: RatchetState): RatchetState {
  const copy = cloneState(s);
  for (const k of ['dhPublic', 'dhRemote', 'kemPublic', 'kemCiphertext', 'kemRemote'] as const) copy[k] = s[k].slice();
  return copy;
}

/** What a state gives a conversation, for the UI: forward secrecy always, post-quantum once a KEM secret entered the root. */
export interface SessionProtection {
  forwardSecrecy: true;
  /** True once both directions' chains descend from a root step that mixed an ML-KEM secret. */
  postQuantum: boolean;
}

/**
 * The protection of a session. The current sending chain carries an encapsulation exactly when
 * its root step mixed an ML-KEM secret, and a state only gets there after the contact's chain
 * that answered its KEM key: from then on both directions are post-quantum.
 */
export function protectionOf(s: RatchetState): SessionProtection {
  return { forwardSecrecy: true, postQuantum: s.kemCiphertext.length !== 0 };
}
