/**
 * generated/vectors/frames.json, consumed as another implementation would: every valid case is
 * rebuilt from its fixed inputs and re-opened, every invalid case fails with its error (and
 * never reaches decryption before its signature verified), on the noble and the node backend.
 */
import { readFileSync } from 'node:fs';
import { Direction, FrameKind, decodeFrame } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/index.ts';
import { openControlFrame } from '../../src/protocol/control.ts';
import { OpenError, isOpenError } from '../../src/protocol/errors.ts';
import { openFirstContact } from '../../src/protocol/first-contact.ts';
import { ClientHandshake } from '../../src/protocol/handshake-client.ts';
import { RelayHandshake } from '../../src/protocol/handshake-relay.ts';
import type { SessionKeys } from '../../src/protocol/handshake.ts';
import { identityFromSeed, type Identity, type PublicKeys } from '../../src/protocol/identity.ts';
import { InviteBook } from '../../src/protocol/invite-book.ts';
import { encodeInviteBytes, parseInvite } from '../../src/protocol/invite.ts';
import { derivePairKeys } from '../../src/protocol/pair.ts';
import { openPeer, sealPeer } from '../../src/protocol/peer.ts';
import { ReplayWindow } from '../../src/protocol/replay.ts';
import { RouteDirection } from '../../src/protocol/route.ts';
import { unmaskFrame } from '../../src/protocol/session.ts';
import { readOrder } from '../../src/engine/order.ts';
import { BACKENDS, spy } from './_helpers.ts';

const V: any = JSON.parse(readFileSync(new URL('../../../generated/vectors/frames.json', import.meta.url), 'utf8'));
const b = (h: string) => fromHex(h);
const keys = (k: { x25519: string; ed25519: string }): PublicKeys => ({ x: b(k.x25519), ed: b(k.ed25519) });
/** Decoded values as JSON (bytes as {"$bytes": hex}), to compare with the file. */
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_, x) => (x instanceof Uint8Array ? { $bytes: toHex(x) } : x)));

function queue(values: string[]): (n: number) => Uint8Array {
  let i = 0;
  return (n) => {
    const v = b(values[i++]!);
    expect(v.length).toBe(n);
    return v;
  };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    if (isOpenError(e)) return e.code;
    throw e;
  }
}

describe('frames.json', () => {
  it('names the spec hash and holds every section', () => {
    expect(V._generated).toMatch(/sha256 [0-9a-f]{64}/);
    expect(V.handshake.length).toBeGreaterThan(0);
    expect(V.peer.valid.length).toBeGreaterThan(0);
    expect(V.peer.invalid.map((c: any) => c.name)).toEqual(
      expect.arrayContaining(['bad_signature', 'wrong_recipient', 'replayed', 'truncated', 'tampered_route', 'tampered_ciphertext', 'reflected']),
    );
  });
});

describe.each(BACKENDS)('frames.json on the $name backend', (inner) => {
  const parties = async (): Promise<Record<string, Identity>> => {
    const out: Record<string, Identity> = {};
    for (const [name, p] of Object.entries<any>(V.parties)) {
      out[name] = await identityFromSeed(inner, b(p.seed));
      expect(toHex(out[name].x)).toBe(p.x25519);
      expect(toHex(out[name].ed)).toBe(p.ed25519);
      expect(toHex(out[name].id)).toBe(p.id);
    }
    return out;
  };

  it('replays every handshake transcript on both sides', async () => {
    const p = await parties();
    for (const h of V.handshake) {
      const i = h.inputs;
      const rh = new RelayHandshake({ backend: inner, relay: p.relay!, now: () => i.relay_time, random: queue([i.relay_ephemeral_secret, i.challenge_nonce, i.welcome_nonce]) });
      const ch = new ClientHandshake({ backend: inner, identity: p[h.client]!, relay: { x: p.relay!.x, ed: p.relay!.ed }, now: () => i.client_time, random: queue([i.client_ephemeral_secret, i.hello_nonce]) });
      expect(toHex(await rh.challenge())).toBe(h.frames.challenge);
      expect(toHex(await ch.onChallenge(b(h.frames.challenge)))).toBe(h.frames.hello);
      await rh.onHello(b(h.frames.hello));
      const w = await rh.welcome({ mailboxPending: h.welcome_body.mailboxPending, limits: h.welcome_body });
      expect(toHex(w.frame)).toBe(h.frames.welcome);
      const c = await ch.onWelcome(b(h.frames.welcome));
      expect(asJson(c.welcome)).toEqual(h.welcome_body);
      expect([ch.transcript.th0, ch.transcript.th1, ch.transcript.th2].map((t) => toHex(t!))).toEqual([h.th0, h.th1, h.th2]);
      const s = c.session;
      expect({ version: s.version, route_c2r: toHex(s.routeC2r), route_r2c: toHex(s.routeR2c), control_c2r: toHex(s.controlC2r), control_r2c: toHex(s.controlR2c), control_bind: toHex(s.controlBind) }).toEqual(h.session);
      expect(toHex(w.session.routeR2c)).toBe(h.session.route_r2c);
    }
  });

  it('rebuilds and opens every valid peer frame', async () => {
    const p = await parties();
    for (const c of V.peer.valid) {
      const sender = p[c.sender]!;
      const me = p[c.recipient]!;
      // the relay's view of frame_sent
      const sent = b(c.frame_sent);
      const atRelay = unmaskFrame(new RouteDirection(b(c.route.c2r_key), c.route.c2r_counter), sent.slice());
      expect(toHex(atRelay.id)).toBe(toHex(me.id));
      // the recipient's view of frame_delivered
      const delivered = b(c.frame_delivered);
      const route = unmaskFrame(new RouteDirection(b(c.route.r2c_key), c.route.r2c_counter), delivered);
      expect(route.kind).toBe(FrameKind.peer);
      expect(toHex(route.id)).toBe(toHex(sender.id));
      const opened = await openPeer({ backend: inner, me, candidates: [keys(c.sender_keys)], frame: delivered });
      expect(toHex(opened.plaintext)).toBe(c.envelope.hex);
      expect(asJson(opened.envelope)).toEqual(c.envelope.fields);
      // sealing again with the same nonce gives the same frame (route zero)
      const again = await sealPeer({ backend: inner, sender, recipient: me, envelope: b(c.envelope.hex), nonce: b(c.nonce) });
      expect(toHex(decodeFrame(again).sig)).toBe(toHex(decodeFrame(delivered).sig));
      const pair = await derivePairKeys(inner, sender, me);
      expect([toHex(pair.pairKey), toHex(pair.sendKey), toHex(pair.sendBind)]).toEqual([c.pair_key, c.aead_key, c.bind_key]);
    }
  });

  it('fails every invalid peer frame with its error, never decrypting before the signature verified', async () => {
    const p = await parties();
    const backend = spy(inner);
    for (const c of V.peer.invalid) {
      backend.reset();
      const contacts: PublicKeys[] = c.contacts.map(keys);
      const receive = async () => {
        const frame = b(c.frame_delivered);
        const route = unmaskFrame(new RouteDirection(b(c.r2c_key), c.r2c_counter), frame);
        const candidates = contacts.filter((k) => toHex(k.x).startsWith(toHex(route.id)));
        const opened = await openPeer({ backend, me: p[c.recipient]!, candidates, frame });
        const window = new ReplayWindow();
        for (const s of c.seen_msg_ids ?? []) window.check(b(s.msg_id), s.sent_at, c.now);
        if (window.check(opened.envelope.msgId, opened.envelope.sentAt, c.now) === 'duplicate') throw new OpenError('REPLAYED', 'message id seen');
        readOrder(opened.envelope); // receive_order's order step (BAD_MESSAGE)
      };
      expect(await codeOf(receive()), c.name).toBe(c.error);
      if (['frame', 'route', 'shape', 'signature'].includes(c.stage)) expect(backend.calls.xchachaOpen, c.name).toBe(0);
      if (c.stage === 'frame') expect(backend.calls.ed25519Verify, c.name).toBe(0);
    }
  });

  it('opens every valid control frame and fails every invalid one', async () => {
    const p = await parties();
    const h = V.handshake.find((x: any) => x.client === 'alice');
    const session: SessionKeys = {
      version: h.session.version,
      clientX: p.alice!.x,
      clientEd: p.alice!.ed,
      clientId: p.alice!.id,
      relayX: p.relay!.x,
      relayEd: p.relay!.ed,
      routeC2r: b(h.session.route_c2r),
      routeR2c: b(h.session.route_r2c),
      controlC2r: b(h.session.control_c2r),
      controlR2c: b(h.session.control_r2c),
      controlBind: b(h.session.control_bind),
      th2: b(h.th2),
    };
    const direction = (d: string) => (d === 'client_to_relay' ? Direction.clientToRelay : Direction.relayToClient);
    for (const c of [...V.control.valid, ...V.control.invalid]) {
      const frame = b(c.frame);
      const route = unmaskFrame(new RouteDirection(b(c.route_key), c.counter), frame);
      expect(route.kind).toBe(FrameKind.control);
      const open = openControlFrame({ backend: inner, keys: session, direction: direction(c.direction), counter: c.counter, frame });
      if (c.error) expect(await codeOf(open), c.name).toBe(c.error);
      else expect(asJson(await open)).toEqual(c.message);
    }
  });

  it('opens the valid first contact and fails every invalid one', async () => {
    const p = await parties();
    const backend = spy(inner);
    for (const c of V.first_contact.valid) {
      const invite = parseInvite(c.invite.link, V.now);
      expect(toHex(encodeInviteBytes(invite))).toBe(c.invite.hex);
      expect(toHex(encodeInviteBytes(parseInvite(c.invite.uri, V.now)))).toBe(c.invite.hex);
      const book = new InviteBook();
      book.add(invite);
      const frame = b(c.frame_delivered);
      const route = unmaskFrame(new RouteDirection(b(c.route.r2c_key), c.route.r2c_counter), frame);
      expect(route.kind).toBe(FrameKind.firstContact);
      const got = await openFirstContact({ backend: inner, me: p[c.recipient]!, book, frame, routeId: route.id, contactsWithId: [], now: V.now });
      expect(toHex(got.sender.x)).toBe(toHex(p[c.sender]!.x));
      expect(asJson(got.envelope)).toEqual(c.envelope.fields);
    }
    const invite = parseInvite(b(V.first_contact.valid[0].invite.hex), V.now);
    for (const c of V.first_contact.invalid) {
      const book = new InviteBook();
      book.add(invite).uses = c.invite_uses;
      const frame = b(c.frame_delivered);
      const route = unmaskFrame(new RouteDirection(b(c.r2c_key), c.r2c_counter), frame);
      backend.reset();
      const open = openFirstContact({ backend, me: p[c.recipient]!, book, frame, routeId: route.id, contactsWithId: c.contacts_with_id.map(keys), now: c.now });
      expect(await codeOf(open), c.name).toBe(c.error);
      if (c.error === 'GATE_FAILED' || c.error === 'BAD_INVITE') expect(backend.calls.x25519 + backend.calls.xchachaOpen, c.name).toBe(0);
    }
  });
});

describe('frames.json is up to date', () => {
  it('is byte-identical to what runtime/scripts/gen-frames.ts writes now', async () => {
    const { buildFramesJson, FRAMES_PATH } = await import('../../scripts/gen-frames.ts');
    expect(await buildFramesJson(), 'run `npm run gen:frames`').toBe(readFileSync(FRAMES_PATH, 'utf8'));
  });
});
