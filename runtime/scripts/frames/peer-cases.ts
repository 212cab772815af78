/**
 * Peer-frame cases of frames.json: valid frames (as sent and as delivered) and invalid ones,
 * each with the error a receiver must raise and the receive_order step that raises it.
 */
import {
  ExtensionTag,
  FrameKind,
  MSG_ID_SIZE,
  MessageType,
  NONCE_SIZE,
  ORDER_EPOCH_SIZE,
  ReceiptStatus,
  decodeFrame,
  encodeFrame,
  encodeOrderExtension,
  signatureMessagePeer,
  type Envelope,
} from '@parley/generated';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { deriveKey, keyedHash, type CryptoBackend } from '../../src/crypto/index.ts';
import { encodeEnvelopePadded, makeEnvelope } from '../../src/protocol/envelope.ts';
import { FRAME_KIND_OFFSET } from '../../src/protocol/frame.ts';
import type { SessionKeys } from '../../src/protocol/handshake.ts';
import type { Identity, PublicKeys } from '../../src/protocol/identity.ts';
import { derivePairKeys } from '../../src/protocol/pair.ts';
import { sealPeer } from '../../src/protocol/peer.ts';
import { RouteDirection } from '../../src/protocol/route.ts';
import { NOW, fixed, hex, jsonValue, type Parties, type PartyName } from './fixtures.ts';

const H = { deriveKey, keyedHash };

export type Sessions = Partial<Record<PartyName, SessionKeys>>;

const keysJson = (k: PublicKeys) => ({ x25519: hex(k.x), ed25519: hex(k.ed) });

/** Masks a zero-route frame as the sender's client does, then re-masks it as the relay delivers it. */
export function route(frame: Uint8Array, c2r: { key: Uint8Array; counter: number }, to: Uint8Array, r2c: { key: Uint8Array; counter: number }, from: Uint8Array) {
  const sent = frame.slice();
  new RouteDirection(c2r.key).maskWith(c2r.counter, sent, to);
  const delivered = sent.slice();
  new RouteDirection(c2r.key).unmaskWith(c2r.counter, delivered);
  new RouteDirection(r2c.key).maskWith(r2c.counter, delivered, from);
  return { sent, delivered };
}

interface Built {
  valid: object[];
  invalid: object[];
}

export async function peerCases(backend: CryptoBackend, p: Parties, s: Sessions): Promise<Built> {
  const valid: object[] = [];
  const invalid: object[] = [];
  const frames = new Map<string, { frame: Uint8Array; delivered: Uint8Array; envelope: Envelope; r2cCounter: number }>();

  const addValid = async (name: string, from: PartyName, to: PartyName, envelope: Envelope, c2rCounter: number, r2cCounter: number) => {
    const sender = p[from];
    const recipient = p[to];
    const nonce = fixed(`${name} nonce`, NONCE_SIZE);
    const frame = await sealPeer({ backend, sender, recipient, envelope, nonce });
    const c2r = { key: s[from]!.routeC2r, counter: c2rCounter };
    const r2c = { key: s[to]!.routeR2c, counter: r2cCounter };
    const { sent, delivered } = route(frame, c2r, recipient.id, r2c, sender.id);
    const pair = await derivePairKeys(backend, sender, recipient);
    const plain = encodeEnvelopePadded(envelope);
    frames.set(name, { frame, delivered, envelope, r2cCounter });
    valid.push({
      name,
      sender: from,
      recipient: to,
      sender_keys: { seed: hex(sender.seed), ...keysJson(sender) },
      recipient_keys: { seed: hex(recipient.seed), ...keysJson(recipient) },
      route: { c2r_key: hex(c2r.key), c2r_counter: c2rCounter, r2c_key: hex(r2c.key), r2c_counter: r2cCounter },
      nonce: hex(nonce),
      pair_key: hex(pair.pairKey),
      aead_key: hex(pair.sendKey),
      bind_key: hex(pair.sendBind),
      envelope: { hex: hex(plain), fields: jsonValue(envelope) },
      frame_sent: hex(sent),
      frame_delivered: hex(delivered),
    });
  };

  await addValid(
    'alice_to_bob_text',
    'alice',
    'bob',
    makeEnvelope({ type: MessageType.text, body: { text: 'Hello Bob, this is Alice.', replyTo: new Uint8Array(MSG_ID_SIZE) }, msgId: fixed('msg 1', MSG_ID_SIZE), sentAt: NOW }),
    0,
    0,
  );
  await addValid(
    'bob_to_alice_1k_text',
    'bob',
    'alice',
    makeEnvelope({ type: MessageType.text, body: { text: 'x'.repeat(600), replyTo: fixed('msg 1', MSG_ID_SIZE) }, msgId: fixed('msg 2', MSG_ID_SIZE), sentAt: NOW + 1000, flags: 1 }),
    3,
    5,
  );
  await addValid(
    'alice_to_bob_receipt',
    'alice',
    'bob',
    makeEnvelope({ type: MessageType.receipt, body: { status: ReceiptStatus.read, ids: [{ id: fixed('msg 2', MSG_ID_SIZE) }] }, msgId: fixed('msg 3', MSG_ID_SIZE), sentAt: NOW + 2000 }),
    1,
    1,
  );

  /** An invalid case: `delivered` is what reaches the recipient at r2c counter `counter`. */
  const addInvalid = (name: string, description: string, to: PartyName, contacts: PublicKeys[], delivered: Uint8Array, counter: number, error: string, stage: string, extra: object = {}) => {
    invalid.push({
      name,
      description,
      recipient: to,
      contacts: contacts.map(keysJson),
      r2c_key: hex(s[to]!.routeR2c),
      r2c_counter: counter,
      now: NOW,
      ...extra,
      frame_delivered: hex(delivered),
      error,
      stage,
    });
  };
  const base = frames.get('alice_to_bob_text')!;
  /** Alice's frame with its bytes changed, delivered to Bob at counter 0. */
  const redeliver = (frame: Uint8Array, to: PartyName = 'bob', from: Identity = p.alice, counter = 0) => {
    const d = frame.slice();
    new RouteDirection(s[to]!.routeR2c).maskWith(counter, d, from.id);
    return d;
  };
  const f = decodeFrame(base.frame);

  const badSig = f.sig.slice();
  badSig[10]! ^= 0x01;
  addInvalid('bad_signature', 'A signature bit flipped.', 'bob', [p.alice], redeliver(encodeFrame({ ...f, sig: badSig })), 0, 'BAD_SIGNATURE', 'signature');

  addInvalid('wrong_recipient', "Alice's frame for Bob, delivered by the relay to Carol as from Alice.", 'carol', [p.alice], redeliver(base.frame, 'carol'), 0, 'BAD_SIGNATURE', 'signature');

  addInvalid('reflected', "Alice's frame for Bob, delivered back to Alice as from Bob.", 'alice', [p.bob], redeliver(base.frame, 'alice', p.bob), 0, 'BAD_SIGNATURE', 'signature');

  addInvalid('replayed_verbatim', 'The delivered bytes of alice_to_bob_text received again at the next counter: the route no longer unmasks to Alice.', 'bob', [p.alice], base.delivered, 1, 'UNKNOWN_SENDER', 'route');

  addInvalid(
    'replayed',
    'alice_to_bob_text delivered again, correctly re-masked at counter 1: it verifies and decrypts; the replay window already holds its message id.',
    'bob',
    [p.alice],
    redeliver(base.frame, 'bob', p.alice, 1),
    1,
    'REPLAYED',
    'replay',
    { seen_msg_ids: [{ msg_id: hex(base.envelope.msgId), sent_at: base.envelope.sentAt }] },
  );

  addInvalid('truncated', 'The last byte removed: the payload is no longer a padded envelope.', 'bob', [p.alice], base.delivered.subarray(0, base.delivered.length - 1), 0, 'BAD_LENGTH', 'shape');

  const routeFlip = base.delivered.slice();
  routeFlip[0]! ^= 0x01;
  addInvalid('tampered_route', 'A route bit flipped in transit.', 'bob', [p.alice], routeFlip, 0, 'UNKNOWN_SENDER', 'route');

  const nonceFlip = base.delivered.slice();
  nonceFlip[FRAME_KIND_OFFSET - 1]! ^= 0x01;
  addInvalid('tampered_nonce', 'A nonce bit flipped in transit: the route keystream changes with it.', 'bob', [p.alice], nonceFlip, 0, 'UNKNOWN_SENDER', 'route');

  const kindFlip = base.delivered.slice();
  kindFlip[FRAME_KIND_OFFSET] = FrameKind.handshake;
  addInvalid('tampered_kind', 'The kind byte set to handshake after the handshake: caught before the route is unmasked.', 'bob', [p.alice], kindFlip, 0, 'BAD_KIND', 'frame');

  const payload = f.payload.slice();
  payload[payload.length - 20]! ^= 0x01;
  addInvalid('tampered_ciphertext', 'A ciphertext bit flipped (the signature covers the payload).', 'bob', [p.alice], redeliver(encodeFrame({ ...f, payload })), 0, 'BAD_SIGNATURE', 'signature');

  const mallorySig = await backend.ed25519Sign(p.mallory.edSeed, f.payload);
  addInvalid('signed_by_other', "Alice's frame re-signed by Mallory.", 'bob', [p.alice], redeliver(encodeFrame({ ...f, sig: mallorySig })), 0, 'BAD_SIGNATURE', 'signature');

  const L = ed25519.Point.Fn.ORDER;
  const malleable = f.sig.slice();
  malleable.set(numberToBytesLE(bytesToNumberLE(malleable.subarray(32)) + L, 32), 32);
  addInvalid('non_canonical_signature', 'S replaced by S + L (strict verification rejects it).', 'bob', [p.alice], redeliver(encodeFrame({ ...f, sig: malleable })), 0, 'BAD_SIGNATURE', 'signature');

  const future = makeEnvelope({ type: MessageType.typing, body: { active: 1 }, msgId: fixed('msg future', MSG_ID_SIZE), sentAt: NOW + 3_600_000 });
  const futureFrame = await sealPeer({ backend, sender: p.alice, recipient: p.bob, envelope: future, nonce: fixed('future nonce', NONCE_SIZE) });
  addInvalid('stale_future', 'sent_at one hour after the receiver\'s clock (beyond MAX_CLOCK_SKEW_MS).', 'bob', [p.alice], redeliver(futureFrame), 0, 'STALE', 'replay');

  // Alice signs a payload that is not the AEAD of anything under the pair key: the signature
  // verifies, decryption fails.
  const pair = await derivePairKeys(backend, p.alice, p.bob);
  const garbage = fixed('garbage payload', f.payload.length);
  const garbageSig = await backend.ed25519Sign(p.alice.edSeed, signatureMessagePeer(H, pair.sendBind, { senderX: p.alice.x, recipientX: p.bob.x, nonce: f.nonce, payload: garbage }));
  addInvalid('decrypt_failed', 'Alice signs a payload of the right length that is not a ciphertext under the pair key: the signature verifies, the AEAD does not open.', 'bob', [p.alice], redeliver(encodeFrame({ ...f, payload: garbage, sig: garbageSig })), 0, 'DECRYPT_FAILED', 'decrypt');

  // A text carrying two order extensions: opened and fresh, then rejected where the order is read.
  const epoch = fixed('peer order epoch', ORDER_EPOCH_SIZE);
  const twice = makeEnvelope({
    type: MessageType.text,
    body: { text: 'ordered twice', replyTo: new Uint8Array(MSG_ID_SIZE) },
    msgId: fixed('msg twice', MSG_ID_SIZE),
    sentAt: NOW,
    extensions: [1, 2].map((seq) => ({ tag: ExtensionTag.order, value: encodeOrderExtension({ epoch, seq }) })),
  });
  const twiceFrame = await sealPeer({ backend, sender: p.alice, recipient: p.bob, envelope: twice, nonce: fixed('twice nonce', NONCE_SIZE) });
  addInvalid('bad_message_order_repeated', 'A text with two order extensions: it verifies, decrypts and is fresh; reading its order fails (BAD_MESSAGE; a receiver records and acknowledges it, and drops it).', 'bob', [p.alice], redeliver(twiceFrame), 0, 'BAD_MESSAGE', 'order');

  return { valid, invalid };
}
