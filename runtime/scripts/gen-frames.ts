/**
 * Computes generated/vectors/frames.json (`frames`): complete frames from fixed seeds,
 * ephemerals, nonces and clocks, so another implementation can check itself; and
 * generated/vectors/rules.json (`rules`): the acceptance rules (keys, signatures, the replay
 * window, invites), derived values (fingerprints, safety numbers, file digests), the order
 * extension and the handshake's failures. Run as steps of `npm run gen` (spec/generator/gen.ts,
 * STEPS), which writes this program's standard output to the file named by its argument, lists it
 * in generated/manifest.json, and checks it in `npm run gen:check`.
 *
 * Generated with the noble reference backend; runtime/test/protocol re-opens every case on
 * every backend.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from '@parley/spec';
import { nobleBackend } from '../src/crypto/noble.ts';
import { NOW, parties, partyJson, runHandshake, PARTY_NAMES } from './frames/fixtures.ts';
import { controlCases, firstContactCases } from './frames/other-cases.ts';
import { peerCases, type Sessions } from './frames/peer-cases.ts';
import { handshakeFailureCases } from './frames/handshake-failures.ts';
import { derivedCases, inviteCases, keyCases, orderCases, replayCases } from './frames/rule-cases.ts';
import { mailboxToken, mailboxTokenKey } from '../src/protocol/mailbox-token.ts';
import { toHex } from '../src/crypto/index.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SPEC = 'spec/protocol.yaml';
export const FRAMES_PATH = join(root, 'generated', 'vectors', 'frames.json');
export const RULES_PATH = join(root, 'generated', 'vectors', 'rules.json');

const CONVENTIONS = [
  'Complete Parley frames from fixed inputs (computed by runtime/scripts/gen-frames.ts, written by `npm run gen`). Bytes are lowercase hex; decoded values follow codec.json (bytes as {"$bytes": hex}, field ids in camelCase).',
  'parties: identity seeds and the keys derived from them (derivations identity_x25519, identity_ed25519; id = first ID_SIZE bytes of the X25519 key).',
  'handshake[]: a full CHALLENGE/HELLO/WELCOME run with its injected inputs (ephemeral secrets, nonces, clocks), every frame, the transcript hashes th0..th2 and the session keys. route_c2r/route_r2c are the "connection route keys" of the other sections.',
  'peer.valid[]: the sender seals with `nonce` (frame route zero), masks the route with the sender connection\'s c2r key and c2r_counter (route = recipient id XOR route_mask): frame_sent. The relay unmasks it and masks the sender id with the recipient connection\'s r2c key and r2c_counter: frame_delivered. pair_key is K_pair; aead_key and bind_key are pair_direction and pair_bind from sender to recipient.',
  'peer.invalid[]: the recipient unmasks frame_delivered with r2c_key at r2c_counter, looks up `contacts` whose id matches, and opens it in receive_order (kind and length, signature of each candidate, decryption, envelope, then the replay window seeded with seen_msg_ids at `now`). Opening must fail with `error` (an errors.open code) at `stage`, the receive_order step that raises it: frame (frame length and kind, before unmasking: BAD_LENGTH, BAD_KIND), route (unmask and lookup: UNKNOWN_SENDER, BAD_KIND), shape (the payload length of the kind: BAD_LENGTH), signature, decrypt, envelope, replay, order (the order extension: BAD_MESSAGE), act. No case may reach decryption before its signature verified.',
  'control.valid[]: a control frame of the first handshake\'s session, sealed at `counter` in `direction` and masked to id 0 with route_key. control.invalid[]: opening must fail with `error`.',
  'mailbox_token: a mailbox secret, its token key (derivation mailbox_token_key) and the token of each party as the contact presenting it (derivation mailbox_token over the party\'s x || ed, MAILBOX_TOKEN_SIZE bytes).',
  'first_contact.valid[]: an invite of Bob\'s and Alice\'s first-contact frame made from it with a fixed ephemeral secret and nonce. first_contact.invalid[]: Bob, holding the invite used invite_uses times and contacts_with_id, unmasks frame_delivered and opens it in the spec\'s first-contact order; it must fail with `error` at `stage`: shape (kinds.first_contact.length, receive_order\'s shape step, before the invite lookup) or the first_contact_order step that raises it (invite, gate, statics, sender, conflict, signature, request).',
].join(' ');

const RULES_CONVENTIONS = [
  'Vectors of the spec\'s acceptance rules and derived values (computed by runtime/scripts/gen-frames.ts, written by `npm run gen`). Bytes are lowercase hex; decoded values follow codec.json. parties and now are those of frames.json.',
  'handshake_failures.client[]: the client (client_seed, pinning pinned_relay, with the given ephemeral secret, nonce and clock) receives challenge, and welcome if given; it must fail with `error`. handshake_failures.relay[]: the relay (relay_seed) sends its CHALLENGE from the given ephemeral secret and nonce at relay_time, then receives hello with its clock at hello_at; it must accept (result ok) or fail with HANDSHAKE_FAILED; `reason` names the check, for the relay\'s log only.',
  'keys.x25519[]: public_key is accepted (X(x25519_secret, public_key) = shared) or rejected with BAD_KEY (reason: which rule of rules.x25519_keys). keys.ed25519[]: verifying signature over message with public_key gives `valid` (rules.ed25519_signatures); key_acceptable says whether public_key passes the key rules on its own.',
  'replay[]: a replay window (rules.replay_window) with window_ms, max_skew_ms, max_ids and the state `window` (floor, remembered ids); each step checks msg_id and sent_at at clock now, in order, and gives `result` (fresh, duplicate, STALE, REPLAYED) and the floor after it.',
  'invites.valid[]: invites (`struct`: invite, or invite_v2, whose first byte is SESSION_VERSION) with a real checksum and expires_at in 2100 (checksum = derivation invite_checksum over checksum_input, which is hashed with its u32 length prefix): they parse at any clock before then. invites.invalid[]: parsing hex at now fails with BAD_INVITE (`reason`). invites.expiry: the invite hex parses at each checks[].now, or fails with BAD_INVITE EXPIRED (rules.invite_expiry).',
  'derived: relay_fingerprint[] (derivation relay_fingerprint; text in dash-separated hex groups), safety_number[] (derivations safety_number and safety_fingerprint: bytes, the digit groups, the fingerprint and the encoded safety_qr; the same for a and b in either order), file_digest[] (derivation file_digest of content).',
  'order.valid[]: envelopes and the order mark a receiver reads from them (null: acted on as it comes). order.invalid[]: reading the order fails with BAD_MESSAGE.',
].join(' ');

export async function buildFramesJson(): Promise<string> {
  const spec = loadSpecFile(join(root, SPEC), SPEC);
  const backend = nobleBackend;
  const p = await parties(backend);
  const sessions: Sessions = {};
  const handshakes: object[] = [];
  for (const who of ['alice', 'bob', 'carol'] as const) {
    const run = await runHandshake(backend, p, who, `handshake ${who}`);
    sessions[who] = run.client;
    handshakes.push(run.json);
  }
  const doc = {
    _generated: `@generated by @parley/spec from ${SPEC} (runtime/scripts/gen-frames.ts, a step of npm run gen). DO NOT EDIT.`,
    conventions: CONVENTIONS,
    protocol: { name: spec.protocol.name, version: spec.protocol.version },
    now: NOW,
    parties: Object.fromEntries(PARTY_NAMES.map((n) => [n, partyJson(p[n])])),
    handshake: handshakes,
    peer: await peerCases(backend, p, sessions),
    control: await controlCases(backend, p, sessions),
    first_contact: await firstContactCases(backend, p, sessions),
    mailbox_token: mailboxTokenCase(p),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** A fixed mailbox secret and the token each party would present for it. */
function mailboxTokenCase(p: Awaited<ReturnType<typeof parties>>): object {
  const secret = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
  const key = mailboxTokenKey(secret);
  return {
    secret: toHex(secret),
    token_key: toHex(key),
    tokens: Object.fromEntries(PARTY_NAMES.map((n) => [n, toHex(mailboxToken(key, { x: p[n].x, ed: p[n].ed }))])),
  };
}

export async function buildRulesJson(): Promise<string> {
  const spec = loadSpecFile(join(root, SPEC), SPEC);
  const backend = nobleBackend;
  const p = await parties(backend);
  const doc = {
    _generated: `@generated by @parley/spec from ${SPEC} (runtime/scripts/gen-frames.ts, a step of npm run gen). DO NOT EDIT.`,
    conventions: RULES_CONVENTIONS,
    protocol: { name: spec.protocol.name, version: spec.protocol.version },
    now: NOW,
    parties: Object.fromEntries(PARTY_NAMES.map((n) => [n, partyJson(p[n])])),
    keys: await keyCases(backend, p),
    replay: replayCases(),
    invites: inviteCases(p),
    derived: derivedCases(p),
    order: orderCases(),
    handshake_failures: await handshakeFailureCases(backend, p, NOW),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

const OUTPUTS: Record<string, () => Promise<string>> = { frames: buildFramesJson, rules: buildRulesJson };

/** Prints the file its argument names (frames by default); gen writes it (the one writer of generated/). */
async function main(): Promise<number> {
  const which = process.argv[2] ?? 'frames';
  const build = OUTPUTS[which];
  if (!build) {
    console.error(`gen-frames: unknown output ${which} (one of ${Object.keys(OUTPUTS).join(', ')})`);
    return 2;
  }
  process.stdout.write(await build());
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // exitCode, not exit(): the whole file must reach the pipe first.
  main().then((code) => (process.exitCode = code), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
