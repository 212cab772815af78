/**
 * RelaySession keeps a connection's keys compactly (route keys as words, everything else in
 * one byte array), because the relay holds one per connection: it must still behave exactly
 * like the reference path (RouteDirection on the client side, deriveRouteMask from the spec),
 * expose the handshake's keys, take the handshake's secrets over (wiping the originals), and
 * refuse use after destroy().
 */
import { ControlType, FrameKind, ROUTE_SIZE, deriveRouteMask } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { deriveKey, keyedHash } from '../../src/crypto/index.ts';
import { FRAME_NONCE_OFFSET, FRAME_ROUTE_OFFSET } from '../../src/protocol/frame.ts';
import { ClientHandshake } from '../../src/protocol/handshake-client.ts';
import { RelayHandshake } from '../../src/protocol/handshake-relay.ts';
import { sealPeer } from '../../src/protocol/peer.ts';
import { RouteDirection } from '../../src/protocol/route.ts';
import { ClientSession, RelaySession } from '../../src/protocol/session.ts';
import { BACKENDS, identity } from './_helpers.ts';

const H = { deriveKey, keyedHash };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe.each(BACKENDS)('RelaySession on the $name backend', (backend) => {
  const handshake = async () => {
    const relay = await identity(backend, 'relay');
    const alice = await identity(backend, 'alice');
    const bob = await identity(backend, 'bob');
    const rh = new RelayHandshake({ backend, relay });
    const ch = new ClientHandshake({ backend, identity: alice, relay: { x: relay.x, ed: relay.ed } });
    await rh.onHello(await ch.onChallenge(await rh.challenge()));
    const w = await rh.welcome({ mailboxPending: 0 });
    const c = await ch.onWelcome(w.frame);
    return { relay, alice, bob, relayKeys: w.session, clientKeys: c.session };
  };

  it('takes the handshake\'s keys over: same public keys and control keys, the originals\' secrets wiped', async () => {
    const { relay, relayKeys, clientKeys } = await handshake();
    const routeR2c = relayKeys.routeR2c.slice();
    const s = new RelaySession(backend, relayKeys, relay.edSeed);
    for (const a of [relayKeys.routeC2r, relayKeys.routeR2c, relayKeys.controlC2r, relayKeys.controlR2c, relayKeys.controlBind]) {
      expect(a.every((b) => b === 0)).toBe(true);
    }
    const k = s.keys;
    for (const f of ['clientX', 'clientEd', 'relayX', 'relayEd', 'controlC2r', 'controlR2c', 'controlBind', 'th2'] as const) {
      expect(hex(k[f]), f).toBe(hex(clientKeys[f]));
    }
    expect(k.version).toBe(clientKeys.version);
    expect(hex(k.clientId)).toBe(hex(clientKeys.clientId));
    expect(hex(s.clientId)).toBe(hex(clientKeys.clientId));
    // The route keys are kept as words only; they mask as the spec says (below).
    expect(hex(routeR2c)).toBe(hex(clientKeys.routeR2c));
  });

  it('masks and unmasks as the reference does, in both directions, over many counters', async () => {
    const { relay, alice, bob, relayKeys, clientKeys } = await handshake();
    const s = new RelaySession(backend, relayKeys, relay.edSeed);
    const client = new ClientSession(backend, clientKeys, alice.edSeed);
    const refIn = new RouteDirection(clientKeys.routeR2c);
    const frame = await sealPeer({ backend, sender: alice, recipient: bob, envelope: new Uint8Array(256) });
    for (let counter = 0; counter < 300; counter++) {
      // client -> relay: unmaskIncoming gives the recipient id, the counter and the kind
      const up = client.route(frame.slice(), bob.id);
      const r = s.unmaskIncoming(up);
      expect(r.counter).toBe(counter);
      expect(r.kind).toBe(FrameKind.peer);
      expect(hex(up.subarray(FRAME_ROUTE_OFFSET, FRAME_ROUTE_OFFSET + ROUTE_SIZE))).toBe(hex(bob.id));
      // relay -> client: route = sender id XOR route_mask(route_r2c, counter, nonce)
      const down = s.deliver(frame.slice(), alice.id);
      const nonce = down.subarray(FRAME_NONCE_OFFSET, FRAME_NONCE_OFFSET + 24);
      const mask = deriveRouteMask(H, clientKeys.routeR2c, { counter, nonce });
      expect(hex(down.subarray(0, ROUTE_SIZE))).toBe(hex(alice.id.map((b, i) => b ^ mask[i]!)));
      refIn.unmaskWith(refIn.next(), down);
      expect(hex(down.subarray(0, ROUTE_SIZE))).toBe(hex(alice.id));
    }
    expect(s.counters).toEqual({ sent: 300, received: 300 });
  });

  it('seals control frames the client opens, with the next counter', async () => {
    const { relay, alice, bob, relayKeys, clientKeys } = await handshake();
    const s = new RelaySession(backend, relayKeys, relay.edSeed);
    const client = new ClientSession(backend, clientKeys, alice.edSeed);
    const peer = await sealPeer({ backend, sender: bob, recipient: alice, envelope: new Uint8Array(256) });
    client.unmask(s.deliver(peer, bob.id)); // counter 0
    const down = await s.sealControl({ type: ControlType.mailboxDrained, body: { delivered: 1 } });
    const r = client.unmask(down);
    expect(r.counter).toBe(1);
    const m = await client.openControl(down, r.counter);
    expect(m.type === ControlType.mailboxDrained && m.body.delivered).toBe(1);
  });

  it('shares one result object between sessions (read it before the next unmask), and refuses use after destroy()', async () => {
    const a = await handshake();
    const b = await handshake();
    const sa = new RelaySession(backend, a.relayKeys, a.relay.edSeed);
    const sb = new RelaySession(backend, b.relayKeys, b.relay.edSeed);
    const ca = new ClientSession(backend, a.clientKeys, a.alice.edSeed);
    const cb = new ClientSession(backend, b.clientKeys, b.alice.edSeed);
    const f = await sealPeer({ backend, sender: a.alice, recipient: a.bob, envelope: new Uint8Array(256) });
    const ra = sa.unmaskIncoming(ca.route(f.slice(), a.bob.id));
    const rb = sb.unmaskIncoming(cb.route(f.slice(), a.bob.id));
    expect(rb).toBe(ra);
    sa.destroy();
    expect(sa.keys.controlC2r.every((x) => x === 0)).toBe(true);
    expect(() => sa.unmaskIncoming(f.slice())).toThrow(/destroy/);
    expect(() => sa.deliver(f.slice(), a.bob.id)).toThrow(/destroy/);
    await expect(sa.sealControl({ type: ControlType.mailboxDrained, body: { delivered: 0 } })).rejects.toThrow(/destroy/);
  });
});
