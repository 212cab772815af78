/**
 * Fixed inputs of generated/vectors/frames.json: named fixed bytes, the parties, and a
 * handshake run with injected ephemerals, nonces and clocks. Nothing here is random and
 * nothing reads the clock, so the file is byte-stable.
 */
import { KEY_SIZE, NONCE_SIZE } from '@parley/generated';
import { keyedHash, toHex, utf8, type CryptoBackend } from '../../src/crypto/index.ts';
import { ClientHandshake } from '../../src/protocol/handshake-client.ts';
import { DEFAULT_WELCOME_LIMITS, RelayHandshake } from '../../src/protocol/handshake-relay.ts';
import type { SessionKeys } from '../../src/protocol/handshake.ts';
import { identityFromSeed, type Identity } from '../../src/protocol/identity.ts';

/** The receivers' clock in every case (2023-11-14T22:13:20Z). */
export const NOW = 1_700_000_000_000;

const FIXED_KEY = new Uint8Array(KEY_SIZE);

/** Fixed bytes named by a label: BLAKE3 keyed_hash(0^32, "parley frames.json " + label). */
export function fixed(label: string, n: number): Uint8Array {
  return keyedHash(FIXED_KEY, utf8(`parley frames.json ${label}`), n);
}

export const hex = toHex;

/** A value as JSON: bytes as {"$bytes": hex} (the codec.json convention), recursively. */
export function jsonValue(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $bytes: toHex(v) };
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
  return v;
}

export type PartyName = 'relay' | 'alice' | 'bob' | 'carol' | 'mallory';
export const PARTY_NAMES: readonly PartyName[] = ['relay', 'alice', 'bob', 'carol', 'mallory'];

export type Parties = Record<PartyName, Identity>;

export async function parties(backend: CryptoBackend): Promise<Parties> {
  const out = {} as Parties;
  for (const name of PARTY_NAMES) out[name] = await identityFromSeed(backend, fixed(`seed ${name}`, KEY_SIZE));
  return out;
}

export function partyJson(p: Identity): object {
  return { seed: hex(p.seed), x25519: hex(p.x), ed25519: hex(p.ed), id: hex(p.id) };
}

/** Randomness that hands out the given values in order and checks each length. */
function queue(values: Uint8Array[]): (n: number) => Uint8Array {
  let i = 0;
  return (n) => {
    const v = values[i++];
    if (v === undefined || v.length !== n) throw new Error(`fixed randomness: request ${i} for ${n} bytes does not match`);
    return v.slice();
  };
}

export interface HandshakeRun {
  json: object;
  client: SessionKeys;
  relay: SessionKeys;
}

/** A full handshake of `client` with the relay, every random value and clock fixed by `label`. */
export async function runHandshake(backend: CryptoBackend, p: Parties, client: PartyName, label: string): Promise<HandshakeRun> {
  const inputs = {
    relay_ephemeral_secret: fixed(`${label} e_R`, KEY_SIZE),
    challenge_nonce: fixed(`${label} challenge nonce`, NONCE_SIZE),
    client_ephemeral_secret: fixed(`${label} e_C`, KEY_SIZE),
    hello_nonce: fixed(`${label} hello nonce`, NONCE_SIZE),
    welcome_nonce: fixed(`${label} welcome nonce`, NONCE_SIZE),
  };
  const relayTime = NOW;
  const clientTime = NOW + 42;
  const limits = DEFAULT_WELCOME_LIMITS;
  const mailboxPending = 2;
  const rh = new RelayHandshake({
    backend,
    relay: p.relay,
    now: () => relayTime,
    random: queue([inputs.relay_ephemeral_secret, inputs.challenge_nonce, inputs.welcome_nonce]),
  });
  const ch = new ClientHandshake({
    backend,
    identity: p[client],
    relay: { x: p.relay.x, ed: p.relay.ed },
    now: () => clientTime,
    random: queue([inputs.client_ephemeral_secret, inputs.hello_nonce]),
  });
  const challenge = await rh.challenge();
  const hello = await ch.onChallenge(challenge);
  await rh.onHello(hello);
  const w = await rh.welcome({ mailboxPending, limits });
  const c = await ch.onWelcome(w.frame);
  const s = c.session;
  const json = {
    name: label,
    client,
    client_seed: hex(p[client].seed),
    relay_seed: hex(p.relay.seed),
    inputs: {
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, hex(v)])),
      relay_ephemeral: hex(await backend.x25519PublicKey(inputs.relay_ephemeral_secret)),
      client_ephemeral: hex(await backend.x25519PublicKey(inputs.client_ephemeral_secret)),
      relay_time: relayTime,
      client_time: clientTime,
      versions: [1],
    },
    frames: { challenge: hex(challenge), hello: hex(hello), welcome: hex(w.frame) },
    welcome_body: jsonValue(c.welcome),
    th0: hex(ch.transcript.th0!),
    th1: hex(ch.transcript.th1!),
    th2: hex(ch.transcript.th2!),
    session: {
      version: s.version,
      route_c2r: hex(s.routeC2r),
      route_r2c: hex(s.routeR2c),
      control_c2r: hex(s.controlC2r),
      control_r2c: hex(s.controlR2c),
      control_bind: hex(s.controlBind),
    },
  };
  return { json, client: s, relay: w.session };
}
