/**
 * The Double Ratchet with header encryption (Signal's "HE" variant, spec kinds.ratchet) and a
 * sparse ML-KEM-768 step beside every DH step. Works on the ratchet payload (structs.ratchet);
 * the frame's signature and the envelope are frame.ts's.
 *
 *   seal: MK || CKs = KDF_CK(CKs); header = AEAD(HKs, nonce, no AD, (DHs, PN, Ns, KEM block
 *         if Ns = 0 or the chain is re-armed, else none)); body = AEAD(MK, nonce, body_ad(header), envelope)
 *   open: 1. the header key of an earlier chain with stored skipped keys opens it: its key;
 *         2. HKr opens it: a stored key of this chain below Nr (KEY_USED if none), or skip to N;
 *         3. NHKr opens it: a DH (and KEM) step: a header without the block is KEM_MISSING;
 *            skip the old chain to PN, then
 *            RK, CKr, NHKr = KDF_RK(RK, X(DHs, DHr'), decaps(ct))   receiving half
 *            DHs' fresh; KEM seed fresh; (ct', ss') = encaps(kem pk in the header)
 *            RK, CKs, NHKs = KDF_RK(RK, X(DHs', DHr'), ss')           sending half
 *         4. otherwise HEADER_FAILED.
 *         A message opened by 1 or 2 after this side sealed a message of its current chain
 *         re-arms that chain (the contact may lack its block; spec sessions, "the KEM block").
 * Every step works on a copy (state.ts): on any error the caller's state is untouched and the
 * copy's secrets are wiped.
 */
import {
  KEM_ENCAPS_SEED_SIZE,
  KEM_SEED_SIZE,
  KEY_SIZE,
  MAX_CHAIN_MESSAGES,
  RatchetKem,
  decodeRatchet,
  decodeRatchetHeader,
  encodeRatchet,
  encodeRatchetHeader,
  isCodecError,
  ratchetBodyAd,
  type Ratchet,
  type RatchetHeader,
} from '@parley/generated';
import { equalBytes, isCryptoError } from '../../crypto/index.ts';
import { decrypt } from '../peer.ts';
import { dhOf, newDhKeyPair, nowOf, rand, type RatchetDeps } from './deps.ts';
import { RatchetError } from './errors.ts';
import { kdfChain, kdfRoot } from './kdf.ts';
import { kemDecapsulate, kemEncapsulate, kemPublicKey } from './kem.ts';
import { checkJump, hasExpired, pruneSkipped, skipUntil, skippedHeaderKeys, takeSkipped } from './skipped.ts';
import { cloneState, discardState, shareState, wipeState, type RatchetState } from './state.ts';

/** The two X25519 keys bound into a ratchet message's associated data. */
export interface RatchetParties {
  senderX: Uint8Array;
  recipientX: Uint8Array;
}

/** How a received message was opened, for tests, vectors and the UI. */
export type OpenStep = 'skipped' | 'chain' | 'dh';

export interface Sealed {
  state: RatchetState;
  payload: Uint8Array;
  header: RatchetHeader;
}

export interface Opened {
  state: RatchetState;
  plaintext: Uint8Array;
  header: RatchetHeader;
  step: OpenStep;
}

/** Encrypts one padded envelope: the next message of the sending chain. */
export async function ratchetSeal(d: RatchetDeps, state: RatchetState, plaintext: Uint8Array, parties: RatchetParties, nonce: Uint8Array): Promise<Sealed> {
  const step = beginSeal(state);
  try {
    const headerCt = sealHeader(d, step, nonce);
    const body = await sealBody(d, step, plaintext, parties, nonce, headerCt);
    return { state: step.state, payload: encodeRatchet({ header: headerCt, body }), header: step.header };
  } catch (e) {
    discardState(step.state, state);
    throw e;
  } finally {
    step.messageKey.fill(0);
  }
}

/**
 * The synchronous half of a seal: the new state (it shares every secret with the old one but
 * the chain key, state.ts copy on write: commit it, then `supersedeState(old, new)`), the
 * message key and the header. The caller seals header and body with `sealHeader` and
 * `sealBody`, then erases the message key, and on any error undoes the state with
 * `discardState(step.state, old)`. Split so the frame writer (frame.ts) awaits the backend
 * directly, without one more async layer per message.
 */
export interface SealStep {
  state: RatchetState;
  messageKey: Uint8Array;
  header: RatchetHeader;
}

export function beginSeal(state: RatchetState): SealStep {
  if (state.sendChain.length === 0) throw new RatchetError('NO_SESSION', 'no sending chain yet (the side that published its ephemeral first sends after the first message it receives)');
  if (state.sendCount >= MAX_CHAIN_MESSAGES) throw new RatchetError('SESSION_EXHAUSTED', `sending chain at ${state.sendCount} messages`);
  const s = shareState(state);
  const { messageKey, next } = kdfChain(state.sendChain);
  s.sendChain = next;
  const header = headerOf(s);
  s.sendCount++;
  return { state: s, messageKey, header };
}

/**
 * The header's AEAD has no associated data (spec structs.ratchet): the frame's keyed signature
 * binds version, kind, parties and nonce to the header ciphertext and is verified first.
 */
const NO_AD = new Uint8Array(0);

/**
 * The header ciphertext: AEAD(HKs, nonce, no associated data, header). Synchronous: the body's
 * AEAD needs it, and awaiting it was a tenth of v2's extra cost per message.
 */
export function sealHeader(d: RatchetDeps, step: SealStep, nonce: Uint8Array): Uint8Array {
  return d.backend.xchachaSealSync(step.state.sendHeader, nonce, encodeRatchetHeader(step.header), NO_AD);
}

/** The body: AEAD(MK, nonce, ratchet_body_ad(header ciphertext), envelope). */
export function sealBody(d: RatchetDeps, step: SealStep, plaintext: Uint8Array, parties: RatchetParties, nonce: Uint8Array, headerCt: Uint8Array): Promise<Uint8Array> {
  return d.backend.xchachaSeal(step.messageKey, nonce, plaintext, ratchetBodyAd({ senderX: parties.senderX, recipientX: parties.recipientX, header: headerCt }));
}

/** The header of message Ns: the chain's KEM block on its first message and while re-armed. */
function headerOf(s: RatchetState): RatchetHeader {
  const ratchetKey = s.dhPublic;
  const prevCount = s.prevSendCount;
  const number = s.sendCount;
  if (number !== 0 && s.kemRearm === 0) return { ratchetKey, prevCount, number, kem: RatchetKem.none, kemFields: {} };
  return s.kemCiphertext.length === 0
    ? { ratchetKey, prevCount, number, kem: RatchetKem.key, kemFields: { publicKey: s.kemPublic } }
    : { ratchetKey, prevCount, number, kem: RatchetKem.keyCiphertext, kemFields: { publicKey: s.kemPublic, ciphertext: s.kemCiphertext } };
}

/**
 * Decrypts one ratchet payload (or its decoded parts); see the module comment for the order of
 * attempts. The usual message, the next one of the current receiving chain, takes the copy on
 * write path (state.ts); every other case works on a full copy.
 */
export async function ratchetOpen(d: RatchetDeps, state: RatchetState, payload: Uint8Array | Ratchet, parties: RatchetParties, nonce: Uint8Array): Promise<Opened> {
  const p = payload instanceof Uint8Array ? decodeRatchet(payload) : payload;
  const inOrder = await openNextInChain(d, state, p, parties, nonce);
  if (inOrder) return inOrder;
  const s = cloneState(state);
  try {
    const o = await openOn(d, s, p.header, p.body, parties, nonce);
    rearmAfter(s, o.step);
    return { state: s, plaintext: o.plaintext, header: o.header, step: o.step };
  } catch (e) {
    wipeState(s);
    throw e;
  }
}

/** The contact sealed this before taking our current sending chain's step: it may lack the block. */
function rearmAfter(s: RatchetState, step: OpenStep): void {
  if (step !== 'dh' && s.sendChain.length !== 0 && s.sendCount > 0) s.kemRearm = 1;
}

/**
 * Step 2 when it is the chain's next message and no skipped key has expired: no key is skipped,
 * taken or erased, so the new state shares all but the chain key. Undefined otherwise (the
 * header key of the current chain does not open the header, or another number): openOn decides.
 * Trying the current chain first changes only the cost of other cases: a header opens under
 * one key at most.
 */
async function openNextInChain(d: RatchetDeps, state: RatchetState, p: Ratchet, parties: RatchetParties, nonce: Uint8Array): Promise<Opened | undefined> {
  if (state.recvHeader.length === 0 || hasExpired(state, nowOf(d))) return undefined;
  const header = await openHeader(d, state.recvHeader, nonce, p.header);
  if (header === undefined || header.number !== state.recvCount) return undefined;
  const s = shareState(state);
  const { messageKey, next } = kdfChain(state.recvChain);
  s.recvChain = next;
  s.recvCount++;
  s.peerSeen = 1;
  rearmAfter(s, 'chain');
  try {
    const plaintext = await openBody(d, messageKey, nonce, p.body, ratchetBodyAd({ senderX: parties.senderX, recipientX: parties.recipientX, header: p.header }));
    return { state: s, plaintext, header, step: 'chain' };
  } catch (e) {
    discardState(s, state);
    throw e;
  }
}

async function openOn(d: RatchetDeps, s: RatchetState, headerCt: Uint8Array, body: Uint8Array, parties: RatchetParties, nonce: Uint8Array): Promise<Omit<Opened, 'state'>> {
  const now = nowOf(d);
  pruneSkipped(s, now);
  const bodyAd = ratchetBodyAd({ senderX: parties.senderX, recipientX: parties.recipientX, header: headerCt });

  // 1. A skipped message of an earlier chain (the current chain's are step 2's).
  for (const hk of skippedHeaderKeys(s)) {
    if (s.recvHeader.length !== 0 && equalBytes(hk, s.recvHeader)) continue;
    const header = await openHeader(d, hk, nonce, headerCt);
    if (!header) continue;
    const mk = takeSkipped(s, hk, header.number);
    if (!mk) throw new RatchetError('KEY_USED', `message ${header.number} of a skipped chain was used or erased`);
    return { plaintext: await openBody(d, mk, nonce, body, bodyAd), header, step: 'skipped' };
  }
  // 2. The current receiving chain.
  if (s.recvHeader.length !== 0) {
    const header = await openHeader(d, s.recvHeader, nonce, headerCt);
    if (header) {
      if (header.number < s.recvCount) {
        const mk = takeSkipped(s, s.recvHeader, header.number);
        if (!mk) throw new RatchetError('KEY_USED', `message ${header.number} of the current chain was used or erased (next is ${s.recvCount})`);
        return { plaintext: await openBody(d, mk, nonce, body, bodyAd), header, step: 'skipped' };
      }
      skipUntil(s, header.number, now);
      return { plaintext: await nextMessage(d, s, nonce, body, bodyAd), header, step: 'chain' };
    }
  }
  // 3. A new chain: a DH step (and a KEM step).
  const header = await openHeader(d, s.nextRecvHeader, nonce, headerCt);
  if (!header) throw new RatchetError('HEADER_FAILED', 'no header key of the session opens the header');
  // Jumps and the KEM block are checked before anything is derived, so a refused header changes nothing.
  if (s.recvChain.length !== 0) checkJump(s.recvCount, header.prevCount, 'previous chain');
  checkJump(0, header.number, 'new chain');
  checkKem(s, header);
  skipUntil(s, header.prevCount, now);
  await dhStep(d, s, header);
  skipUntil(s, header.number, now);
  return { plaintext: await nextMessage(d, s, nonce, body, bodyAd), header, step: 'dh' };
}

/** The KEM block a new chain's header must carry (KEM_MISSING, BAD_KEM). */
function checkKem(s: RatchetState, header: RatchetHeader): void {
  if (header.kem === RatchetKem.none) throw new RatchetError('KEM_MISSING', `message ${header.number} of a new chain without its KEM block (the chain's first message has not arrived)`);
  const published = s.kemSeed.length !== 0;
  if (published && header.kem !== RatchetKem.keyCiphertext) throw new RatchetError('BAD_KEM', 'a new chain without an encapsulation to the KEM key this side published');
  if (!published && header.kem !== RatchetKem.key) throw new RatchetError('BAD_KEM', 'an encapsulation although this side published no KEM key');
}

async function nextMessage(d: RatchetDeps, s: RatchetState, nonce: Uint8Array, body: Uint8Array, ad: Uint8Array): Promise<Uint8Array> {
  const { messageKey, next } = kdfChain(s.recvChain);
  s.recvChain.fill(0);
  s.recvChain = next;
  s.recvCount++;
  s.peerSeen = 1;
  return openBody(d, messageKey, nonce, body, ad);
}

async function openBody(d: RatchetDeps, mk: Uint8Array, nonce: Uint8Array, body: Uint8Array, ad: Uint8Array): Promise<Uint8Array> {
  try {
    return await decrypt(d.backend, mk, nonce, body, ad);
  } finally {
    mk.fill(0);
  }
}

/** The header if `key` opens it, else undefined (a header that opens but does not decode is an error). */
async function openHeader(d: RatchetDeps, key: Uint8Array, nonce: Uint8Array, ct: Uint8Array): Promise<RatchetHeader | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await d.backend.xchachaOpen(key, nonce, ct, NO_AD);
  } catch (e) {
    if (isCryptoError(e, 'DECRYPT_FAILED')) return undefined;
    throw e;
  }
  try {
    return decodeRatchetHeader(bytes);
  } catch (e) {
    if (isCodecError(e)) throw new RatchetError('HEADER_FAILED', `the header opens but does not decode (${e.message})`, { cause: e });
    throw e;
  }
}

/** The DH and KEM step on receiving a new chain (module comment, step 3). */
async function dhStep(d: RatchetDeps, s: RatchetState, header: RatchetHeader): Promise<void> {
  if (header.kem === RatchetKem.none) throw new RatchetError('KEM_MISSING', 'a DH step without the KEM block'); // checkKem ran first
  const recvSecret = header.kem === RatchetKem.keyCiphertext ? await kemDecapsulate(s.kemSeed, header.kemFields.ciphertext) : new Uint8Array(0);

  s.prevSendCount = s.sendCount;
  s.sendCount = 0;
  s.kemRearm = 0;
  s.recvCount = 0;
  s.sendHeader = s.nextSendHeader;
  s.recvHeader = s.nextRecvHeader;
  s.dhRemote = header.ratchetKey.slice();
  const dhRecv = await dhOf(d, s.dhSecret, s.dhRemote, 'ratchet key');
  const r = kdfRoot(s.rootKey, dhRecv, recvSecret);
  dhRecv.fill(0);
  recvSecret.fill(0);
  s.rootKey.fill(0);
  s.recvChain.fill(0);
  s.rootKey = r.root;
  s.recvChain = r.chain;
  s.nextRecvHeader = r.nextHeader;

  s.dhSecret.fill(0);
  const kp = await newDhKeyPair(d, KEY_SIZE);
  s.dhSecret = kp.secret;
  s.dhPublic = kp.publicKey;
  s.kemRemote = header.kemFields.publicKey.slice();
  const m = rand(d, KEM_ENCAPS_SEED_SIZE);
  const enc = await kemEncapsulate(s.kemRemote, m);
  m.fill(0); // knowing m gives the shared secret
  s.kemSeed.fill(0);
  s.kemSeed = rand(d, KEM_SEED_SIZE);
  s.kemPublic = await kemPublicKey(s.kemSeed);
  s.kemCiphertext = enc.ciphertext;
  const dhSend = await dhOf(d, s.dhSecret, s.dhRemote, 'ratchet key');
  const t = kdfRoot(s.rootKey, dhSend, enc.secret);
  dhSend.fill(0);
  enc.secret.fill(0);
  s.rootKey.fill(0);
  s.sendChain.fill(0);
  s.rootKey = t.root;
  s.sendChain = t.chain;
  s.nextSendHeader = t.nextHeader;
}
