/**
 * Cases of frames.json for the spec's acceptance rules and derived values: X25519 keys and
 * Ed25519 signatures (rules.x25519_keys, rules.ed25519_signatures), the replay window
 * (rules.replay_window), invites that verify and the expiry boundary (rules.invite_expiry),
 * the relay fingerprint, safety numbers, file digests and the order extension.
 *
 * Derived values are computed here through the generated derivations (@parley/generated), not
 * through the runtime functions the tests check them with.
 */
import {
  CHECKSUM_SIZE,
  Contexts,
  ExtensionTag,
  KEY_SIZE,
  MAX_CLOCK_SKEW_MS,
  MSG_ID_SIZE,
  MessageType,
  ORDER_EPOCH_SIZE,
  RELAY_FINGERPRINT_GROUP_BYTES,
  REPLAY_MAX_IDS,
  REPLAY_WINDOW_MS,
  SAFETY_NUMBER_GROUP_BYTES,
  SAFETY_NUMBER_GROUP_DIGITS,
  PROTOCOL_VERSION,
  deriveFileDigest,
  deriveRelayFingerprint,
  deriveSafetyFingerprint,
  deriveSafetyNumber,
  encodeOrderExtension,
  encodeSafetyQr,
  type Envelope,
} from '@parley/generated';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { deriveKey, keyedHash, utf8, type CryptoBackend } from '../../src/crypto/index.ts';
import { encodeEnvelopePadded, makeEnvelope } from '../../src/protocol/envelope.ts';
import type { PublicKeys } from '../../src/protocol/identity.ts';
import { INVITE_LINK_FRAGMENT, INVITE_URI_PREFIX, createInvite, encodeInviteBytes, inviteKeys, inviteLink, inviteUri } from '../../src/protocol/invite.ts';
import { createInviteV2, encodeInviteV2Bytes, inviteV2ToText } from '../../src/protocol/ratchet/invite-v2.ts';
import { NOW, fixed, hex, jsonValue, type Parties } from './fixtures.ts';

const H = { deriveKey, keyedHash };
const P = (1n << 255n) - 19n;
const L = ed25519.Point.Fn.ORDER;
const le32 = (n: bigint) => numberToBytesLE(n, 32);

/** The five u of order dividing 8 on Curve25519 and its twist (rules.x25519_keys). */
const LOW_ORDER_U: [string, string][] = [
  ['u_0', '0000000000000000000000000000000000000000000000000000000000000000'],
  ['u_1', '0100000000000000000000000000000000000000000000000000000000000000'],
  ['u_p_minus_1', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
  ['u_order_8_a', 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'],
  ['u_order_8_b', '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'],
];

/** Encodings of small-order Edwards points (y; the sign bit clear unless said). */
const SMALL_ORDER_Y = {
  identity: '0100000000000000000000000000000000000000000000000000000000000000',
  order_2: 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  order_4: '0000000000000000000000000000000000000000000000000000000000000000',
  order_8: 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
};

export async function keyCases(backend: CryptoBackend, p: Parties): Promise<object> {
  const me = p.alice;
  const x25519: object[] = [];
  const addX = async (name: string, description: string, key: Uint8Array, error: 'NON_CANONICAL' | 'LOW_ORDER' | null) => {
    const shared = error === null ? hex(await backend.x25519(me.xSecret, key)) : undefined;
    x25519.push({ name, description, public_key: hex(key), ...(error === null ? { accepted: true, shared } : { accepted: false, reason: error, error: 'BAD_KEY' }) });
  };
  await addX('valid_bob', "Bob's X25519 key: accepted; shared is X(alice's secret, it).", p.bob.x, null);
  const twist = le32(2n); // u = 2 lies on the twist, and its order is large
  await addX('valid_twist_point', 'u = 2, a point of large order on the twist: accepted (X25519 is twist-secure).', twist, null);
  for (const [name, u] of LOW_ORDER_U) await addX(`low_order_${name}`, `u of order dividing 8 (${name.slice(2).replace(/_/g, ' ')}).`, Uint8Array.from(Buffer.from(u, 'hex')), 'LOW_ORDER');
  await addX('non_canonical_p', 'u = p: not below p (RFC 7748 would reduce it to 0).', le32(P), 'NON_CANONICAL');
  await addX('non_canonical_p_plus_9', "u = p + 9: not below p (RFC 7748 would reduce it to the base point's u = 9).", le32(P + 9n), 'NON_CANONICAL');
  const high = p.bob.x.slice();
  high[31]! |= 0x80;
  await addX('non_canonical_bit_255', "Bob's key with bit 255 set (RFC 7748 would mask it and accept).", high, 'NON_CANONICAL');
  await addX('non_canonical_all_ones', 'All 256 bits set.', new Uint8Array(KEY_SIZE).fill(0xff), 'NON_CANONICAL');

  const message = utf8('parley frames.json ed25519 message');
  const sig = await backend.ed25519Sign(me.edSeed, message);
  const ed: object[] = [];
  const addE = (name: string, description: string, publicKey: Uint8Array, signature: Uint8Array, valid: boolean, keyAcceptable: boolean, signed = message) => {
    ed.push({ name, description, public_key: hex(publicKey), message: hex(signed), signature: hex(signature), valid, key_acceptable: keyAcceptable });
  };
  const b = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
  const withR = (r: Uint8Array) => Uint8Array.of(...r, ...sig.subarray(32));
  const withS = (s: bigint) => Uint8Array.of(...sig.subarray(0, 32), ...le32(s));
  const S = bytesToNumberLE(sig.subarray(32));
  addE('valid', "Alice's signature of message: verifies.", me.ed, sig, true, true);
  addE('s_plus_l', 'S replaced by S + L: the same point equation holds, but S >= L is rejected.', me.ed, withS(S + L), false, true);
  addE('s_equal_l', 'S = L.', me.ed, withS(L), false, true);
  addE('s_all_ones', 'S = 2^256 - 1 (no reduction mod L).', me.ed, Uint8Array.of(...sig.subarray(0, 32), ...new Uint8Array(32).fill(0xff)), false, true);
  addE('a_identity', 'A = the identity, R = the identity, S = 0: every message "verifies" under lenient rules; A is of small order.', b(SMALL_ORDER_Y.identity), Uint8Array.of(...b(SMALL_ORDER_Y.identity), ...new Uint8Array(32)), false, false);
  addE('a_order_8', 'A of order 8, R = the identity, S = 0: the cofactored equation holds for any message; A is of small order.', b(SMALL_ORDER_Y.order_8), Uint8Array.of(...b(SMALL_ORDER_Y.identity), ...new Uint8Array(32)), false, false);
  addE('a_order_2', 'A of order 2 (y = p - 1).', b(SMALL_ORDER_Y.order_2), sig, false, false);
  addE('a_order_4', 'A of order 4 (y = 0).', b(SMALL_ORDER_Y.order_4), sig, false, false);
  const yP = le32(P);
  addE('a_non_canonical_y_p', 'A encoded with y = p (not below p; reduces to y = 0).', yP, sig, false, false);
  const yP1 = le32(P + 1n);
  addE('a_non_canonical_y_p_plus_1', 'A encoded with y = p + 1 (reduces to the identity).', yP1, sig, false, false);
  const aSign = b(SMALL_ORDER_Y.identity);
  aSign[31]! |= 0x80;
  addE('a_identity_sign_bit', 'A = y 1 with the sign bit set ("x = 0, negative"): small order and not a canonical encoding.', aSign, sig, false, false);
  addE('r_order_8', "Alice's key, R of order 8.", me.ed, withR(b(SMALL_ORDER_Y.order_8)), false, true);
  addE('r_identity', "Alice's key, R = the identity.", me.ed, withR(b(SMALL_ORDER_Y.identity)), false, true);
  addE('r_non_canonical', "Alice's key, R with y = p + 1.", me.ed, withR(yP1), false, true);
  const flipped = sig.slice();
  flipped[0]! ^= 0x01;
  addE('r_tampered', "Alice's signature with a bit of R flipped.", me.ed, flipped, false, true);
  addE('other_key', "Alice's signature checked with Bob's key.", p.bob.ed, sig, false, true);
  mixedOrderCases(me.edSeed, addE);
  return { x25519_secret: hex(me.xSecret), x25519, ed25519: ed };
}

/**
 * Cases that tell the cofactorless equation from the cofactored one (rules.ed25519_signatures),
 * with T a point of order 8 and a Alice's secret scalar: R = rB + T under her key (the cofactored
 * equation holds, the cofactorless one never), and her signatures under the mixed-order key
 * A' = aB + T, which pass the key rules: they verify exactly when k = SHA-512(R || A' || M) mod L
 * is a multiple of 8, so that [k]T = 0.
 */
function mixedOrderCases(
  edSeed: Uint8Array,
  addE: (name: string, description: string, publicKey: Uint8Array, signature: Uint8Array, valid: boolean, keyAcceptable: boolean, signed: Uint8Array) => void,
): void {
  const Pt = ed25519.Point;
  const T = Pt.fromBytes(Uint8Array.from(Buffer.from(SMALL_ORDER_Y.order_8, 'hex')));
  const a = ed25519.utils.getExtendedPublicKey(edSeed).scalar;
  const k = (R: Uint8Array, A: Uint8Array, m: Uint8Array) => Pt.Fn.create(bytesToNumberLE(sha512(Uint8Array.of(...R, ...A, ...m))));
  const sign = (A: Uint8Array, r: bigint, R: Uint8Array, m: Uint8Array) => Uint8Array.of(...R, ...le32(Pt.Fn.create(r + k(R, A, m) * a)));
  const honestA = Pt.BASE.multiply(a).toBytes();
  const mixedA = Pt.BASE.multiply(a).add(T).toBytes();
  const nonce = (label: string) => Pt.Fn.create(bytesToNumberLE(fixed(`ed25519 mixed-order ${label}`, 64))) || 1n;

  const m0 = utf8('parley rules.json ed25519 R with torsion');
  const r0 = nonce('r');
  addE('r_with_torsion', "Alice's key, R = rB + T with T of order 8 and S = r + k a: the cofactored equation holds, the cofactorless one does not.", honestA, sign(honestA, r0, Pt.BASE.multiply(r0).add(T).toBytes(), m0), false, true, m0);

  let found = { zero: false, other: false };
  for (let i = 0; i < 256 && !(found.zero && found.other); i++) {
    const m = utf8(`parley rules.json ed25519 mixed-order key ${i}`);
    const r = nonce(String(i));
    const R = Pt.BASE.multiply(r).toBytes();
    const multiple = k(R, mixedA, m) % 8n === 0n;
    if (multiple ? found.zero : found.other) continue;
    found = { ...found, [multiple ? 'zero' : 'other']: true };
    addE(
      multiple ? 'mixed_order_key_k_multiple_of_8' : 'mixed_order_key_k_not_multiple_of_8',
      `The mixed-order key A' = aB + T (it passes the key rules), signed with a: k mod 8 = ${k(R, mixedA, m) % 8n}, so [k]T ${multiple ? 'vanishes and the cofactorless equation holds' : 'does not vanish: the cofactorless equation fails (the cofactored one would hold)'}.`,
      mixedA,
      sign(mixedA, r, R, m),
      multiple,
      true,
      m,
    );
  }
  if (!(found.zero && found.other)) throw new Error('rules.json: no mixed-order key case of each kind in 256 messages');
}

/** Replay-window cases: a window state, then checks in order, each with its result and the floor after it. */
export function replayCases(): object[] {
  const id = (label: string) => hex(fixed(`replay ${label}`, MSG_ID_SIZE));
  const W = REPLAY_WINDOW_MS;
  const S = MAX_CLOCK_SKEW_MS;
  const base = { window_ms: W, max_skew_ms: S, max_ids: REPLAY_MAX_IDS };
  type Step = { msg_id: string; sent_at: number; now: number; result: 'fresh' | 'duplicate' | 'STALE' | 'REPLAYED'; floor_after: number };
  const c = (name: string, description: string, floor: number, seen: [string, number][], steps: Step[], over: object = {}) => ({
    name,
    description,
    ...base,
    ...over,
    window: { floor, ids: seen.map(([msg_id, sent_at]) => ({ msg_id, sent_at })) },
    steps,
  });
  return [
    c('future_boundary', 'sent_at = now + MAX_CLOCK_SKEW_MS is accepted; one ms later is STALE.', 0, [], [
      { msg_id: id('f1'), sent_at: NOW + S, now: NOW, result: 'fresh', floor_after: 0 },
      { msg_id: id('f2'), sent_at: NOW + S + 1, now: NOW, result: 'STALE', floor_after: 0 },
    ]),
    c('window_boundary', 'sent_at = now - REPLAY_WINDOW_MS is accepted; one ms earlier is STALE.', 0, [], [
      { msg_id: id('w1'), sent_at: NOW - W, now: NOW, result: 'fresh', floor_after: 0 },
      { msg_id: id('w2'), sent_at: NOW - W - 1, now: NOW, result: 'STALE', floor_after: 0 },
    ]),
    c('duplicate', 'A remembered id again, with the same or another timestamp: a duplicate (acknowledged again, not shown; REPLAYED to a conformance run).', 0, [[id('d1'), NOW - 5000]], [
      { msg_id: id('d1'), sent_at: NOW - 5000, now: NOW, result: 'duplicate', floor_after: 0 },
      { msg_id: id('d1'), sent_at: NOW - 4000, now: NOW, result: 'duplicate', floor_after: 0 },
    ]),
    c('floor_boundary', 'A window whose floor is now - 1000: sent_at = floor is accepted, floor - 1 is REPLAYED (a new id: the floor stands for evicted ones).', NOW - 1000, [], [
      { msg_id: id('b1'), sent_at: NOW - 1001, now: NOW, result: 'REPLAYED', floor_after: NOW - 1000 },
      { msg_id: id('b2'), sent_at: NOW - 1000, now: NOW, result: 'fresh', floor_after: NOW - 1000 },
    ]),
    c('stale_before_replayed', 'A timestamp below both the window and the floor is STALE: the window is checked first.', NOW - 1000, [], [
      { msg_id: id('s1'), sent_at: NOW - W - 1, now: NOW, result: 'STALE', floor_after: NOW - 1000 },
    ]),
    c(
      'eviction_raises_the_floor',
      'With a cap of 3 ids (max_ids; REPLAY_MAX_IDS in the protocol, 3 here so the case stays small): the fourth id evicts the oldest and the floor rises to its sent_at + 1; an evicted id, and any new id below the floor, is then REPLAYED. A fresh id that is itself the oldest is evicted at once (last step).',
      0,
      [[id('e1'), NOW - 300], [id('e2'), NOW - 200], [id('e3'), NOW - 100]],
      [
        { msg_id: id('e4'), sent_at: NOW - 50, now: NOW, result: 'fresh', floor_after: NOW - 299 },
        { msg_id: id('e1'), sent_at: NOW - 300, now: NOW, result: 'REPLAYED', floor_after: NOW - 299 },
        { msg_id: id('e5'), sent_at: NOW - 150, now: NOW, result: 'fresh', floor_after: NOW - 199 },
        { msg_id: id('e6'), sent_at: NOW - 250, now: NOW, result: 'REPLAYED', floor_after: NOW - 199 },
        { msg_id: id('e7'), sent_at: NOW - 199, now: NOW, result: 'fresh', floor_after: NOW - 198 },
      ],
      { max_ids: 3 },
    ),
  ];
}

/** Invites that verify (a real checksum, an expiry far in the future) and ones that do not. */
export function inviteCases(p: Parties): object {
  const FAR = 4_102_444_800; // 2100-01-01T00:00:00Z, in seconds
  const make = (label: string, maxUses: number, name: string, expiresAt: number) => {
    const inv = createInvite({
      owner: p.bob,
      relay: { x: p.relay.x, ed: p.relay.ed, url: 'wss://relay.example/' },
      name,
      maxUses,
      now: () => NOW,
      random: (n) => fixed(`invite ${label} secret`, n),
    });
    const invite = { ...inv, expiresAt };
    const bytes = encodeInviteBytes(invite);
    const ik = inviteKeys(invite.secret);
    return {
      invite,
      bytes,
      json: {
        hex: hex(bytes),
        link: inviteLink('https://parley.example/', invite),
        uri: inviteUri(invite),
        fields: jsonValue({ ...invite, checksum: bytes.subarray(bytes.length - CHECKSUM_SIZE) }),
        checksum_input: hex(bytes.subarray(0, bytes.length - CHECKSUM_SIZE)),
        invite_keys: { invite_id: hex(ik.inviteId), gate_key: hex(ik.gateKey), psk: hex(ik.psk) },
      },
    };
  };
  const single = make('single', 1, 'Bob', FAR);
  const multi = make('multi', 1000, 'Bob (group invite)', FAR);
  // A v2 invite (structs.invite_v2): the same checksum derivation over its own bytes.
  const ephemeral = x25519.getPublicKey(fixed('invite v2 ephemeral secret', KEY_SIZE));
  const v2 = { ...createInviteV2({ owner: p.bob, relay: { x: p.relay.x, ed: p.relay.ed, url: 'wss://relay.example/' }, name: 'Bob', maxUses: 1, now: () => NOW, random: (n) => fixed('invite v2 secret', n), ephemeral }), expiresAt: FAR };
  const v2Bytes = encodeInviteV2Bytes(v2);
  const v2Text = inviteV2ToText(v2);
  const v2Keys = inviteKeys(v2.secret);
  const valid = [
    { name: 'single_use_until_2100', struct: 'invite', description: 'A single-use invite of Bob\'s with expires_at 4102444800 (2100-01-01T00:00:00Z): accepted at any clock before 4102444801000 ms.', ...single.json },
    { name: 'multi_use_until_2100', struct: 'invite', description: 'A 1000-use invite of Bob\'s with the same expiry.', ...multi.json },
    {
      name: 'v2_single_use_until_2100',
      struct: 'invite_v2',
      description: 'A single-use v2 invite (structs.invite_v2, first byte SESSION_VERSION) of Bob\'s with the same expiry; owner_ephemeral is the X25519 key of a fixed secret.',
      hex: hex(v2Bytes),
      link: `https://parley.example/${INVITE_LINK_FRAGMENT}${v2Text}`,
      uri: INVITE_URI_PREFIX + v2Text,
      fields: jsonValue({ ...v2, checksum: v2Bytes.subarray(v2Bytes.length - CHECKSUM_SIZE) }),
      checksum_input: hex(v2Bytes.subarray(0, v2Bytes.length - CHECKSUM_SIZE)),
      invite_keys: { invite_id: hex(v2Keys.inviteId), gate_key: hex(v2Keys.gateKey), psk: hex(v2Keys.psk) },
    },
  ];
  const bad = single.bytes.slice();
  bad[bad.length - 1]! ^= 0x01;
  const flipped = single.bytes.slice();
  flipped[1]! ^= 0x01;
  // The checksum as a reader who skipped the region's u32 length prefix would compute it.
  const unprefixed = single.bytes.slice();
  unprefixed.set(deriveKey(Contexts.inviteChecksum, unprefixed.subarray(0, unprefixed.length - CHECKSUM_SIZE), CHECKSUM_SIZE), unprefixed.length - CHECKSUM_SIZE);
  const badV2 = v2Bytes.slice();
  badV2[badV2.length - 1]! ^= 0x01;
  const E = NOW / 1000;
  const edge = make('edge', 1, 'Bob', E);
  const invalid = [
    { name: 'checksum_flipped', description: 'single_use_until_2100 with a checksum bit flipped.', hex: hex(bad), now: NOW, error: 'BAD_INVITE', reason: 'CHECKSUM' },
    { name: 'body_flipped', description: 'single_use_until_2100 with a bit of owner_x flipped: the checksum no longer matches.', hex: hex(flipped), now: NOW, error: 'BAD_INVITE', reason: 'CHECKSUM' },
    { name: 'checksum_without_length_prefix', description: 'single_use_until_2100 with its checksum computed over the bytes before it without the u32 length prefix of region invite_checksum_input: not the checksum.', hex: hex(unprefixed), now: NOW, error: 'BAD_INVITE', reason: 'CHECKSUM' },
    { name: 'v2_checksum_flipped', description: 'v2_single_use_until_2100 with a checksum bit flipped.', hex: hex(badV2), now: NOW, error: 'BAD_INVITE', reason: 'CHECKSUM' },
  ];
  const expiry = {
    description: `An invite with expires_at = ${E} (seconds): accepted through the whole second ${E}, refused from (${E} + 1) * 1000 ms on.`,
    hex: edge.json.hex,
    fields: edge.json.fields,
    expires_at: E,
    checks: [
      { now: E * 1000, result: 'ok' },
      { now: E * 1000 + 999, result: 'ok' },
      { now: (E + 1) * 1000, result: 'BAD_INVITE', reason: 'EXPIRED' },
    ],
  };
  return { valid, invalid, expiry };
}

const groupsOf = (h: string, width: number) => h.match(new RegExp(`.{1,${width}}`, 'g'))!;

/** The relay fingerprint, safety numbers with their QR form, and file digests. */
export function derivedCases(p: Parties): object {
  const relayFp = deriveRelayFingerprint(H, { relayX: p.relay.x, relayEd: p.relay.ed });
  const safety = (a: PublicKeys, b: PublicKeys) => {
    const [lo, hi] = Buffer.compare(a.x, b.x) < 0 ? [a, b] : [b, a];
    const parts = { loX: lo.x, loEd: lo.ed, hiX: hi.x, hiEd: hi.ed };
    const bytes = deriveSafetyNumber(H, parts);
    const groups: string[] = [];
    for (let i = 0; i < bytes.length; i += SAFETY_NUMBER_GROUP_BYTES) {
      const n = bytesToNumberLE(bytes.subarray(i, i + SAFETY_NUMBER_GROUP_BYTES)) % 10n ** BigInt(SAFETY_NUMBER_GROUP_DIGITS);
      groups.push(n.toString().padStart(SAFETY_NUMBER_GROUP_DIGITS, '0'));
    }
    const fingerprint = deriveSafetyFingerprint(H, parts);
    return { bytes: hex(bytes), number: groups.join(' '), fingerprint: hex(fingerprint), qr: hex(encodeSafetyQr({ version: PROTOCOL_VERSION, fingerprint })) };
  };
  const keys = (k: PublicKeys) => ({ x25519: hex(k.x), ed25519: hex(k.ed) });
  const content = (n: number, label: string) => {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += 32) out.set(fixed(`${label} ${at}`, Math.min(32, n - at)), at);
    return out;
  };
  const file = (name: string, description: string, bytes: Uint8Array) => ({ name, description, size: bytes.length, content: hex(bytes), digest: hex(deriveFileDigest(H, { content: bytes })) });
  return {
    relay_fingerprint: [
      { name: 'relay', relay_x: hex(p.relay.x), relay_ed: hex(p.relay.ed), bytes: hex(relayFp), text: groupsOf(hex(relayFp), RELAY_FINGERPRINT_GROUP_BYTES * 2).join('-') },
    ],
    safety_number: [
      { name: 'alice_bob', a: keys(p.alice), b: keys(p.bob), ...safety(p.alice, p.bob) },
      { name: 'bob_carol', a: keys(p.bob), b: keys(p.carol), ...safety(p.bob, p.carol) },
    ],
    file_digest: [
      file('empty', 'An empty file.', new Uint8Array(0)),
      file('hello', 'The 5 bytes "hello".', utf8('hello')),
      file('one_chunk_of_blake3', 'Exactly 1024 bytes: one BLAKE3 chunk.', content(1024, 'file a')),
      file('three_blake3_chunks', '3000 bytes: a BLAKE3 tree of three chunks.', content(3000, 'file b')),
    ],
  };
}

/** Envelopes carrying the order extension, and malformed ones a receiver rejects (BAD_MESSAGE). */
export function orderCases(): object {
  const epoch = fixed('order epoch', ORDER_EPOCH_SIZE);
  const ext = (seq: number) => ({ tag: ExtensionTag.order, value: encodeOrderExtension({ epoch, seq }) });
  const env = (label: string, extensions: { tag: number; value: Uint8Array }[], typing = false): Envelope => {
    const common = { msgId: fixed(`order ${label}`, MSG_ID_SIZE), sentAt: NOW, extensions };
    return typing
      ? makeEnvelope({ type: MessageType.typing, body: { active: 1 }, ...common })
      : makeEnvelope({ type: MessageType.text, body: { text: `ordered ${label}`, replyTo: new Uint8Array(MSG_ID_SIZE) }, ...common });
  };
  const valid = (name: string, description: string, e: Envelope, mark: { epoch: string; seq: number } | null) => ({ name, description, envelope: { hex: hex(encodeEnvelopePadded(e)), fields: jsonValue(e) }, order: mark });
  const invalid = (name: string, description: string, e: Envelope) => ({ name, description, envelope: { hex: hex(encodeEnvelopePadded(e)), fields: jsonValue(e) }, error: 'BAD_MESSAGE' });
  return {
    valid: [
      valid('text_seq_1', 'A text, first ordered message of its epoch.', env('1', [ext(1)]), { epoch: hex(epoch), seq: 1 }),
      valid('text_seq_2_with_unknown_extension', 'The second, beside an extension of an unregistered tag (ignored).', env('2', [{ tag: 0x7fff, value: Uint8Array.of(1, 2, 3) }, ext(2)]), { epoch: hex(epoch), seq: 2 }),
      valid('typing_ignores_order', 'An order extension on typing (not an ordered type): ignored, even malformed.', env('typing', [{ tag: ExtensionTag.order, value: Uint8Array.of(1) }], true), null),
      valid('text_without_order', 'A text without the extension: acted on as it comes.', env('plain', []), null),
    ],
    invalid: [
      invalid('two_order_extensions', 'Two order extensions on one text.', env('twice', [ext(3), ext(4)])),
      invalid('short_value', 'An order value one byte short.', env('short', [{ tag: ExtensionTag.order, value: encodeOrderExtension({ epoch, seq: 5 }).subarray(0, 15) }])),
      invalid('seq_zero', 'seq 0 (numbers start at 1).', env('zero', [{ tag: ExtensionTag.order, value: Uint8Array.of(...epoch, 0, 0, 0, 0, 0, 0, 0, 0) }])),
    ],
  };
}
