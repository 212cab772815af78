/**
 * A v2 session's state (spec structs.ratchet_state), its stored form, and erasure.
 *
 * Steps never change a state in place: a step works on a new state object, so a step that
 * fails (a jump too large, a body that does not open) leaves the caller's state exactly as it
 * was, and the caller commits the new state in the same atomic write as the record the step
 * produced, then erases what only the old one held (`supersedeState`). The stored bytes are the
 * spec's codec output: used message keys and old chain keys are simply not in them.
 *
 * Copy on write: a symmetric step (one message of a chain, the step of nearly every message)
 * starts from `shareState`, which shares the secret arrays that step does not touch; a step
 * replaces a secret array, it never writes into a shared one. So the old state and the new one
 * may hold the same array, and erasure goes by ownership: `supersedeState(old, next)` and
 * `discardState(next, old)` zero exactly the arrays the other does not hold. A full copy
 * (`cloneState`) cost a sixth of the ratchet's own work per message (spec/DESIGN.md, v2
 * sessions, "Cost of a symmetric step").
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

/**
 * A new state object sharing every array with `s` except the skipped-key list, which is its
 * own (entries shared): the start of a step that replaces, never writes into, secret arrays.
 */
export function shareState(s: RatchetState): RatchetState {
  return {
    format: s.format,
    startedAt: s.startedAt,
    peerSeen: s.peerSeen,
    dhSecret: s.dhSecret,
    dhPublic: s.dhPublic,
    dhRemote: s.dhRemote,
    rootKey: s.rootKey,
    sendChain: s.sendChain,
    sendCount: s.sendCount,
    prevSendCount: s.prevSendCount,
    recvChain: s.recvChain,
    recvCount: s.recvCount,
    sendHeader: s.sendHeader,
    recvHeader: s.recvHeader,
    nextSendHeader: s.nextSendHeader,
    nextRecvHeader: s.nextRecvHeader,
    kemSeed: s.kemSeed,
    kemPublic: s.kemPublic,
    kemCiphertext: s.kemCiphertext,
    kemRemote: s.kemRemote,
    kemRearm: s.kemRearm,
    skipped: s.skipped.slice(),
  };
}

/** Gives a shared state its own copy of every secret array (before a DH step writes into them). */
export function ownSecrets(s: RatchetState): void {
  s.dhSecret = s.dhSecret.slice();
  s.rootKey = s.rootKey.slice();
  s.sendChain = s.sendChain.slice();
  s.recvChain = s.recvChain.slice();
  s.sendHeader = s.sendHeader.slice();
  s.recvHeader = s.recvHeader.slice();
  s.nextSendHeader = s.nextSendHeader.slice();
  s.nextRecvHeader = s.nextRecvHeader.slice();
  s.kemSeed = s.kemSeed.slice();
}

function secretsOf(s: RatchetState): Uint8Array[] {
  return [s.dhSecret, s.rootKey, s.sendChain, s.recvChain, s.sendHeader, s.recvHeader, s.nextSendHeader, s.nextRecvHeader, s.kemSeed];
}

/** Overwrites every secret of `s` with zeros (the session is deleted or the engine stopped). */
export function wipeState(s: RatchetState): void {
  wipeUnshared(s, undefined);
}

/** `next` was committed in place of `old`: erases every secret only `old` held. */
export function supersedeState(old: RatchetState, next: RatchetState | undefined): void {
  if (old !== next) wipeUnshared(old, next);
}

/** `next` was refused or never committed: erases every secret it holds that `kept` does not. */
export function discardState(next: RatchetState, kept: RatchetState | undefined): void {
  if (next !== kept) wipeUnshared(next, kept);
}

function wipeUnshared(victim: RatchetState, keep: RatchetState | undefined): void {
  const held = keep ? secretsOf(keep) : [];
  for (const b of secretsOf(victim)) if (!held.includes(b)) b.fill(0);
  if (victim.skipped.length === 0) return;
  const heldKeys = new Set<Uint8Array>();
  if (keep) for (const k of keep.skipped) heldKeys.add(k.messageKey);
  for (const k of victim.skipped) {
    if (heldKeys.has(k.messageKey)) continue;
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
