/**
 * Attacks on peer frames (issue 3 "Attacks"): each is rejected with its typed error, and
 * before any decryption (a spy backend proves xchachaOpen never ran). The relay path is real:
 * the sender's session masks, the relay unmasks and re-masks in place, the recipient unmasks.
 */
import { FrameKind, ID_SIZE, decodeFrame, encodeFrame } from '@parley/generated';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { isOpenError } from '../../src/protocol/errors.ts';
import type { Identity, PublicKeys } from '../../src/protocol/identity.ts';
import { openPeer, sealPeer } from '../../src/protocol/peer.ts';
import { ReplayWindow } from '../../src/protocol/replay.ts';
import { BACKENDS, connect, forward, identity, spy, textEnvelope, type Connected } from './_helpers.ts';

const L = ed25519.Point.Fn.ORDER;

async function expectOpenError(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(isOpenError(e), `expected OpenError ${code}, got ${String(e)}`).toBe(true);
  expect((e as { code: string }).code).toBe(code);
}

describe.each(BACKENDS)('peer frame attacks on the $name backend', (inner) => {
  const backend = spy(inner);
  let relayId: Identity, alice: Identity, bob: Identity, carol: Identity, mallory: Identity;
  let A: Connected, B: Connected, C: Connected;
  /** Fixed identities, fresh connections (counters from 0) for every test. */
  const setup = async () => {
    relayId ??= await identity(inner, 'relay');
    alice ??= await identity(inner, 'alice');
    bob ??= await identity(inner, 'bob');
    carol ??= await identity(inner, 'carol');
    mallory ??= await identity(inner, 'mallory');
    A = await connect(inner, alice, relayId);
    B = await connect(inner, bob, relayId);
    C = await connect(inner, carol, relayId);
  };
  /** What the recipient does: unmask, look up every contact with that id, open. */
  const receive = (conn: Connected, me: Identity, contacts: PublicKeys[], wire: Uint8Array) => {
    const route = conn.client.unmask(wire);
    const candidates = contacts.filter((c) => Buffer.compare(c.x.subarray(0, ID_SIZE), route.id) === 0);
    backend.reset();
    return openPeer({ backend, me, candidates, frame: wire });
  };
  const noDecryption = () => expect(backend.calls.xchachaOpen, 'decryption was attempted').toBe(0);

  it('delivers an honest frame: the route unmasks to the sender and it opens', async () => {
    await setup();
    const frame = await sealPeer({ backend: inner, sender: alice, recipient: bob, envelope: textEnvelope('hi bob') });
    const opened = await receive(B, bob, [alice, carol], forward(frame, A, B, bob.id));
    expect(opened.sender).toBe(alice);
    expect(opened.envelope.type === 1 && opened.envelope.body.text).toBe('hi bob');
    expect(backend.calls.xchachaOpen).toBe(1);
  });

  it('rejects a frame re-addressed to another recipient (BAD_SIGNATURE)', async () => {
    await setup();
    const frame = await sealPeer({ backend: inner, sender: alice, recipient: bob, envelope: textEnvelope('for bob only') });
    // The relay unmasks Alice's frame for Bob, then delivers it to Carol as from Alice.
    const wire = A.client.route(frame, bob.id);
    A.relay.unmaskIncoming(wire);
    C.relay.deliver(wire, alice.id);
    await expectOpenError(receive(C, carol, [alice], wire), 'BAD_SIGNATURE');
    noDecryption();
  });

  it('rejects a reflected frame (BAD_SIGNATURE)', async () => {
    await setup();
    const frame = await sealPeer({ backend: inner, sender: alice, recipient: bob, envelope: textEnvelope('ping') });
    const wire = A.client.route(frame, bob.id);
    A.relay.unmaskIncoming(wire);
    A.relay.deliver(wire, bob.id); // back to Alice, as if from Bob
    await expectOpenError(receive(A, alice, [bob], wire), 'BAD_SIGNATURE');
    noDecryption();
  });

  it('rejects a frame replayed verbatim on the wire: the counter moved, the route no longer unmasks (UNKNOWN_SENDER)', async () => {
    await setup();
    const frame = await sealPeer({ backend: inner, sender: alice, recipient: bob, envelope: textEnvelope('once') });
    const wire = forward(frame, A, B, bob.id);
    const copy = wire.slice();
    await receive(B, bob, [alice], wire);
    await expectOpenError(receive(B, bob, [alice], copy), 'UNKNOWN_SENDER');
    noDecryption();
  });

  it('reports a frame the relay delivers twice as a duplicate in the replay window, and REPLAYED below the floor', async () => {
    await setup();
    const frame = await sealPeer({ backend: inner, sender: alice, recipient: bob, envelope: textEnvelope('twice', Date.now()) });
    const window = new ReplayWindow({ maxIds: 1 });
    const first = await receive(B, bob, [alice], forward(frame, A, B, bob.id));
    expect(window.check(first.envelope.msgId, first.envelope.sentAt, Date.now())).toBe('fresh');
    // The relay re-masks the same frame correctly: it verifies and opens, the window catches it.
    const again = await receive(B, bob, [alice], forward(frame, A, B, bob.id));
    expect(window.check(again.envelope.msgId, again.envelope.sentAt, Date.now())).toBe('duplicate');
    // Once evicted at the cap, the floor rises above it: REPLAYED.
    window.check(new Uint8Array(16).fill(9), again.envelope.sentAt + 1, Date.now());
    expect(() => window.check(again.envelope.msgId, again.envelope.sentAt, Date.now())).toThrow(/REPLAYED/);
  });

  it('rejects a frame signed by someone else (BAD_SIGNATURE)', async () => {
    await setup();
    const frame = await sealPeer({ backend: inner, sender: alice, recipient: bob, envelope: textEnvelope('genuine') });
    // Mallory re-signs Alice's frame with her own key.
    const f = decodeFrame(frame);
    const forged = encodeFrame({ ...f, sig: await inner.ed25519Sign(mallory.edSeed, f.payload) });
    await expectOpenError(receive(B, bob, [alice], forward(forged, A, B, bob.id)), 'BAD_SIGNATURE');
    noDecryption();
    // Mallory's own frame to Bob, delivered as if from Alice.
    const own = await sealPeer({ backend: inner, sender: mallory, recipient: bob, envelope: textEnvelope('I am alice') });
    await expectOpenError(receive(B, bob, [alice], forward(own, A, B, bob.id)), 'BAD_SIGNATURE');
    noDecryption();
  });

  it('rejects a tampered ciphertext (BAD_SIGNATURE)', async () => {
    await setup();
    const frame = await sealPeer({ backend: inner, sender: alice, recipient: bob, envelope: textEnvelope('intact') });
    const f = decodeFrame(frame);
    const payload = f.payload.slice();
    payload[100]! ^= 0x01;
    await expectOpenError(receive(B, bob, [alice], forward(encodeFrame({ ...f, payload }), A, B, bob.id)), 'BAD_SIGNATURE');
    noDecryption();
  });

  it('rejects a tampered header: route (UNKNOWN_SENDER), nonce (UNKNOWN_SENDER, BAD_SIGNATURE), kind (BAD_KIND)', async () => {
    await setup();
    const seal = () => sealPeer({ backend: inner, sender: alice, recipient: bob, envelope: textEnvelope('header') });
    let wire = forward(await seal(), A, B, bob.id);
    wire[0]! ^= 0x80; // route, in transit
    await expectOpenError(receive(B, bob, [alice], wire), 'UNKNOWN_SENDER');
    noDecryption();
    wire = forward(await seal(), A, B, bob.id);
    wire[ID_SIZE + 3]! ^= 0x01; // nonce, in transit: the keystream changes with it
    await expectOpenError(receive(B, bob, [alice], wire), 'UNKNOWN_SENDER');
    noDecryption();
    // Even when the id is guessed, the signature covers the nonce.
    const f = decodeFrame(await seal());
    const nonce = f.nonce.slice();
    nonce[3]! ^= 1;
    backend.reset();
    await expectOpenError(openPeer({ backend, me: bob, candidates: [alice], frame: encodeFrame({ ...f, nonce }) }), 'BAD_SIGNATURE');
    noDecryption();
    backend.reset();
    await expectOpenError(openPeer({ backend, me: bob, candidates: [alice], frame: encodeFrame({ ...f, kind: FrameKind.firstContact }) }), 'BAD_KIND');
    expect(backend.calls.ed25519Verify).toBe(0);
    noDecryption();
  });

  it('rejects a truncated or padded frame before verifying (BAD_LENGTH)', async () => {
    await setup();
    const frame = await sealPeer({ backend: inner, sender: alice, recipient: bob, envelope: textEnvelope('length') });
    for (const bad of [frame.subarray(0, frame.length - 1), Uint8Array.of(...frame, 0)]) {
      backend.reset();
      await expectOpenError(openPeer({ backend, me: bob, candidates: [alice], frame: bad }), 'BAD_LENGTH');
      expect(backend.calls.ed25519Verify).toBe(0);
      noDecryption();
    }
  });

  it('does not unmask a frame reusing another frame\'s nonce to the same route', async () => {
    await setup();
    const nonce = new Uint8Array(24).fill(7);
    const f1 = await sealPeer({ backend: inner, sender: alice, recipient: bob, envelope: textEnvelope('one'), nonce });
    const f2 = await sealPeer({ backend: inner, sender: alice, recipient: bob, envelope: textEnvelope('two'), nonce });
    const w1 = A.client.route(f1, bob.id);
    const w2 = A.client.route(f2, bob.id);
    // Same id, same nonce: the routes still differ (the counter is in the keystream),
    // so XORing them reveals nothing about the ids.
    expect(Buffer.compare(w1.subarray(0, ID_SIZE), w2.subarray(0, ID_SIZE))).not.toBe(0);
    expect(Buffer.from(A.relay.unmaskIncoming(w1).id)).toEqual(Buffer.from(bob.id));
    expect(Buffer.from(A.relay.unmaskIncoming(w2).id)).toEqual(Buffer.from(bob.id));
    // w1's header presented again at a later counter does not unmask to Bob.
    const route = A.relay.unmaskIncoming(Uint8Array.from(w1));
    expect(Buffer.from(route.id)).not.toEqual(Buffer.from(bob.id));
  });

  it('rejects a contact with a low-order X25519 key (BAD_KEY)', async () => {
    await setup();
    const lowOrder: PublicKeys = { x: new Uint8Array(32), ed: alice.ed };
    await expectOpenError(sealPeer({ backend: inner, sender: bob, recipient: lowOrder, envelope: textEnvelope('x') }), 'BAD_KEY');
    const frame = await sealPeer({ backend: inner, sender: alice, recipient: bob, envelope: textEnvelope('x') });
    backend.reset();
    await expectOpenError(openPeer({ backend, me: bob, candidates: [lowOrder], frame }), 'BAD_KEY');
    noDecryption();
  });

  it('rejects a non-canonical Ed25519 signature (S + L) (BAD_SIGNATURE)', async () => {
    await setup();
    const frame = await sealPeer({ backend: inner, sender: alice, recipient: bob, envelope: textEnvelope('strict') });
    const f = decodeFrame(frame);
    const sig = f.sig.slice();
    sig.set(numberToBytesLE(bytesToNumberLE(sig.subarray(32)) + L, 32), 32);
    backend.reset();
    await expectOpenError(openPeer({ backend, me: bob, candidates: [alice], frame: encodeFrame({ ...f, sig }) }), 'BAD_SIGNATURE');
    noDecryption();
    // the honest frame still opens
    const ok = await openPeer({ backend, me: bob, candidates: [alice], frame });
    expect(ok.envelope.type === 1 && ok.envelope.body.text).toBe('strict');
  });

  it('tries every candidate with the id: an id squatter does not block the real contact', async () => {
    await setup();
    const frame = await sealPeer({ backend: inner, sender: alice, recipient: bob, envelope: textEnvelope('squatted') });
    const squatter: PublicKeys = { x: Uint8Array.of(...alice.id, ...mallory.x.subarray(ID_SIZE)), ed: mallory.ed };
    backend.reset();
    const opened = await openPeer({ backend, me: bob, candidates: [squatter, alice], frame });
    expect(opened.sender).toBe(alice);
    expect(backend.calls.xchachaOpen).toBe(1);
    await expectOpenError(openPeer({ backend, me: bob, candidates: [], frame }), 'UNKNOWN_SENDER');
  });
});
