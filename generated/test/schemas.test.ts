/**
 * zod schemas accept every valid decoded value and reject what the encoders reject; regions
 * concatenate their parts as the spec says; derivations and signature messages feed BLAKE3 the
 * right context, key, region and length.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as G from '../src/index.ts';
import { codecs, hex } from './_codecs.ts';

const schemas = G as unknown as Record<string, { safeParse(v: unknown): { success: boolean } }>;

describe.each(codecs)('$id schema', ({ id, arb, encode, decode }) => {
  it('accepts decoded values', () => {
    const schema = schemas[`${G.Layouts[id].name}Schema`]!;
    fc.assert(
      fc.property(arb(), (v) => {
        expect(schema.safeParse(decode(encode(v))).success).toBe(true);
      }),
      { numRuns: 30, seed: 3 },
    );
  });
});

describe('schemas reject what encoders reject', () => {
  const frame = { route: new Uint8Array(8), nonce: new Uint8Array(24), kind: G.FrameKind.peer, payload: new Uint8Array(1), sig: new Uint8Array(64) };
  it.each([
    ['an undefined kind', { ...frame, kind: 6 }],
    ['a short route', { ...frame, route: new Uint8Array(7) }],
    ['a payload too long', { ...frame, payload: new Uint8Array(G.MAX_PAYLOAD_SIZE + 1) }],
    ['a string for bytes', { ...frame, sig: 'x' }],
    ['an extra field', { ...frame, extra: 1 }],
  ])('frame with %s', (_, v) => {
    expect(G.FrameSchema.safeParse(v).success).toBe(false);
  });

  it('envelope: the body must match the type, flags their mask, text its UTF-8 bound', () => {
    const env = { msgId: new Uint8Array(16), sentAt: 0, type: G.MessageType.text, flags: 0, body: { text: 'hi', replyTo: new Uint8Array(16) }, extensions: [], padding: 0 };
    expect(G.EnvelopeSchema.safeParse(env).success).toBe(true);
    expect(G.EnvelopeSchema.safeParse({ ...env, type: G.MessageType.delete }).success).toBe(false);
    expect(G.EnvelopeSchema.safeParse({ ...env, flags: 2 }).success).toBe(false);
    expect(G.EnvelopeSchema.safeParse({ ...env, body: { ...env.body, text: 'é'.repeat(G.MAX_TEXT_BYTES / 2 + 1) } }).success).toBe(false);
    expect(G.EnvelopeSchema.safeParse({ ...env, body: { ...env.body, text: '\ud800' } }).success).toBe(false);
  });
});

const k = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

describe('regions', () => {
  it('peer_signed: version, kind, both keys, nonce, then the u32-prefixed payload', () => {
    const i = { senderX: k(32, 1), recipientX: k(32, 2), nonce: k(24, 3), payload: k(5, 4) };
    const want = Uint8Array.from([G.PROTOCOL_VERSION, G.FrameKind.peer, ...i.senderX, ...i.recipientX, ...i.nonce, ...u32(5), ...i.payload]);
    expect(hex(G.peerSigned(i))).toBe(hex(want));
  });

  it('control_ad: the direction and the u64 counter are inputs', () => {
    const i = { direction: G.Direction.relayToClient, clientX: k(32, 1), relayX: k(32, 2), counter: 2 ** 40 + 7 };
    const want = Uint8Array.from([G.PROTOCOL_VERSION, G.FrameKind.control, 2, ...i.clientX, ...i.relayX, 7, 0, 0, 0, 0, 1, 0, 0]);
    expect(hex(G.controlAd(i))).toBe(hex(want));
  });

  it('file_content: a raw part is written as is', () => {
    expect(hex(G.fileContent({ content: k(3, 9) }))).toBe('090909');
  });

  it('a region with a variable part has pieces whose concatenation is the region, the payload not copied', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ minLength: 24, maxLength: 24 }), (payload, nonce) => {
        const i = { senderX: k(32, 1), recipientX: k(32, 2), nonce, payload };
        for (const [whole, pieces] of [
          [G.peerSigned, G.peerSignedPieces],
          [G.ratchetSigned, G.ratchetSignedPieces],
        ] as const) {
          const ps = pieces(i);
          expect(hex(Buffer.concat(ps))).toBe(hex(whole(i)));
          expect(ps).toContain(payload); // the same array, not a copy
        }
      }),
      { numRuns: 50 },
    );
    expect(() => G.ratchetSignedPieces({ senderX: k(32, 1), recipientX: k(32, 2), nonce: k(23, 3), payload: k(5, 4) })).toThrow(
      expect.objectContaining({ code: 'BAD_VALUE', path: 'ratchet_signed.nonce' }),
    );
  });

  it('rejects wrong lengths, types and values', () => {
    const i = { senderX: k(31, 1), recipientX: k(32, 2), nonce: k(24, 3), payload: k(5, 4) };
    expect(() => G.peerSigned(i)).toThrow(expect.objectContaining({ code: 'BAD_VALUE', path: 'peer_signed.sender_x' }));
    expect(() => G.peerSigned({ ...i, senderX: k(32, 1), payload: [1] as never })).toThrow(expect.objectContaining({ code: 'BAD_VALUE', path: 'peer_signed.payload' }));
    const ad = { direction: 3 as never, clientX: k(32, 1), relayX: k(32, 2), counter: 0 };
    expect(() => G.controlAd(ad)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE', path: 'control_ad.direction' }));
    expect(() => G.controlAd({ ...ad, direction: G.Direction.clientToRelay, counter: -1 })).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE', path: 'control_ad.counter' }));
  });
});

describe('derivations and signature messages', () => {
  const calls: unknown[][] = [];
  const h: G.Blake3 = {
    deriveKey: (context, material, outLen) => (calls.push(['deriveKey', context, hex(material), outLen]), k(outLen, 0xdd)),
    keyedHash: (key, message, outLen) => (calls.push(['keyedHash', hex(key), hex(message), outLen]), k(outLen, 0xee)),
  };

  it('derive_key: the context string, the region bytes and the output size', () => {
    calls.length = 0;
    const i = { dh: k(32, 1), loX: k(32, 2), loEd: k(32, 3), hiX: k(32, 4), hiEd: k(32, 5) };
    expect(G.derivePair(h, i).length).toBe(32);
    expect(calls).toEqual([['deriveKey', 'parley v1 pair', hex(G.pairInput(i)), 32]]);
  });

  it('keyed_hash: the caller\'s key', () => {
    calls.length = 0;
    const key = k(32, 7);
    expect(G.deriveRouteMask(h, key, { counter: 1, nonce: k(24, 1) }).length).toBe(G.ROUTE_SIZE);
    expect(calls).toEqual([['keyedHash', hex(key), hex(G.routeMaskInput({ counter: 1, nonce: k(24, 1) })), 8]]);
  });

  it('a signature message is ascii(label) || KH(bindKey, region)', () => {
    calls.length = 0;
    const i = { senderX: k(32, 1), recipientX: k(32, 2), nonce: k(24, 3), payload: k(5, 4) };
    const m = G.signatureMessagePeer(h, k(32, 9), i);
    expect(Buffer.from(m.subarray(0, 18)).toString('latin1')).toBe('parley v1 sig peer');
    expect(hex(m.subarray(18))).toBe(hex(k(32, 0xee)));
    expect(calls).toEqual([['keyedHash', hex(k(32, 9)), hex(G.peerSigned(i)), 32]]);
  });

  it('a BLAKE3 that hashes pieces gets the signed region in pieces, and the same message results', () => {
    calls.length = 0;
    const pieces: G.Blake3 = { ...h, keyedHashPieces: (key, ps, outLen) => (calls.push(['keyedHashPieces', hex(key), hex(Buffer.concat(ps)), outLen]), k(outLen, 0xee)) };
    const i = { senderX: k(32, 1), recipientX: k(32, 2), nonce: k(24, 3), payload: k(5, 4) };
    expect(hex(G.signatureMessageRatchet(pieces, k(32, 9), i))).toBe(hex(G.signatureMessageRatchet(h, k(32, 9), i)));
    expect(calls[0]).toEqual(['keyedHashPieces', hex(k(32, 9)), hex(G.ratchetSigned(i)), 32]);
  });
});

describe('enums, contexts, constants', () => {
  it('reserved codes are not valid codes', () => {
    expect(G.isFrameKind(G.FrameKind.firstContact)).toBe(true);
    expect(G.isFrameKind(G.FrameKind.ratchet)).toBe(true);
    expect(G.isFrameKind(6)).toBe(false);
    expect(G.isFrameKind('1')).toBe(false);
    expect(G.FrameKindNames[4]).toBe('first_contact');
    expect(G.FrameKindNames[5]).toBe('ratchet');
    expect(G.FrameKindNames[6]).toBeUndefined();
  });

  it('contexts and labels carry their prefixes', () => {
    expect(G.Contexts.identityX25519).toBe('parley v1 identity x25519');
    expect(G.SignatureLabels.firstContact).toBe('parley v1 sig first contact');
    expect(hex(G.SignatureLabelBytes.peer)).toBe(Buffer.from('parley v1 sig peer').toString('hex'));
  });

  it('constants are evaluated from their expressions', () => {
    expect(G.MAX_PAYLOAD_SIZE).toBe(G.MAX_FRAME_SIZE - G.FRAME_OVERHEAD);
    expect(G.FRAME_OVERHEAD).toBe(97);
  });

  it('ErrorDocs documents every code of every group', () => {
    expect(G.ErrorDocs.SHORT_INPUT).toMatch(/^Raised if/);
    expect(G.ErrorDocs.HANDSHAKE_FAILED).toBeTruthy();
  });
});
