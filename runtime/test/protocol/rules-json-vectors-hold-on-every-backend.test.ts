/**
 * The rule vectors of generated/vectors/rules.json, checked against the runtime on the noble
 * and the node backend: X25519 key and Ed25519 signature rules (spec rules.x25519_keys,
 * rules.ed25519_signatures), the replay window (rules.replay_window), invites that verify and
 * the expiry boundary (rules.invite_expiry), the relay fingerprint, safety numbers, file
 * digests, the order extension, and the handshake's failures on both sides.
 */
import { readFileSync } from 'node:fs';
import { CHECKSUM_SIZE, Contexts, SESSION_VERSION } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { deriveKey, fromHex, isCryptoError, toHex, u64le } from '../../src/crypto/index.ts';
import { x25519KeyProblem, ed25519PointAcceptable } from '../../src/crypto/_rules.ts';
import { fileDigest, fileDigestHasher } from '../../src/engine/files.ts';
import { readOrder } from '../../src/engine/order.ts';
import { decodeEnvelopeChecked } from '../../src/protocol/envelope.ts';
import { isHandshakeError, isOpenError } from '../../src/protocol/errors.ts';
import { ClientHandshake } from '../../src/protocol/handshake-client.ts';
import { RelayHandshake } from '../../src/protocol/handshake-relay.ts';
import { identityFromSeed } from '../../src/protocol/identity.ts';
import { encodeInviteBytes, parseInvite } from '../../src/protocol/invite.ts';
import { encodeInviteV2Bytes, parseInviteV2 } from '../../src/protocol/ratchet/invite-v2.ts';
import { dh } from '../../src/protocol/pair.ts';
import { ReplayWindow } from '../../src/protocol/replay.ts';
import { relayFingerprint } from '../../src/protocol/relay-fingerprint.ts';
import { safetyNumber, safetyQr, verifySafetyQr } from '../../src/protocol/safety.ts';
import { BACKENDS } from './_helpers.ts';

const V: any = JSON.parse(readFileSync(new URL('../../../generated/vectors/rules.json', import.meta.url), 'utf8'));

/** Parses and re-encodes an invite of either version (a v2 invite starts with SESSION_VERSION). */
function parseEither(input: string | Uint8Array, hexOfIt: string, now: number): { invite: unknown; bytes: Uint8Array } {
  if (fromHex(hexOfIt)[0] === SESSION_VERSION) {
    const invite = parseInviteV2(input, now);
    return { invite, bytes: encodeInviteV2Bytes(invite) };
  }
  const invite = parseInvite(input, now);
  return { invite, bytes: encodeInviteBytes(invite) };
}
const b = (h: string) => fromHex(h);
const keys = (k: { x25519: string; ed25519: string }) => ({ x: b(k.x25519), ed: b(k.ed25519) });
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_, x) => (x instanceof Uint8Array ? { $bytes: toHex(x) } : x)));

function queue(values: string[]): (n: number) => Uint8Array {
  let i = 0;
  return (n) => {
    const v = b(values[i++]!);
    expect(v.length).toBe(n);
    return v;
  };
}

/** The error code (and reason) a promise rejects with, or 'ok'. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (isOpenError(e) || isHandshakeError(e) || isCryptoError(e)) return e.code;
    throw e;
  }
}

describe('rules.json', () => {
  it('holds every section with cases', () => {
    expect(V.keys.x25519.length).toBeGreaterThan(5);
    expect(V.keys.ed25519.length).toBeGreaterThan(5);
    expect(V.replay.length).toBeGreaterThan(0);
    expect(V.invites.valid.length).toBeGreaterThan(0);
    expect(V.derived.relay_fingerprint.length).toBeGreaterThan(0);
    expect(V.derived.safety_number.length).toBeGreaterThan(0);
    expect(V.derived.file_digest.length).toBeGreaterThan(0);
    expect(V.order.valid.length).toBeGreaterThan(0);
    expect(V.handshake_failures.client.map((c: any) => c.name)).toEqual(expect.arrayContaining(['bad_challenge_signature', 'wrong_relay_key']));
    expect(V.handshake_failures.relay.map((c: any) => c.name)).toEqual(expect.arrayContaining(['stale_hello', 'replayed_hello']));
    // The key vectors cover each rule: both reasons for X25519, and S >= L, small order and non-canonical for Ed25519.
    expect(new Set(V.keys.x25519.map((c: any) => c.reason))).toEqual(new Set([undefined, 'LOW_ORDER', 'NON_CANONICAL']));
    expect(V.keys.ed25519.map((c: any) => c.name)).toEqual(expect.arrayContaining(['s_plus_l', 'a_order_8', 'a_non_canonical_y_p', 'r_order_8', 'r_non_canonical', 'r_with_torsion', 'mixed_order_key_k_multiple_of_8', 'mixed_order_key_k_not_multiple_of_8']));
  });

  it('replays every replay-window case on ReplayWindow', () => {
    for (const c of V.replay) {
      const w = ReplayWindow.fromJSON(
        { format: 'parley-replay-window', version: 1, floor: c.window.floor, ids: c.window.ids.map((x: any) => [x.msg_id, x.sent_at]) },
        { windowMs: c.window_ms, maxIds: c.max_ids, maxSkewMs: c.max_skew_ms },
      );
      for (const [i, s] of c.steps.entries()) {
        let got: string;
        try {
          got = w.check(b(s.msg_id), s.sent_at, s.now);
        } catch (e) {
          if (!isOpenError(e)) throw e;
          got = e.code;
        }
        expect(got, `${c.name} step ${i}`).toBe(s.result);
        expect(w.floor, `${c.name} step ${i} floor`).toBe(s.floor_after);
      }
    }
  });

  it('parses every valid invite now and at the vectors\' clock; its checksum is the one region definition', () => {
    expect(V.invites.valid.some((c: { hex: string }) => b(c.hex)[0] === SESSION_VERSION)).toBe(true);
    for (const c of V.invites.valid) {
      for (const input of [b(c.hex), c.link, c.uri]) {
        expect(toHex(parseEither(input, c.hex, V.now).bytes), c.name).toBe(c.hex);
        expect(toHex(parseEither(input, c.hex, Date.now()).bytes), c.name).toBe(c.hex);
      }
      expect(asJson(parseEither(b(c.hex), c.hex, V.now).invite)).toEqual(c.fields);
      // DK(invite checksum, u32(n) || the n bytes before the checksum)[0..CHECKSUM_SIZE]
      const body = b(c.checksum_input);
      expect(c.hex.startsWith(c.checksum_input)).toBe(true);
      const material = Uint8Array.of(...u64le(body.length).subarray(0, 4), ...body);
      expect(toHex(deriveKey(Contexts.inviteChecksum, material, CHECKSUM_SIZE))).toBe(c.hex.slice(-2 * CHECKSUM_SIZE));
    }
  });

  it('refuses every invalid invite and applies the expiry boundary in whole seconds', () => {
    for (const c of V.invites.invalid) {
      let err: unknown;
      try {
        parseEither(b(c.hex), c.hex, c.now);
      } catch (e) {
        err = e;
      }
      expect(isOpenError(err, c.error), c.name).toBe(true);
      expect((err as { reason?: string }).reason, c.name).toBe(c.reason);
    }
    for (const check of V.invites.expiry.checks) {
      let got = 'ok';
      try {
        parseInvite(b(V.invites.expiry.hex), check.now);
      } catch (e) {
        if (!isOpenError(e)) throw e;
        got = e.code;
        expect((e as { reason?: string }).reason).toBe(check.reason);
      }
      expect(got, String(check.now)).toBe(check.result);
    }
  });

  it('computes the relay fingerprint, safety numbers and file digests of the vectors', () => {
    for (const c of V.derived.relay_fingerprint) expect(relayFingerprint(b(c.relay_x), b(c.relay_ed)), c.name).toBe(c.text);
    for (const c of V.derived.safety_number) {
      const [a, z] = [keys(c.a), keys(c.b)];
      expect(safetyNumber(a, z), c.name).toBe(c.number);
      expect(safetyNumber(z, a), c.name).toBe(c.number);
      expect(toHex(safetyQr(a, z)), c.name).toBe(c.qr);
      expect(verifySafetyQr(b(c.qr), z, a), c.name).toBe(true);
    }
    for (const c of V.derived.file_digest) {
      const content = b(c.content);
      expect(content.length).toBe(c.size);
      expect(toHex(fileDigest(content)), c.name).toBe(c.digest);
      const h = fileDigestHasher(); // streamed in uneven pieces
      for (let at = 0; at < content.length; at += 333) h.update(content.subarray(at, at + 333));
      expect(toHex(h.digest()), c.name).toBe(c.digest);
    }
  });

  it('reads the order mark of every valid envelope and rejects every invalid one', () => {
    for (const c of V.order.valid) {
      const env = decodeEnvelopeChecked(b(c.envelope.hex));
      expect(asJson(env)).toEqual(c.envelope.fields);
      expect(readOrder(env) ?? null, c.name).toEqual(c.order);
    }
    for (const c of V.order.invalid) {
      const env = decodeEnvelopeChecked(b(c.envelope.hex));
      expect(() => readOrder(env), c.name).toThrow(expect.objectContaining({ code: c.error }));
    }
  });
});

describe.each(BACKENDS)('rules.json on the $name backend', (backend) => {
  it('accepts and rejects every X25519 key as the vectors say', async () => {
    const secret = b(V.keys.x25519_secret);
    for (const c of V.keys.x25519) {
      const key = b(c.public_key);
      if (c.accepted) {
        expect(x25519KeyProblem(key), c.name).toBe(null);
        expect(toHex(await backend.x25519(secret, key)), c.name).toBe(c.shared);
      } else {
        expect(x25519KeyProblem(key), c.name).toBe(c.reason);
        expect(await outcome(backend.x25519(secret, key)), c.name).toBe(c.reason);
        expect(await outcome(dh(backend, secret, key, 'a vector key')), c.name).toBe(c.error);
      }
    }
  });

  it('verifies exactly the Ed25519 signatures the vectors call valid', async () => {
    for (const c of V.keys.ed25519) {
      expect(await backend.ed25519Verify(b(c.public_key), b(c.message), b(c.signature)), c.name).toBe(c.valid);
      expect(ed25519PointAcceptable(b(c.public_key), 0), c.name).toBe(c.key_acceptable);
    }
  });

  it('fails the client side of every handshake failure with its error', async () => {
    for (const c of V.handshake_failures.client) {
      const identity = await identityFromSeed(backend, b(c.client_seed));
      const ch = new ClientHandshake({ backend, identity, relay: keys(c.pinned_relay), now: () => c.client_time, random: queue([c.client_ephemeral_secret, c.hello_nonce]) });
      const run = async () => {
        await ch.onChallenge(b(c.challenge));
        if (c.welcome) await ch.onWelcome(b(c.welcome));
      };
      expect(await outcome(run()), c.name).toBe(c.error);
    }
  });

  it('accepts or fails every HELLO of the relay-side cases, for the reason given', async () => {
    for (const c of V.handshake_failures.relay) {
      const relay = await identityFromSeed(backend, b(c.relay_seed));
      let clock = c.relay_time;
      const rh = new RelayHandshake({ backend, relay, now: () => clock, random: queue([c.relay_ephemeral_secret, c.challenge_nonce, c.welcome_nonce]) });
      await rh.challenge();
      clock = c.hello_at;
      let got = 'ok';
      let reason: string | undefined;
      try {
        await rh.onHello(b(c.hello));
      } catch (e) {
        if (!isHandshakeError(e)) throw e;
        got = e.code;
        reason = e.reason;
      }
      expect(got, c.name).toBe(c.error ?? c.result);
      expect(reason, c.name).toBe(c.reason);
    }
  });
});

describe('rules.json is up to date', () => {
  it('is byte-identical to what runtime/scripts/gen-frames.ts writes now', async () => {
    const { buildRulesJson, RULES_PATH } = await import('../../scripts/gen-frames.ts');
    expect(await buildRulesJson(), 'run `npm run gen`').toBe(readFileSync(RULES_PATH, 'utf8'));
  });
});
