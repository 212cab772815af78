/**
 * Handshake failures of rules.json: the client's side (a CHALLENGE or WELCOME that does not
 * verify with the pinned relay keys: BAD_RELAY; a CHALLENGE of an illegal length:
 * UNEXPECTED_MESSAGE) and the relay's side (a HELLO that is late, replayed from another
 * connection, badly signed or of an illegal length: HANDSHAKE_FAILED, with the check that failed
 * as `reason`, which only the relay's log shows).
 */
import { HANDSHAKE_TIMEOUT_MS, KEY_SIZE, NONCE_SIZE, SIG_SIZE } from '@parley/generated';
import type { CryptoBackend } from '../../src/crypto/index.ts';
import { ClientHandshake } from '../../src/protocol/handshake-client.ts';
import { RelayHandshake } from '../../src/protocol/handshake-relay.ts';
import { isHandshakeError } from '../../src/protocol/errors.ts';
import { fixed, hex, type Parties, type PartyName } from './fixtures.ts';

interface Run {
  inputs: Record<string, Uint8Array>;
  challenge: Uint8Array;
  hello: Uint8Array;
  welcome: Uint8Array;
}

function queue(values: Uint8Array[]): (n: number) => Uint8Array {
  let i = 0;
  return (n) => {
    const v = values[i++];
    if (v === undefined || v.length !== n) throw new Error(`fixed randomness: request ${i} for ${n} bytes does not match`);
    return v.slice();
  };
}

/** The fixed inputs of the handshake named `label` in fixtures.ts (the same values). */
function inputsOf(label: string): Record<string, Uint8Array> {
  return {
    relay_ephemeral_secret: fixed(`${label} e_R`, KEY_SIZE),
    challenge_nonce: fixed(`${label} challenge nonce`, NONCE_SIZE),
    client_ephemeral_secret: fixed(`${label} e_C`, KEY_SIZE),
    hello_nonce: fixed(`${label} hello nonce`, NONCE_SIZE),
    welcome_nonce: fixed(`${label} welcome nonce`, NONCE_SIZE),
  };
}

/** What the relay does with `hello` after its CHALLENGE of `inputs` at relay_time: ok or the failure's reason. */
export async function relayVerdict(backend: CryptoBackend, p: Parties, inputs: Record<string, Uint8Array>, relayTime: number, helloAt: number, hello: Uint8Array): Promise<string> {
  let clock = relayTime;
  const rh = new RelayHandshake({ backend, relay: p.relay, now: () => clock, random: queue([inputs.relay_ephemeral_secret!, inputs.challenge_nonce!, inputs.welcome_nonce!]) });
  await rh.challenge();
  clock = helloAt;
  try {
    await rh.onHello(hello);
    return 'ok';
  } catch (e) {
    if (isHandshakeError(e, 'HANDSHAKE_FAILED')) return e.reason ?? 'HANDSHAKE_FAILED';
    throw e;
  }
}

async function run(backend: CryptoBackend, p: Parties, client: PartyName, label: string, now: number): Promise<Run> {
  const inputs = inputsOf(label);
  const rh = new RelayHandshake({ backend, relay: p.relay, now: () => now, random: queue([inputs.relay_ephemeral_secret!, inputs.challenge_nonce!, inputs.welcome_nonce!]) });
  const ch = new ClientHandshake({ backend, identity: p[client], relay: { x: p.relay.x, ed: p.relay.ed }, now: () => now + 42, random: queue([inputs.client_ephemeral_secret!, inputs.hello_nonce!]) });
  const challenge = await rh.challenge();
  const hello = await ch.onChallenge(challenge);
  await rh.onHello(hello);
  const w = await rh.welcome({ mailboxPending: 2 });
  return { inputs, challenge, hello, welcome: w.frame };
}

/** What the client does with `challenge` (pinning the relay's keys): its HELLO, or the failure's code. */
async function clientVerdict(backend: CryptoBackend, p: Parties, inputs: Record<string, Uint8Array>, now: number, challenge: Uint8Array): Promise<string> {
  const ch = new ClientHandshake({ backend, identity: p.alice, relay: { x: p.relay.x, ed: p.relay.ed }, now: () => now + 42, random: queue([inputs.client_ephemeral_secret!, inputs.hello_nonce!]) });
  try {
    await ch.onChallenge(challenge);
    return 'ok';
  } catch (e) {
    if (isHandshakeError(e)) return e.code;
    throw e;
  }
}

/** The frame with one zero byte more (`extra` 1) or one byte less (-1) at the end of its payload, before the signature. */
const resized = (frame: Uint8Array, extra: 1 | -1) => {
  const end = frame.length - SIG_SIZE;
  return Uint8Array.of(...frame.subarray(0, extra === 1 ? end : end - 1), ...(extra === 1 ? [0] : []), ...frame.subarray(end));
};

const flipLast = (frame: Uint8Array, back: number) => {
  const f = frame.slice();
  f[f.length - back]! ^= 0x01;
  return f;
};

export async function handshakeFailureCases(backend: CryptoBackend, p: Parties, now: number): Promise<{ client: object[]; relay: object[] }> {
  const alice = await run(backend, p, 'alice', 'handshake alice', now);
  const bob = await run(backend, p, 'bob', 'handshake bob', now);
  const keys = (who: PartyName) => ({ x25519: hex(p[who].x), ed25519: hex(p[who].ed) });
  const clientInputs = { client_ephemeral_secret: hex(alice.inputs.client_ephemeral_secret!), hello_nonce: hex(alice.inputs.hello_nonce!), client_time: now + 42 };
  const client = [
    { name: 'bad_challenge_signature', description: "handshake alice's CHALLENGE with a signature bit flipped.", client_seed: hex(p.alice.seed), pinned_relay: keys('relay'), ...clientInputs, challenge: hex(flipLast(alice.challenge, SIG_SIZE)), error: 'BAD_RELAY' },
    { name: 'wrong_relay_key', description: "handshake alice's genuine CHALLENGE, but the client pinned Mallory's keys as the relay's.", client_seed: hex(p.alice.seed), pinned_relay: keys('mallory'), ...clientInputs, challenge: hex(alice.challenge), error: 'BAD_RELAY' },
    { name: 'tampered_welcome', description: "handshake alice's CHALLENGE, then its WELCOME with a bit of the sealed body flipped: the signature covers it.", client_seed: hex(p.alice.seed), pinned_relay: keys('relay'), ...clientInputs, challenge: hex(alice.challenge), welcome: hex(flipLast(alice.welcome, SIG_SIZE + 1)), error: 'BAD_RELAY' },
  ];
  // kinds.handshake.length: a CHALLENGE with a byte after its last version does not decode as
  // exactly a challenge (UNEXPECTED_MESSAGE, before its signature is checked).
  const longChallenge = resized(alice.challenge, 1);
  const longVerdict = await clientVerdict(backend, p, alice.inputs, now, longChallenge);
  if (longVerdict !== 'UNEXPECTED_MESSAGE') throw new Error(`frames.json: challenge_trailing_byte gave ${longVerdict}`);
  client.push({ name: 'challenge_trailing_byte', description: "handshake alice's CHALLENGE with one zero byte more at the end of its payload: not exactly a challenge (kinds.handshake.length).", client_seed: hex(p.alice.seed), pinned_relay: keys('relay'), ...clientInputs, challenge: hex(longChallenge), error: longVerdict });
  const relayInputs = (i: Record<string, Uint8Array>) => ({ relay_ephemeral_secret: hex(i.relay_ephemeral_secret!), challenge_nonce: hex(i.challenge_nonce!), welcome_nonce: hex(i.welcome_nonce!), relay_time: now });
  const relayCase = async (name: string, description: string, r: Run | Record<string, Uint8Array>, helloAt: number, hello: Uint8Array) => {
    const inputs = 'inputs' in r ? (r as Run).inputs : (r as Record<string, Uint8Array>);
    const reason = await relayVerdict(backend, p, inputs, now, helloAt, hello);
    return { name, description, relay_seed: hex(p.relay.seed), ...relayInputs(inputs), hello_at: helloAt, hello: hex(hello), ...(reason === 'ok' ? { result: 'ok' } : { error: 'HANDSHAKE_FAILED', reason }) };
  };
  // Another connection in the challenge epoch of handshake alice: the same e_R and relay_time
  // (so the same CHALLENGE payload and signature), only the CHALLENGE nonce is its own.
  const sameEpoch = { ...alice.inputs, challenge_nonce: fixed('handshake alice same epoch challenge nonce', NONCE_SIZE) };
  const relay = [
    await relayCase('hello_at_deadline', "handshake alice's HELLO arriving exactly HANDSHAKE_TIMEOUT_MS after CHALLENGE: accepted.", alice, now + HANDSHAKE_TIMEOUT_MS, alice.hello),
    await relayCase('stale_hello', "handshake alice's HELLO arriving HANDSHAKE_TIMEOUT_MS + 1 ms after CHALLENGE.", alice, now + HANDSHAKE_TIMEOUT_MS + 1, alice.hello),
    await relayCase('replayed_hello', "handshake alice's HELLO replayed on the connection of handshake bob (another E_R and th0): statics does not open.", bob, now + 1, alice.hello),
    await relayCase('replayed_hello_same_epoch', "handshake alice's HELLO replayed on another connection of the same challenge epoch (the same E_R, relay_time and CHALLENGE signature, another CHALLENGE nonce, hence another th0): statics does not open.", sameEpoch, now + 1, alice.hello),
    await relayCase('bad_hello_signature', "handshake alice's HELLO with a signature bit flipped.", alice, now + 1, flipLast(alice.hello, SIG_SIZE)),
    await relayCase('short_hello', "handshake alice's HELLO with the last byte of its payload removed: HELLO has a fixed size (kinds.handshake.length).", alice, now + 1, resized(alice.hello, -1)),
  ];
  return { client, relay };
}
