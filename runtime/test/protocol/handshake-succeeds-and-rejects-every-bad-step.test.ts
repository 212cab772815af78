/**
 * The handshake (spec `handshake`): both sides agree on the session keys, and every check of
 * every step fails with its error: bad challenge signature, wrong pinned key, version
 * mismatch, HELLO replayed on another connection, HELLO presenting an X25519 key the client
 * does not hold, a second HELLO, a tampered HELLO, a low-order ephemeral, a late HELLO, a
 * tampered WELCOME.
 */
import {
  FrameKind,
  HANDSHAKE_TIMEOUT_MS,
  decodeChallenge,
  decodeFrame,
  decodeHello,
  encodeChallenge,
  encodeFrame,
  encodeHello,
} from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { equalBytes } from '../../src/crypto/index.ts';
import { isHandshakeError } from '../../src/protocol/errors.ts';
import { ClientHandshake } from '../../src/protocol/handshake-client.ts';
import { RelayHandshake } from '../../src/protocol/handshake-relay.ts';
import type { Identity } from '../../src/protocol/identity.ts';
import { BACKENDS, identity } from './_helpers.ts';

async function rejectsWith(p: Promise<unknown>, code: string, reason?: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(isHandshakeError(e), `expected HandshakeError ${code}, got ${String(e)}`).toBe(true);
  expect((e as { code: string }).code).toBe(code);
  if (reason !== undefined) expect((e as { reason?: string }).reason).toBe(reason);
}

/** Re-signs nothing: replaces a frame's payload and keeps its signature (a tampered frame). */
function withPayload(frame: Uint8Array, payload: Uint8Array): Uint8Array {
  const f = decodeFrame(frame);
  return encodeFrame({ ...f, payload });
}

describe.each(BACKENDS)('handshake on the $name backend', (backend) => {
  let relay: Identity, client: Identity, other: Identity;
  const setup = async () => {
    relay ??= await identity(backend, 'relay');
    client ??= await identity(backend, 'alice');
    other ??= await identity(backend, 'mallory');
  };
  const pin = () => ({ x: relay.x, ed: relay.ed });

  it('ends with the same session keys on both sides', async () => {
    await setup();
    const rh = new RelayHandshake({ backend, relay });
    const ch = new ClientHandshake({ backend, identity: client, relay: pin() });
    const hello = await ch.onChallenge(await rh.challenge());
    const proven = await rh.onHello(hello);
    expect(equalBytes(proven.clientX, client.x) && equalBytes(proven.clientEd, client.ed)).toBe(true);
    expect(equalBytes(proven.clientId, client.id)).toBe(true);
    const w = await rh.welcome({ mailboxPending: 7, limits: { frameRate: 123 } });
    const c = await ch.onWelcome(w.frame);
    expect(c.welcome.mailboxPending).toBe(7);
    expect(c.welcome.frameRate).toBe(123);
    for (const k of ['routeC2r', 'routeR2c', 'controlC2r', 'controlR2c', 'controlBind', 'th2', 'clientX', 'relayEd'] as const) {
      expect(equalBytes(c.session[k], w.session[k]), k).toBe(true);
    }
    expect(equalBytes(rh.transcript.th1!, ch.transcript.th1!)).toBe(true);
    expect(ch.state).toBe('done');
    // the five keys differ from each other
    const keys = [c.session.routeC2r, c.session.routeR2c, c.session.controlC2r, c.session.controlR2c, c.session.controlBind];
    expect(new Set(keys.map((k) => Buffer.from(k).toString('hex'))).size).toBe(5);
  });

  it('rejects a CHALLENGE whose signature does not verify (BAD_RELAY)', async () => {
    await setup();
    const challenge = await new RelayHandshake({ backend, relay }).challenge();
    challenge[challenge.length - 1]! ^= 1;
    await rejectsWith(new ClientHandshake({ backend, identity: client, relay: pin() }).onChallenge(challenge), 'BAD_RELAY');
  });

  it('rejects a CHALLENGE from a relay other than the pinned one (BAD_RELAY)', async () => {
    await setup();
    const impostor = new RelayHandshake({ backend, relay: other });
    await rejectsWith(new ClientHandshake({ backend, identity: client, relay: pin() }).onChallenge(await impostor.challenge()), 'BAD_RELAY');
  });

  it('rejects a CHALLENGE with a tampered payload (BAD_RELAY)', async () => {
    await setup();
    const challenge = await new RelayHandshake({ backend, relay }).challenge();
    const c = decodeChallenge(decodeFrame(challenge).payload);
    const tampered = withPayload(challenge, encodeChallenge({ ...c, relayTime: c.relayTime + 1 }));
    await rejectsWith(new ClientHandshake({ backend, identity: client, relay: pin() }).onChallenge(tampered), 'BAD_RELAY');
  });

  it('rejects a relay that speaks no common version (VERSION_MISMATCH)', async () => {
    await setup();
    const rh = new RelayHandshake({ backend, relay, versions: [2, 3] });
    await rejectsWith(new ClientHandshake({ backend, identity: client, relay: pin() }).onChallenge(await rh.challenge()), 'VERSION_MISMATCH');
  });

  it('picks the highest common version', async () => {
    await setup();
    const rh = new RelayHandshake({ backend, relay, versions: [1, 2, 3] });
    const ch = new ClientHandshake({ backend, identity: client, relay: pin(), versions: [1, 2] });
    await rh.onHello(await ch.onChallenge(await rh.challenge()));
    const w = await rh.welcome({ mailboxPending: 0 });
    expect((await ch.onWelcome(w.frame)).session.version).toBe(2);
  });

  it('rejects a non-handshake frame or a non-zero route as UNEXPECTED_MESSAGE', async () => {
    await setup();
    const challenge = decodeFrame(await new RelayHandshake({ backend, relay }).challenge());
    const asPeer = encodeFrame({ ...challenge, kind: FrameKind.peer });
    await rejectsWith(new ClientHandshake({ backend, identity: client, relay: pin() }).onChallenge(asPeer), 'UNEXPECTED_MESSAGE');
    const routed = encodeFrame({ ...challenge, route: new Uint8Array(8).fill(1) });
    await rejectsWith(new ClientHandshake({ backend, identity: client, relay: pin() }).onChallenge(routed), 'UNEXPECTED_MESSAGE');
    await rejectsWith(new ClientHandshake({ backend, identity: client, relay: pin() }).onChallenge(new Uint8Array(10)), 'UNEXPECTED_MESSAGE');
  });

  it('fails a HELLO replayed on another connection (E_R differs)', async () => {
    await setup();
    const first = new RelayHandshake({ backend, relay });
    const hello = await new ClientHandshake({ backend, identity: client, relay: pin() }).onChallenge(await first.challenge());
    await first.onHello(hello.slice());
    const second = new RelayHandshake({ backend, relay });
    await second.challenge();
    await rejectsWith(second.onHello(hello), 'HANDSHAKE_FAILED', 'STATICS');
  });

  it('fails a HELLO that presents an X25519 key the client does not hold (proof does not open)', async () => {
    await setup();
    // Mallory claims Alice's static keys but holds only her own X25519 secret.
    const claimant: Identity = { ...other, x: client.x, ed: client.ed, id: client.id };
    const rh = new RelayHandshake({ backend, relay });
    const hello = await new ClientHandshake({ backend, identity: claimant, relay: pin() }).onChallenge(await rh.challenge());
    await rejectsWith(rh.onHello(hello), 'HANDSHAKE_FAILED', 'PROOF');
  });

  it('fails a HELLO signed with another Ed25519 key than the one presented', async () => {
    await setup();
    const claimant: Identity = { ...client, edSeed: other.edSeed };
    const rh = new RelayHandshake({ backend, relay });
    const hello = await new ClientHandshake({ backend, identity: claimant, relay: pin() }).onChallenge(await rh.challenge());
    await rejectsWith(rh.onHello(hello), 'HANDSHAKE_FAILED', 'SIGNATURE');
  });

  it('accepts exactly one HELLO: a second one fails and ends the handshake', async () => {
    await setup();
    const rh = new RelayHandshake({ backend, relay });
    const hello = await new ClientHandshake({ backend, identity: client, relay: pin() }).onChallenge(await rh.challenge());
    await rh.onHello(hello.slice());
    await rejectsWith(rh.onHello(hello), 'HANDSHAKE_FAILED', 'OUT_OF_ORDER');
    await rejectsWith(rh.welcome({ mailboxPending: 0 }), 'HANDSHAKE_FAILED', 'OUT_OF_ORDER');
  });

  it('fails a tampered HELLO: signature, statics, proof, ephemeral and kind', async () => {
    await setup();
    const fresh = async () => {
      const rh = new RelayHandshake({ backend, relay });
      const hello = await new ClientHandshake({ backend, identity: client, relay: pin() }).onChallenge(await rh.challenge());
      return { rh, hello, h: decodeHello(decodeFrame(hello).payload) };
    };
    let t = await fresh();
    t.hello[t.hello.length - 1]! ^= 0x40; // signature
    await rejectsWith(t.rh.onHello(t.hello), 'HANDSHAKE_FAILED', 'SIGNATURE');
    t = await fresh();
    const statics = t.h.statics.slice();
    statics[0]! ^= 1;
    await rejectsWith(t.rh.onHello(withPayload(t.hello, encodeHello({ ...t.h, statics }))), 'HANDSHAKE_FAILED', 'STATICS');
    t = await fresh();
    const proof = t.h.proof.slice();
    proof[0]! ^= 1;
    await rejectsWith(t.rh.onHello(withPayload(t.hello, encodeHello({ ...t.h, proof }))), 'HANDSHAKE_FAILED', 'PROOF');
    t = await fresh();
    const e = t.h.clientEphemeral.slice();
    e[5]! ^= 1;
    await rejectsWith(t.rh.onHello(withPayload(t.hello, encodeHello({ ...t.h, clientEphemeral: e }))), 'HANDSHAKE_FAILED', 'STATICS');
    t = await fresh();
    await rejectsWith(t.rh.onHello(encodeFrame({ ...decodeFrame(t.hello), kind: FrameKind.control })), 'HANDSHAKE_FAILED', 'MALFORMED');
    t = await fresh();
    await rejectsWith(t.rh.onHello(t.hello.subarray(0, 40)), 'HANDSHAKE_FAILED', 'MALFORMED');
  });

  it('fails a HELLO with a low-order ephemeral key before any decryption', async () => {
    await setup();
    const rh = new RelayHandshake({ backend, relay });
    const hello = await new ClientHandshake({ backend, identity: client, relay: pin() }).onChallenge(await rh.challenge());
    const h = decodeHello(decodeFrame(hello).payload);
    for (const low of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))]) {
      const r = new RelayHandshake({ backend, relay });
      await r.challenge();
      await rejectsWith(r.onHello(withPayload(hello, encodeHello({ ...h, clientEphemeral: low }))), 'HANDSHAKE_FAILED', 'BAD_EPHEMERAL');
    }
  });

  it('fails a HELLO later than HANDSHAKE_TIMEOUT_MS after CHALLENGE', async () => {
    await setup();
    let now = 1_000_000;
    const rh = new RelayHandshake({ backend, relay, now: () => now });
    const hello = await new ClientHandshake({ backend, identity: client, relay: pin() }).onChallenge(await rh.challenge());
    expect(rh.deadline).toBe(1_000_000 + HANDSHAKE_TIMEOUT_MS);
    now += HANDSHAKE_TIMEOUT_MS + 1;
    await rejectsWith(rh.onHello(hello), 'HANDSHAKE_FAILED', 'TIMEOUT');
  });

  it('rejects a WELCOME that is tampered, from another relay, or out of order', async () => {
    await setup();
    const run = async () => {
      const rh = new RelayHandshake({ backend, relay });
      const ch = new ClientHandshake({ backend, identity: client, relay: pin() });
      await rh.onHello(await ch.onChallenge(await rh.challenge()));
      return { ch, w: (await rh.welcome({ mailboxPending: 0 })).frame };
    };
    let r = await run();
    r.w[r.w.length - 1]! ^= 1;
    await rejectsWith(r.ch.onWelcome(r.w), 'BAD_RELAY');
    r = await run();
    const f = decodeFrame(r.w);
    const sealed = f.payload.slice();
    sealed[sealed.length - 1]! ^= 1;
    await rejectsWith(r.ch.onWelcome(encodeFrame({ ...f, payload: sealed })), 'BAD_RELAY');
    // A WELCOME from another handshake of the same relay (another transcript) fails.
    const a = await run();
    const b = await run();
    await rejectsWith(a.ch.onWelcome(b.w), 'BAD_RELAY');
    // WELCOME before CHALLENGE, and a CHALLENGE after HELLO.
    const ch = new ClientHandshake({ backend, identity: client, relay: pin() });
    await rejectsWith(ch.onWelcome(a.w), 'UNEXPECTED_MESSAGE');
    r = await run();
    await rejectsWith(r.ch.onChallenge(await new RelayHandshake({ backend, relay }).challenge()), 'UNEXPECTED_MESSAGE');
  });
});
