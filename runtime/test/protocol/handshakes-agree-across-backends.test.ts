/**
 * The handshake's ephemerals are made inside each backend (webcrypto: non-extractable
 * CryptoKeys; noble and node: random secrets), so a relay and a client on
 * different backends must still agree on every key: this runs the handshake for every pair of
 * backends against the noble reference. With injected randomness (vectors) the ephemerals come
 * from `random`, as before, so CHALLENGE and HELLO are byte-identical on every backend.
 */
import { decodeChallenge, decodeFrame, decodeHello } from '@parley/generated';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import type { CryptoBackend } from '../../src/crypto/backend.ts';
import { nobleBackend } from '../../src/crypto/noble.ts';
import { nodeBackend } from '../../src/crypto/node.ts';
import { webcryptoBackend } from '../../src/crypto/webcrypto.ts';
import { isHandshakeError } from '../../src/protocol/errors.ts';
import { ClientHandshake } from '../../src/protocol/handshake-client.ts';
import { RelayHandshake } from '../../src/protocol/handshake-relay.ts';
import type { SessionKeys } from '../../src/protocol/handshake.ts';
import { fixedRandom, identity } from './_helpers.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const BACKENDS: readonly CryptoBackend[] = [nobleBackend, nodeBackend, webcryptoBackend];
const PAIRS = BACKENDS.flatMap((relay) => BACKENDS.map((client) => ({ relay, client, name: `${relay.name} relay, ${client.name} client` })));

function keyHex(k: SessionKeys): Record<string, string> {
  return Object.fromEntries(
    (['clientX', 'clientEd', 'relayX', 'relayEd', 'routeC2r', 'routeR2c', 'controlC2r', 'controlR2c', 'controlBind', 'th2'] as const).map((f) => [f, hex(k[f])]),
  );
}

describe.each(PAIRS)('handshake with a $name', ({ relay: relayBackend, client: clientBackend }) => {
  it('ends with the same session keys on both sides, different each time', async () => {
    const relay = await identity(nobleBackend, 'relay');
    const alice = await identity(nobleBackend, 'alice');
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const rh = new RelayHandshake({ backend: relayBackend, relay });
      const ch = new ClientHandshake({ backend: clientBackend, identity: alice, relay: { x: relay.x, ed: relay.ed } });
      const hello = await ch.onChallenge(await rh.challenge());
      await rh.onHello(hello);
      const w = await rh.welcome({ mailboxPending: 0 });
      const c = await ch.onWelcome(w.frame);
      expect(keyHex(c.session)).toEqual(keyHex(w.session));
      seen.add(hex(w.session.routeC2r));
    }
    expect(seen.size).toBe(3); // fresh ephemerals on both sides
  });
});

describe('injected randomness fixes the ephemerals on every backend', () => {
  it('gives byte-identical CHALLENGE and HELLO frames, with E_R and E_C from the first random bytes', async () => {
    const relay = await identity(nobleBackend, 'relay');
    const alice = await identity(nobleBackend, 'alice');
    const frames: string[][] = [];
    for (const backend of BACKENDS) {
      const now = () => 1_700_000_000_000;
      const rh = new RelayHandshake({ backend, relay, now, random: fixedRandom('relay') });
      const ch = new ClientHandshake({ backend, identity: alice, relay: { x: relay.x, ed: relay.ed }, now, random: fixedRandom('client') });
      const challenge = await rh.challenge();
      const hello = await ch.onChallenge(challenge);
      frames.push([hex(challenge), hex(hello)]);
      const eR = fixedRandom('relay')(32);
      const eC = fixedRandom('client')(32);
      expect(hex(decodeChallenge(decodeFrame(challenge).payload).relayEphemeral)).toBe(hex(nobleX25519.getPublicKey(eR)));
      expect(hex(decodeHello(decodeFrame(hello).payload).clientEphemeral)).toBe(hex(nobleX25519.getPublicKey(eC)));
    }
    expect(frames[1]).toEqual(frames[0]);
    expect(frames[2]).toEqual(frames[0]);
  });
});

describe.each(BACKENDS)('abandoning a relay handshake on the $name backend', (backend) => {
  it('while CHALLENGE is being built: the challenge is refused and the ephemeral dropped', async () => {
    const relay = await identity(nobleBackend, 'relay');
    const rh = new RelayHandshake({ backend, relay });
    const pending = rh.challenge();
    rh.destroy();
    const e = await pending.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isHandshakeError(e) && e.code).toBe('HANDSHAKE_FAILED');
    await expect(rh.onHello(new Uint8Array(200))).rejects.toMatchObject({ code: 'HANDSHAKE_FAILED' });
  });
});
