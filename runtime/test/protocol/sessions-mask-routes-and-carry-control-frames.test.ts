/**
 * Sessions after the handshake: route masking follows spec derivations.route_mask with the
 * per-direction counter (checked against the generated reference derivation), the relay's
 * in-place path unmasks and re-masks, and control frames are bound to their direction and
 * counter (no reflection, no reordering).
 */
import {
  ControlType,
  FrameKind,
  ID_SIZE,
  MAX_FRAME_SIZE,
  MIN_FRAME_SIZE,
  NONCE_SIZE,
  ROUTE_SIZE,
  decodeFrame,
  deriveRouteMask,
  encodeFrame,
} from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { deriveKey, keyedHash } from '../../src/crypto/index.ts';
import { isOpenError } from '../../src/protocol/errors.ts';
import { FRAME_KIND_OFFSET, FRAME_NONCE_OFFSET } from '../../src/protocol/frame.ts';
import { sealPeer } from '../../src/protocol/peer.ts';
import { BACKENDS, connect, identity } from './_helpers.ts';

const H = { deriveKey, keyedHash };

function xor8(a: Uint8Array, b: Uint8Array): Uint8Array {
  return Uint8Array.from({ length: ROUTE_SIZE }, (_, i) => a[i]! ^ b[i]!);
}

function openErrorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isOpenError(e) ? e.code : String(e);
  }
  return undefined;
}

describe.each(BACKENDS)('sessions on the $name backend', (backend) => {
  const parties = async () => {
    const relay = await identity(backend, 'relay');
    const alice = await identity(backend, 'alice');
    const bob = await identity(backend, 'bob');
    return { relay, alice, bob, A: await connect(backend, alice, relay), B: await connect(backend, bob, relay) };
  };

  it('masks routes as id XOR route_mask(key, counter, nonce), counting frames per direction from 0', async () => {
    const { alice, bob, A, B } = await parties();
    for (let counter = 0; counter < 5; counter++) {
      const frame = await sealPeer({ backend, sender: alice, recipient: bob, envelope: new Uint8Array(256) });
      const nonce = frame.slice(FRAME_NONCE_OFFSET, FRAME_NONCE_OFFSET + NONCE_SIZE);
      const wire = A.client.route(frame, bob.id);
      const mask = deriveRouteMask(H, A.client.keys.routeC2r, { counter, nonce });
      expect(Buffer.from(wire.subarray(0, ROUTE_SIZE))).toEqual(Buffer.from(xor8(bob.id, mask)));
      const route = A.relay.unmaskIncoming(wire);
      expect(route.counter).toBe(counter);
      expect(route.kind).toBe(FrameKind.peer);
      expect(Buffer.from(route.id)).toEqual(Buffer.from(bob.id));
      B.relay.deliver(wire, A.relay.clientId);
      const r2c = deriveRouteMask(H, B.client.keys.routeR2c, { counter, nonce });
      expect(Buffer.from(wire.subarray(0, ROUTE_SIZE))).toEqual(Buffer.from(xor8(alice.id, r2c)));
      const got = B.client.unmask(wire);
      expect(Buffer.from(got.id)).toEqual(Buffer.from(alice.id));
      expect(got.counter).toBe(counter);
    }
    expect(A.client.counters).toEqual({ sent: 5, received: 0 });
    expect(B.relay.counters).toEqual({ sent: 5, received: 0 });
  });

  it('routes ratchet frames (v2) like peer frames: masked by the client, unmasked and re-masked by the relay', async () => {
    const { alice, bob, A, B } = await parties();
    const peer = await sealPeer({ backend, sender: alice, recipient: bob, envelope: new Uint8Array(256) });
    const frame = peer.slice();
    frame.set([FrameKind.ratchet], FRAME_KIND_OFFSET);
    const wire = A.client.route(frame, bob.id);
    const route = A.relay.unmaskIncoming(wire);
    expect(route.kind).toBe(FrameKind.ratchet);
    expect(Buffer.from(route.id)).toEqual(Buffer.from(bob.id));
    B.relay.deliver(wire, A.relay.clientId);
    const got = B.client.unmask(wire);
    expect(got.kind).toBe(FrameKind.ratchet);
    expect(Buffer.from(got.id)).toEqual(Buffer.from(alice.id));
  });

  it('reuses one result object on the relay path (no allocation per frame)', async () => {
    const { alice, bob, A } = await parties();
    const f1 = A.client.route(await sealPeer({ backend, sender: alice, recipient: bob, envelope: new Uint8Array(256) }), bob.id);
    const f2 = A.client.route(await sealPeer({ backend, sender: alice, recipient: bob, envelope: new Uint8Array(256) }), bob.id);
    const r1 = A.relay.unmaskIncoming(f1);
    const id1 = r1.id;
    expect(A.relay.unmaskIncoming(f2)).toBe(r1);
    expect(r1.id).toBe(id1);
  });

  it('carries control frames both ways, bound to direction and counter', async () => {
    const { A } = await parties();
    const tag = new Uint8Array(16).fill(5);
    const up = await A.client.sealControl({ type: ControlType.registerWake, body: { tag } });
    const r = A.relay.unmaskIncoming(up);
    expect(r.kind).toBe(FrameKind.control);
    expect(r.id.every((b) => b === 0)).toBe(true);
    const msg = await A.relay.openControl(up, r.counter);
    expect(msg.type === ControlType.registerWake && Buffer.from(msg.body.tag)).toEqual(Buffer.from(tag));

    const down = await A.relay.sealControl({ type: ControlType.mailboxDrained, body: { delivered: 3 } });
    const c = A.client.unmask(down);
    expect(c.kind).toBe(FrameKind.control);
    const got = await A.client.openControl(down, c.counter);
    expect(got.type === ControlType.mailboxDrained && got.body.delivered).toBe(3);

    // Opened with another counter (reordered or replayed): the signature fails.
    await expect(A.relay.openControl(up, r.counter + 1)).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    // Reflected: the client's own control frame back from the relay (other direction).
    await expect(A.client.openControl(up, r.counter)).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    // Tampered payload.
    const f = decodeFrame(down);
    const payload = f.payload.slice();
    payload[0]! ^= 1;
    await expect(A.client.openControl(encodeFrame({ ...f, payload }), c.counter)).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    // A peer frame is not a control frame.
    await expect(A.client.openControl(encodeFrame({ ...f, kind: FrameKind.peer }), c.counter)).rejects.toMatchObject({ code: 'BAD_KIND' });
  });

  it('rejects frames the session cannot carry: length, kind, id 0 mismatches', async () => {
    const { alice, bob, A } = await parties();
    const peer = await sealPeer({ backend, sender: alice, recipient: bob, envelope: new Uint8Array(256) });
    expect(openErrorCode(() => A.relay.unmaskIncoming(new Uint8Array(MIN_FRAME_SIZE - 1)))).toBe('BAD_LENGTH');
    expect(openErrorCode(() => A.relay.unmaskIncoming(new Uint8Array(MAX_FRAME_SIZE + 1)))).toBe('BAD_LENGTH');
    const hs = peer.slice();
    hs.set([FrameKind.handshake], FRAME_KIND_OFFSET);
    expect(openErrorCode(() => A.relay.unmaskIncoming(hs))).toBe('BAD_KIND');
    const undefinedKind = peer.slice();
    undefinedKind.set([FrameKind.ratchet + 1], FRAME_KIND_OFFSET);
    expect(openErrorCode(() => A.relay.unmaskIncoming(undefinedKind))).toBe('BAD_KIND');
    // (the relay closes the connection after any of these; the counters are out of step now)
  });

  it('rejects a peer frame routed to id 0 and a control frame routed to an id (BAD_KIND)', async () => {
    const { alice, bob, A } = await parties();
    const peer = await sealPeer({ backend, sender: alice, recipient: bob, envelope: new Uint8Array(256) });
    const toZero = A.client.route(peer.slice(), new Uint8Array(ID_SIZE));
    expect(openErrorCode(() => A.relay.unmaskIncoming(toZero))).toBe('BAD_KIND');
    const ctl = await A.client.sealControl({ type: ControlType.bye, body: {} });
    ctl[0]! ^= 1;
    expect(openErrorCode(() => A.relay.unmaskIncoming(ctl))).toBe('BAD_KIND');
    expect(() => A.client.route(ctl, bob.id)).toThrow(TypeError);
  });
});
