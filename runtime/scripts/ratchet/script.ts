/**
 * The scripted v2 conversation of generated/vectors/ratchet.json: every random draw recorded
 * (ratchet secrets, KEM seeds, encapsulation randomness, nonces), every frame with the states
 * around it. Used by gen-ratchet.ts and by the runtime test that replays the file.
 */
import { MSG_ID_SIZE, MessageType, RatchetKem, SIG_SIZE, SessionOp, encodeRatchetState, type Envelope, type RatchetHeader } from '@parley/generated';
import { keyedHash, toHex, utf8, type CryptoBackend } from '../../src/crypto/index.ts';
import { makeEnvelope } from '../../src/protocol/envelope.ts';
import { identityFromSeed, type Identity } from '../../src/protocol/identity.ts';
import { sealPeer } from '../../src/protocol/peer.ts';
import {
  acceptAnswer,
  answerOffer,
  cloneState,
  createOffer,
  encodeEnvelopeRatchet,
  kdfChain,
  newEphemeral,
  openRatchetFrame,
  sealRatchetFrame,
  startAsA,
  startAsB,
  type RatchetDeps,
  type RatchetState,
} from '../../src/protocol/ratchet/index.ts';

export const RATCHET_T0 = 1_800_000_000_000;

/** A recording random source: a keyed-hash stream per party, every draw logged. */
function recorder(label: string): { random: (n: number) => Uint8Array; take: () => string[] } {
  const key = keyedHash(new Uint8Array(32), utf8(`parley vectors ratchet ${label}`), 32);
  let counter = 0;
  let drawn: string[] = [];
  return {
    random: (n) => {
      const v = keyedHash(key, utf8(String(counter++)), n);
      drawn.push(toHex(v));
      return v;
    },
    take: () => {
      const d = drawn;
      drawn = [];
      return d;
    },
  };
}

function keysOf(s: RatchetState): Record<string, string | number> {
  return {
    root_key: toHex(s.rootKey),
    send_chain: toHex(s.sendChain),
    recv_chain: toHex(s.recvChain),
    send_header: toHex(s.sendHeader),
    recv_header: toHex(s.recvHeader),
    next_send_header: toHex(s.nextSendHeader),
    next_recv_header: toHex(s.nextRecvHeader),
    send_count: s.sendCount,
    recv_count: s.recvCount,
    prev_send_count: s.prevSendCount,
    skipped: s.skipped.length,
  };
}

const KEM_NAMES: Record<number, string> = { [RatchetKem.none]: 'none', [RatchetKem.key]: 'key', [RatchetKem.keyCiphertext]: 'key_ciphertext' };

function headerJson(h: RatchetHeader): object {
  return { ratchet_key: toHex(h.ratchetKey), prev_count: h.prevCount, number: h.number, kem: KEM_NAMES[h.kem] };
}

interface Party {
  name: string;
  me: Identity;
  deps: RatchetDeps;
  rec: ReturnType<typeof recorder>;
  state: RatchetState;
}

let ids = 0;
function envelopeOf(text: string): Envelope {
  const msgId = new Uint8Array(MSG_ID_SIZE);
  msgId[0] = ++ids;
  return makeEnvelope({ type: MessageType.text, body: { text, replyTo: new Uint8Array(MSG_ID_SIZE) }, sentAt: RATCHET_T0 + ids, msgId });
}

export async function buildRatchetVectors(backend: CryptoBackend): Promise<object> {
  ids = 0;
  const ra = recorder('alice');
  const rb = recorder('bob');
  const now = () => RATCHET_T0;
  const seedA = keyedHash(new Uint8Array(32), utf8('parley vectors ratchet seed alice'), 32);
  const seedB = keyedHash(new Uint8Array(32), utf8('parley vectors ratchet seed bob'), 32);
  const aId = await identityFromSeed(backend, seedA);
  const bId = await identityFromSeed(backend, seedB);
  const da: RatchetDeps = { backend, random: ra.random, now };
  const db: RatchetDeps = { backend, random: rb.random, now };

  const eB = await newEphemeral(db);
  const eBDraws = rb.take();
  const eA = await newEphemeral(da);
  const eADraws = ra.take();
  const aState = await startAsA(da, aId, eA, bId, eB.publicKey, RATCHET_T0);
  const aStartDraws = ra.take();
  const bState = await startAsB(db, bId, eB, aId, eA.publicKey, RATCHET_T0);
  const start = {
    a: { seed: toHex(seedA), x: toHex(aId.x), ed: toHex(aId.ed), ephemeral_secret: eADraws[0], ephemeral_public: toHex(eA.publicKey), random: aStartDraws, state: toHex(encodeRatchetState(aState)), keys: keysOf(aState) },
    b: { seed: toHex(seedB), x: toHex(bId.x), ed: toHex(bId.ed), ephemeral_secret: eBDraws[0], ephemeral_public: toHex(eB.publicKey), state: toHex(encodeRatchetState(bState)), keys: keysOf(bState) },
    started_at: RATCHET_T0,
  };
  const A: Party = { name: 'alice', me: aId, deps: da, rec: ra, state: aState };
  const B: Party = { name: 'bob', me: bId, deps: db, rec: rb, state: bState };

  const frames: object[] = [];
  const invalid: object[] = [];
  const pending = new Map<string, { frame: Uint8Array; from: Party; to: Party; json: Record<string, unknown> }>();

  const seal = async (from: Party, to: Party, text: string, label: string, sendState?: RatchetState) => {
    const before = sendState ?? from.state;
    const env = envelopeOf(text);
    const sealed = await sealRatchetFrame({ deps: from.deps, sender: from.me, recipient: to.me, state: before, envelope: env });
    const json: Record<string, unknown> = {
      label,
      from: from.name,
      to: to.name,
      sender_state_before: toHex(encodeRatchetState(before)),
      sender_random: from.rec.take(),
      frame: toHex(sealed.frame),
      header: headerJson(sealed.header),
      plaintext: toHex(encodeEnvelopeRatchet(env)),
      text,
      sender_state_after: toHex(encodeRatchetState(sealed.state)),
      sender_keys_after: keysOf(sealed.state),
    };
    if (!sendState) from.state = sealed.state;
    pending.set(label, { frame: sealed.frame, from, to, json });
    return sealed.frame;
  };
  const deliver = async (label: string) => {
    const p = pending.get(label)!;
    const before = p.to.state;
    const o = await openRatchetFrame({ deps: p.to.deps, me: p.to.me, candidates: [{ contact: p.from.me, state: before }], frame: p.frame });
    p.to.state = o.state;
    frames.push({
      ...p.json,
      receiver_state_before: toHex(encodeRatchetState(before)),
      receiver_random: p.to.rec.take(),
      open_step: o.step,
      receiver_state_after: toHex(encodeRatchetState(o.state)),
      receiver_keys_after: keysOf(o.state),
    });
  };
  const refuse = async (label: string, frame: Uint8Array, from: Party, to: Party, error: string, why: string) => {
    let code = '';
    try {
      await openRatchetFrame({ deps: to.deps, me: to.me, candidates: [{ contact: from.me, state: to.state }], frame });
    } catch (e) {
      code = (e as { code?: string }).code ?? String(e);
    }
    if (code !== error) throw new Error(`ratchet vectors: ${label} gave ${code || 'no error'}, expected ${error}`);
    to.rec.take();
    invalid.push({ label, why, from: from.name, to: to.name, receiver_state: toHex(encodeRatchetState(to.state)), frame: toHex(frame), error });
  };

  // A→B ×3 (A's first chain: the KEM key on a1 only), B→A ×2 (DH and KEM step at A).
  for (const t of ['a1', 'a2', 'a3']) await seal(A, B, `hello ${t}`, t), await deliver(t);
  for (const t of ['b1', 'b2']) await seal(B, A, `hi ${t}`, t), await deliver(t);
  // A's next chain: a4 carries the block, a5 and a6 none. a5 overtakes a4: KEM_MISSING, nothing
  // changes; a4 takes the step, a6 skips a5, and a5 arrives late (its stored key).
  await seal(A, B, 'first a4', 'a4');
  await seal(A, B, 'late a5', 'a5');
  await seal(A, B, 'after a6', 'a6');
  await refuse('kem missing', pending.get('a5')!.frame, A, B, 'KEM_MISSING', 'a5 (N 1, kem none) is the first message of a new chain to arrive: its block rides on a4');
  await deliver('a4');
  await deliver('a6');
  await deliver('a5');
  // A replay of a5: refused, state unchanged.
  await refuse('replay a5', pending.get('a5')!.frame, A, B, 'KEY_USED', 'a5 again: its key was used');
  // a6 with one zero byte more at the end of its payload (before the signature): the body is no
  // longer a v2 bucket plus the tag, refused by the shape check before the signature.
  const a6 = pending.get('a6')!.frame;
  const longer = new Uint8Array(a6.length + 1);
  longer.set(a6.subarray(0, a6.length - SIG_SIZE));
  longer.set(a6.subarray(a6.length - SIG_SIZE), a6.length + 1 - SIG_SIZE);
  await refuse('body not a bucket', longer, A, B, 'BAD_LENGTH', 'a6 with one byte more in its body: not a v2 bucket plus TAG_SIZE (kinds.ratchet.length), refused before the signature is checked');
  // B's next chain: b3 (the block), then a reordered pair b5 before b4.
  await seal(B, A, 'first b3', 'b3');
  await deliver('b3');
  await seal(B, A, 'first of pair b4', 'b4');
  await seal(B, A, 'second of pair b5', 'b5');
  await deliver('b5');
  await deliver('b4');
  // Re-arming: A seals a7 (its new chain's block), B, not having it, sends b6 on its current
  // chain; b6 re-arms A's chain, so a8 (N 1) carries the block too and B steps from a8 alone.
  await seal(A, B, 'held a7', 'a7');
  await seal(B, A, 'crossing b6', 'b6');
  await deliver('b6');
  await seal(A, B, 're-armed a8', 'a8');
  await deliver('a8');
  await deliver('a7');
  // A header announcing a jump of MAX_SKIP_PER_CHAIN + 1 in the current chain (a sender state advanced by hand).
  await seal(A, B, 'a9', 'a9');
  await deliver('a9');
  const jumped = cloneState(A.state);
  for (let i = 0; i < 1001; i++) {
    const { messageKey, next } = kdfChain(jumped.sendChain);
    messageKey.fill(0);
    jumped.sendChain = next;
    jumped.sendCount++;
  }
  const jumpFrame = await seal(A, B, 'too far', 'jump', jumped);
  await refuse('jump', jumpFrame, A, B, 'JUMP_TOO_LARGE', 'the header announces message number recv_count + MAX_SKIP_PER_CHAIN + 1');
  // A tampered frame: one bit of the header ciphertext flipped; the signature fails first.
  const tampered = pending.get('a9')!.frame.slice();
  tampered[8 + 24 + 1 + 2]! ^= 1;
  await refuse('tampered', tampered, A, B, 'BAD_SIGNATURE', 'a bit of the header ciphertext flipped: the signature over the ciphertext region fails before any key is tried');

  // Session reset: B lost its state. B offers a reset in a peer frame; A answers; new session.
  const resetAt = RATCHET_T0 + 60_000;
  const offerId = new Uint8Array(MSG_ID_SIZE).fill(0xaa);
  const offer = await createOffer(db, SessionOp.resetOffer, { msgId: offerId, sentAt: resetAt });
  const offerEnv = makeEnvelope({ type: MessageType.session, body: offer.body, sentAt: resetAt, msgId: offerId });
  const offerNonce = rb.random(24);
  const offerFrame = await sealPeer({ backend, sender: bId, recipient: aId, envelope: offerEnv, nonce: offerNonce });
  const offerDraws = rb.take();
  const oldA = A.state;
  const answered = await answerOffer(da, aId, bId, offer.body, offerEnv, { session: A.state, pending: undefined, lastResetAt: undefined }, resetAt);
  const answerId = new Uint8Array(MSG_ID_SIZE).fill(0xbb);
  const answerEnv = makeEnvelope({ type: MessageType.session, body: answered.body, sentAt: resetAt, msgId: answerId });
  const answerDrawsBefore = ra.take();
  const answerNonce = ra.random(24);
  const answerFrame = await sealPeer({ backend, sender: aId, recipient: bId, envelope: answerEnv, nonce: answerNonce });
  ra.take();
  const accepted = await acceptAnswer(db, bId, aId, answered.body, { session: undefined, pending: offer.pending, lastResetAt: undefined }, resetAt);
  A.state = answered.state;
  B.state = accepted.state;
  const reset = {
    offer: { frame: toHex(offerFrame), ephemeral_secret: offerDraws[0], nonce: toHex(offerNonce), sent_at: resetAt, msg_id: toHex(offerId) },
    answer: { frame: toHex(answerFrame), random: answerDrawsBefore, nonce: toHex(answerNonce), sent_at: resetAt, msg_id: toHex(answerId), a_state_before: toHex(encodeRatchetState(oldA)) },
    a_state: toHex(encodeRatchetState(A.state)),
    b_state: toHex(encodeRatchetState(B.state)),
  };
  await seal(A, B, 'after reset', 'r1');
  await deliver('r1');
  // A frame of the old session after the reset: no header key of the new session opens it.
  const stale = await seal({ ...A, state: oldA }, B, 'old session', 'stale', oldA);
  await refuse('old session', stale, A, B, 'HEADER_FAILED', 'sealed with the state from before the reset');

  return { start, frames, invalid, reset };
}
