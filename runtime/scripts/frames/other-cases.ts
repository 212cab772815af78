/**
 * Control-frame and first-contact cases of frames.json.
 */
import {
  ControlType,
  Direction,
  KEY_SIZE,
  MessageType,
  NONCE_SIZE,
  TAG_SIZE,
  decodeFirstContact,
  decodeFrame,
  deriveGateTag,
  encodeFirstContact,
  encodeFrame,
  signatureMessageFirstContact,
  type ControlMessage,
} from '@parley/generated';
import { deriveKey, keyedHash, type CryptoBackend } from '../../src/crypto/index.ts';
import { sealControlFrame, type DirectionCode } from '../../src/protocol/control.ts';
import { encodeEnvelopePadded, makeEnvelope } from '../../src/protocol/envelope.ts';
import { createFirstContact } from '../../src/protocol/first-contact.ts';
import type { SessionKeys } from '../../src/protocol/handshake.ts';
import type { PublicKeys } from '../../src/protocol/identity.ts';
import { createInvite, encodeInviteBytes, inviteKeys, inviteLink, inviteUri } from '../../src/protocol/invite.ts';
import { derivePairKeys } from '../../src/protocol/pair.ts';
import { RouteDirection } from '../../src/protocol/route.ts';
import { NOW, fixed, hex, jsonValue, type Parties } from './fixtures.ts';
import { route, type Sessions } from './peer-cases.ts';

const keysJson = (k: PublicKeys) => ({ x25519: hex(k.x), ed25519: hex(k.ed) });

export async function controlCases(backend: CryptoBackend, p: Parties, s: Sessions): Promise<{ valid: object[]; invalid: object[] }> {
  const keys = s.alice!;
  const valid: object[] = [];
  const invalid: object[] = [];
  const one = async (name: string, direction: DirectionCode, counter: number, message: ControlMessage) => {
    const toRelay = direction === Direction.clientToRelay;
    const nonce = fixed(`${name} nonce`, NONCE_SIZE);
    const signerSeed = toRelay ? p.alice.edSeed : p.relay.edSeed;
    const frame = await sealControlFrame({ backend, keys, direction, counter, message, signerSeed, nonce });
    const routeKey = toRelay ? keys.routeC2r : keys.routeR2c;
    const sent = frame.slice();
    new RouteDirection(routeKey).maskWith(counter, sent, null);
    valid.push({
      name,
      client: 'alice',
      client_seed: hex(p.alice.seed),
      relay_seed: hex(p.relay.seed),
      direction: toRelay ? 'client_to_relay' : 'relay_to_client',
      counter,
      nonce: hex(nonce),
      route_key: hex(routeKey),
      control_key: hex(toRelay ? keys.controlC2r : keys.controlR2c),
      control_bind: hex(keys.controlBind),
      message: jsonValue(message),
      frame: hex(sent),
    });
    return { frame, sent, routeKey };
  };
  const up = await one('register_wake', Direction.clientToRelay, 0, { type: ControlType.registerWake, body: { tag: fixed('wake tag', 16) } });
  await one('mailbox_drained', Direction.relayToClient, 2, { type: ControlType.mailboxDrained, body: { delivered: 2 } });

  // The client's frame opened at another counter, or reflected back to the client.
  const again = up.frame.slice();
  new RouteDirection(keys.routeC2r).maskWith(1, again, null);
  invalid.push({ name: 'control_replayed', description: 'register_wake presented again at counter 1 (the relay unmasks it to id 0; the counter is in the signed bytes).', client: 'alice', direction: 'client_to_relay', counter: 1, route_key: hex(keys.routeC2r), frame: hex(again), error: 'BAD_SIGNATURE' });
  const reflected = up.frame.slice();
  new RouteDirection(keys.routeR2c).maskWith(0, reflected, null);
  invalid.push({ name: 'control_reflected', description: "The client's register_wake sent back to it by the relay (direction relay_to_client, counter 0).", client: 'alice', direction: 'relay_to_client', counter: 0, route_key: hex(keys.routeR2c), frame: hex(reflected), error: 'BAD_SIGNATURE' });
  // A control payload shorter than the AEAD of the smallest control message (kinds.control.length).
  const short = decodeFrame(up.frame);
  const shortFrame = encodeFrame({ ...short, payload: short.payload.subarray(0, TAG_SIZE) });
  new RouteDirection(keys.routeC2r).maskWith(0, shortFrame, null);
  invalid.push({ name: 'control_too_short', description: 'register_wake cut to a TAG_SIZE-byte payload: below the smallest control payload (BAD_LENGTH, before the signature).', client: 'alice', direction: 'client_to_relay', counter: 0, route_key: hex(keys.routeC2r), frame: hex(shortFrame), error: 'BAD_LENGTH' });
  return { valid, invalid };
}

/**
 * The step of the receive order each invalid first contact fails at: shape (kinds.first_contact.length,
 * receive_order step 3, before the invite lookup) or a stage of first_contact_order.
 */
const FIRST_CONTACT_STAGE: Readonly<Record<string, string>> = {
  payload_too_short: 'shape',
  request_not_a_bucket: 'shape',
  used_single_use_invite: 'invite',
  without_invite_secret: 'gate',
  low_order_ephemeral: 'statics',
  wrong_route: 'sender',
  key_conflict: 'conflict',
  bad_signature: 'signature',
  decrypt_failed: 'request',
  bad_message_not_a_request: 'request',
};

export async function firstContactCases(backend: CryptoBackend, p: Parties, s: Sessions): Promise<{ valid: object[]; invalid: object[] }> {
  const invite = createInvite({
    owner: p.bob,
    relay: { x: p.relay.x, ed: p.relay.ed, url: 'wss://relay.example/' },
    name: 'Bob',
    maxUses: 1,
    now: () => NOW,
    random: (n) => fixed('invite secret', n),
  });
  const ik = inviteKeys(invite.secret);
  const envelope = makeEnvelope({ type: MessageType.contactRequest, body: { name: 'Alice', versions: [1], note: 'Hi Bob, we met at the conference.' }, msgId: fixed('fc msg', 16), sentAt: NOW });
  const ephemeralSecret = fixed('fc e_A', KEY_SIZE);
  const nonce = fixed('fc nonce', NONCE_SIZE);
  const frame = await createFirstContact({ backend, sender: p.alice, invite, envelope, ephemeralSecret, nonce });
  const c2r = { key: s.alice!.routeC2r, counter: 2 };
  const r2c = { key: s.bob!.routeR2c, counter: 3 };
  const { sent, delivered } = route(frame, c2r, p.bob.id, r2c, p.alice.id);
  const pair = await derivePairKeys(backend, p.alice, p.bob);
  const fc = decodeFirstContact(decodeFrame(frame).payload);
  const valid = [
    {
      name: 'alice_requests_bob',
      sender: 'alice',
      recipient: 'bob',
      sender_keys: { seed: hex(p.alice.seed), ...keysJson(p.alice) },
      recipient_keys: { seed: hex(p.bob.seed), ...keysJson(p.bob) },
      invite: { hex: hex(encodeInviteBytes(invite)), link: inviteLink('https://parley.example/', invite), uri: inviteUri(invite), fields: jsonValue(invite) },
      invite_keys: { invite_id: hex(ik.inviteId), gate_key: hex(ik.gateKey), psk: hex(ik.psk) },
      ephemeral_secret: hex(ephemeralSecret),
      sender_ephemeral: hex(fc.senderEphemeral),
      nonce: hex(nonce),
      gate_tag: hex(fc.gateTag),
      pair_key: hex(pair.pairKey),
      route: { c2r_key: hex(c2r.key), c2r_counter: c2r.counter, r2c_key: hex(r2c.key), r2c_counter: r2c.counter },
      envelope: { hex: hex(encodeEnvelopePadded(envelope)), fields: jsonValue(envelope) },
      frame_sent: hex(sent),
      frame_delivered: hex(delivered),
    },
  ];

  const invalid: object[] = [];
  const add = (name: string, description: string, f: Uint8Array, from: Uint8Array, error: string, extra: object = {}) => {
    const d = f.slice();
    new RouteDirection(r2c.key).maskWith(r2c.counter, d, from);
    const stage = FIRST_CONTACT_STAGE[name];
    if (stage === undefined) throw new Error(`frames.json: first_contact.invalid ${name} has no stage`);
    invalid.push({ name, description, recipient: 'bob', invite_uses: 0, contacts_with_id: [], r2c_key: hex(r2c.key), r2c_counter: r2c.counter, now: NOW, ...extra, frame_delivered: hex(d), error, stage });
  };
  // Mallory holds the invite id (it is in the clear) but not the secret.
  const guessed = await createFirstContact({ backend, sender: p.mallory, invite: { ...invite, secret: fixed('guessed secret', 16) }, envelope, ephemeralSecret, nonce });
  const gf = decodeFrame(guessed);
  const gfc = decodeFirstContact(gf.payload);
  add('without_invite_secret', "Mallory's request with the invite's id and a guessed secret: the gate tag fails, before any curve operation.", encodeFrame({ ...gf, payload: encodeFirstContact({ ...gfc, inviteId: ik.inviteId }) }), p.mallory.id, 'GATE_FAILED');
  add('used_single_use_invite', 'alice_requests_bob again after the single-use invite was used once.', frame, p.alice.id, 'BAD_INVITE', { invite_uses: 1 });
  // An attacker holding the secret sends a low-order ephemeral (the gate tag is recomputed).
  const f = decodeFrame(frame);
  const lowE = new Uint8Array(KEY_SIZE);
  const parts = { nonce: f.nonce, inviteId: fc.inviteId, senderEphemeral: lowE, statics: fc.statics, request: fc.request };
  const lowFc = encodeFirstContact({ ...fc, senderEphemeral: lowE, gateTag: deriveGateTag({ deriveKey, keyedHash }, ik.gateKey, parts) });
  add('low_order_ephemeral', 'E_A = 0 (low order) with a valid gate tag: rejected at the first curve operation.', encodeFrame({ ...f, payload: lowFc }), p.alice.id, 'BAD_KEY');
  add('wrong_route', 'alice_requests_bob delivered with Carol as the sender id.', frame, p.carol.id, 'UNKNOWN_SENDER');
  add('payload_too_short', 'A first-contact payload of 100 bytes: it does not decode as struct first_contact (BAD_LENGTH).', encodeFrame({ ...f, payload: f.payload.subarray(0, 100) }), p.alice.id, 'BAD_LENGTH');
  add('request_not_a_bucket', 'alice_requests_bob with one byte more in request: not a padded envelope plus the tag (BAD_LENGTH, before the invite is looked up).', encodeFrame({ ...f, payload: Uint8Array.of(...f.payload, 0) }), p.alice.id, 'BAD_LENGTH');
  const sigFlip = f.sig.slice();
  sigFlip[5]! ^= 0x01;
  add('bad_signature', 'alice_requests_bob with a signature bit flipped: the gate tag and statics pass (they do not cover the signature), the signature does not.', encodeFrame({ ...f, sig: sigFlip }), p.alice.id, 'BAD_SIGNATURE');
  // Alice holds the invite's secret: a request that is not a ciphertext under k_fc_request, with a
  // valid gate tag, valid statics and her valid signature.
  const garbage = fixed('fc garbage request', fc.request.length);
  const gParts = { nonce: f.nonce, inviteId: fc.inviteId, senderEphemeral: fc.senderEphemeral, statics: fc.statics, request: garbage };
  const gPayload = encodeFirstContact({ ...fc, request: garbage, gateTag: deriveGateTag({ deriveKey, keyedHash }, ik.gateKey, gParts) });
  const gSig = await backend.ed25519Sign(p.alice.edSeed, signatureMessageFirstContact({ deriveKey, keyedHash }, pair.sendBind, { senderX: p.alice.x, recipientX: p.bob.x, nonce: f.nonce, payload: gPayload }));
  add('decrypt_failed', "Alice, holding the invite's secret, sends a request that is not a ciphertext under k_fc_request (gate tag, statics and signature valid).", encodeFrame({ ...f, payload: gPayload, sig: gSig }), p.alice.id, 'DECRYPT_FAILED');
  const text = makeEnvelope({ type: MessageType.text, body: { text: 'Hi Bob', replyTo: new Uint8Array(16) }, msgId: fixed('fc text msg', 16), sentAt: NOW });
  const notRequest = await createFirstContact({ backend, sender: p.alice, invite, envelope: encodeEnvelopePadded(text), ephemeralSecret, nonce });
  add('bad_message_not_a_request', 'A well-formed first contact from Alice whose envelope is a text, not a contact_request.', notRequest, p.alice.id, 'BAD_MESSAGE');
  add('key_conflict', "Bob already has a contact with Alice's id and other keys.", frame, p.alice.id, 'KEY_CONFLICT', {
    contacts_with_id: [keysJson({ x: Uint8Array.of(...p.alice.id, ...p.carol.x.subarray(p.alice.id.length)), ed: p.carol.ed })],
  });
  return { valid, invalid };
}
