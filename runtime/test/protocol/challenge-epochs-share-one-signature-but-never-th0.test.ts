/**
 * Challenge epochs (spec handshake step challenge, CHALLENGE_EPOCH_MS; handshake-epoch.ts):
 * the connections of one epoch share E_R and the one CHALLENGE signature, so the relay signs
 * and generates no key per connection for CHALLENGE; each connection's CHALLENGE still has its
 * own nonce, so th0, the session keys and everything HELLO binds differ, and a HELLO replayed
 * on another connection of the same epoch fails. Epochs rotate after CHALLENGE_EPOCH_MS and
 * an old e_R is erased once no handshake holds it, or HANDSHAKE_TIMEOUT_MS after its last
 * CHALLENGE; an idle relay's epoch is retired on time, not when the next connection comes.
 */
import { CHALLENGE_EPOCH_MS, HANDSHAKE_TIMEOUT_MS, decodeChallenge, decodeFrame, encodeFrame } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../../src/crypto/index.ts';
import { isHandshakeError } from '../../src/protocol/errors.ts';
import { ClientHandshake } from '../../src/protocol/handshake-client.ts';
import { ChallengeEpochs } from '../../src/protocol/handshake-epoch.ts';
import { RelayHandshake } from '../../src/protocol/handshake-relay.ts';
import type { Identity } from '../../src/protocol/identity.ts';
import { BACKENDS, identity, spy } from './_helpers.ts';

async function failureReason(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(isHandshakeError(e, 'HANDSHAKE_FAILED'), `expected HANDSHAKE_FAILED, got ${String(e)}`).toBe(true);
  return (e as { reason?: string }).reason;
}

describe.each(BACKENDS)('challenge epochs on the $name backend', (backend) => {
  let relay: Identity, alice: Identity, bob: Identity;
  const setup = async () => {
    relay ??= await identity(backend, 'relay');
    alice ??= await identity(backend, 'alice');
    bob ??= await identity(backend, 'bob');
  };
  const pin = () => ({ x: relay.x, ed: relay.ed });

  it('shares E_R and the signature within an epoch, never the nonce, th0 or the session keys', async () => {
    await setup();
    const s = spy(backend);
    let clock = 1_700_000_000_000;
    const now = () => clock;
    const epochs = new ChallengeEpochs({ backend: s, relay, now });
    const runs = [];
    for (const who of [alice, bob, alice]) {
      const rh = new RelayHandshake({ backend: s, relay, now, epochs });
      const ch = new ClientHandshake({ backend, identity: who, relay: pin() });
      const challenge = await rh.challenge();
      await rh.onHello(await ch.onChallenge(challenge));
      const w = await rh.welcome({ mailboxPending: 0 });
      const c = await ch.onWelcome(w.frame);
      expect(equalBytes(c.session.routeC2r, w.session.routeC2r)).toBe(true);
      runs.push({ frame: decodeFrame(challenge), th0: toHex(rh.transcript.th0!), key: toHex(w.session.routeC2r) });
      clock += 1000;
    }
    // One epoch: one key pair and one CHALLENGE signature for three connections (+ one WELCOME signature each).
    expect(s.calls.x25519Ephemeral).toBe(1);
    expect(s.calls.ed25519Sign).toBe(1 + 3);
    const [a, b, c] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];
    expect(equalBytes(a.frame.payload, b.frame.payload) && equalBytes(a.frame.sig, c.frame.sig)).toBe(true);
    expect(new Set(runs.map((r) => toHex(r.frame.nonce))).size).toBe(3);
    expect(new Set(runs.map((r) => r.th0)).size).toBe(3);
    // alice twice in one epoch: different session keys
    expect(new Set(runs.map((r) => r.key)).size).toBe(3);
  });

  it("fails a HELLO replayed on another connection of the same epoch (same E_R, another nonce: th0 differs)", async () => {
    await setup();
    const epochs = new ChallengeEpochs({ backend, relay });
    const first = new RelayHandshake({ backend, relay, epochs });
    const c1 = await first.challenge();
    const hello = await new ClientHandshake({ backend, identity: alice, relay: pin() }).onChallenge(c1);
    await first.onHello(hello.slice());
    const second = new RelayHandshake({ backend, relay, epochs });
    const c2 = await second.challenge();
    const eR = (frame: Uint8Array) => decodeChallenge(decodeFrame(frame).payload).relayEphemeral;
    expect(equalBytes(eR(c1), eR(c2))).toBe(true);
    expect(await failureReason(second.onHello(hello))).toBe('STATICS');
  });

  it('lets a CHALLENGE with a replaced nonce pass the client, and the relay then fails its HELLO', async () => {
    await setup();
    const epochs = new ChallengeEpochs({ backend, relay });
    const rh = new RelayHandshake({ backend, relay, epochs });
    const f = decodeFrame(await rh.challenge());
    const nonce = f.nonce.slice();
    nonce[0]! ^= 1;
    // The signature covers the epoch's payload, not the nonce: the client cannot tell, but its
    // HELLO is bound to the th0 of the frame it saw, which is not the relay's.
    const hello = await new ClientHandshake({ backend, identity: alice, relay: pin() }).onChallenge(encodeFrame({ ...f, nonce }));
    expect(await failureReason(rh.onHello(hello))).toBe('STATICS');
  });

  it('rotates after CHALLENGE_EPOCH_MS and erases the old e_R once its last handshake is done', async () => {
    await setup();
    let clock = 1_700_000_000_000;
    const now = () => clock;
    const epochs = new ChallengeEpochs({ backend, relay, now });
    const held = new RelayHandshake({ backend, relay, now, epochs });
    const heldHello = await new ClientHandshake({ backend, identity: alice, relay: pin() }).onChallenge(await held.challenge());
    const e1 = await epochs.take();
    e1.release();
    clock += CHALLENGE_EPOCH_MS - 1;
    expect(await epochs.take()).toBe(e1);
    e1.release();
    clock += 1;
    const e2 = await epochs.take();
    e2.release();
    expect(e2).not.toBe(e1);
    expect(equalBytes(e2.eR.publicKey, e1.eR.publicKey)).toBe(false);
    // e1 is retired but still held by `held`: its HELLO is still accepted, then e_R is gone.
    await held.onHello(heldHello);
    await expect(e1.eR.dh(relay.x)).rejects.toThrow(/after destroy/);
    await expect(e2.eR.dh(relay.x)).resolves.toBeInstanceOf(Uint8Array);
  });

  it('erases a retired e_R that an abandoned handshake still holds, HANDSHAKE_TIMEOUT_MS after its last CHALLENGE', async () => {
    await setup();
    let clock = 1_700_000_000_000;
    const now = () => clock;
    const epochs = new ChallengeEpochs({ backend, relay, now });
    const abandoned = new RelayHandshake({ backend, relay, now, epochs });
    await abandoned.challenge(); // never destroyed, never answered
    const e1 = await epochs.take();
    e1.release();
    clock += CHALLENGE_EPOCH_MS;
    (await epochs.take()).release(); // e2: e1 retired, held
    await expect(e1.eR.dh(relay.x)).resolves.toBeInstanceOf(Uint8Array);
    clock += HANDSHAKE_TIMEOUT_MS + 1;
    (await epochs.take()).release(); // e3: e1 is past any HELLO
    await expect(e1.eR.dh(relay.x)).rejects.toThrow(/after destroy/);
  });

  it('retires and erases an idle epoch on time, without a new connection to replace it', async () => {
    await setup();
    const epochs = new ChallengeEpochs({ backend, relay, epochMs: 30 });
    const e1 = await epochs.take();
    e1.release();
    const until = Date.now() + 5000;
    let erased = false;
    while (!erased && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
      erased = await e1.eR.dh(relay.x).then(
        () => false,
        () => true,
      );
    }
    expect(erased).toBe(true);
    const e2 = await epochs.take();
    e2.release();
    expect(e2).not.toBe(e1);
    epochs.destroy();
  });

  it('releases the epoch of a handshake destroyed before HELLO', async () => {
    await setup();
    let clock = 1_700_000_000_000;
    const now = () => clock;
    const epochs = new ChallengeEpochs({ backend, relay, now });
    const rh = new RelayHandshake({ backend, relay, now, epochs });
    await rh.challenge();
    const e1 = await epochs.take();
    e1.release();
    rh.destroy();
    clock += CHALLENGE_EPOCH_MS;
    (await epochs.take()).release();
    await expect(e1.eR.dh(relay.x)).rejects.toThrow(/after destroy/);
  });
});

