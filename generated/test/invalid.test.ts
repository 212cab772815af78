/**
 * Every invalid encoding from the testing helpers fails with its expected code, offset and
 * path (or decodes, when the helper says the change keeps it valid); encoders reject values
 * outside each kind of bound with the documented code.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as G from '../src/index.ts';
import { invalidEncodings, type Verdict } from '../testing/arbitraries.ts';
import { codec, codecs, hex } from './_codecs.ts';

function verdict(decode: (b: Uint8Array) => unknown, b: Uint8Array): Verdict {
  try {
    decode(b);
    return null;
  } catch (e) {
    if (!G.isCodecError(e)) throw e;
    return { code: e.code, offset: e.offset, path: e.path };
  }
}

describe.each(codecs)('invalid encodings of $id', ({ id, arb, encode, decode }) => {
  it('each fails with the expected code, offset and path', () => {
    const samples = [...fc.sample(arb(), { seed: 7, numRuns: 25 }), ...fc.sample(arb({ maxLen: Infinity }), { seed: 8, numRuns: 3 })];
    let checked = 0;
    for (const v of samples) {
      const b = encode(v);
      for (const c of invalidEncodings(id, b)) {
        expect({ name: c.name, got: verdict(decode, c.bytes) }).toEqual({ name: c.name, got: c.expect });
        if (c.expect === null) expect(hex(encode(decode(c.bytes)))).toBe(hex(c.bytes));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(samples.length);
  });
});

describe('invalid encodings cover the special cases', () => {
  const env = G.encodeEnvelope({ msgId: new Uint8Array(16), sentAt: 1, type: G.MessageType.text, flags: 1, body: { text: 'héllo', replyTo: new Uint8Array(16) }, extensions: [], padding: 100 });
  const cases = invalidEncodings('envelope', env);
  const find = (name: string) => cases.find((c) => c.name === name);

  it('appending 0x00 to padding is valid, 0xff is NON_CANONICAL at the padding', () => {
    expect(find('appended 0x00')?.expect).toBe(null);
    expect(find('appended 0xff')?.expect).toEqual({ code: 'NON_CANONICAL', offset: env.length - 100, path: 'envelope.padding' });
  });

  it('a frame takes an appended byte into its payload (rest field)', () => {
    const f = G.encodeFrame({ route: new Uint8Array(8), nonce: new Uint8Array(24), kind: G.FrameKind.peer, payload: new Uint8Array(5), sig: new Uint8Array(64) });
    const fc2 = invalidEncodings('frame', f);
    expect(fc2.find((c) => c.name === 'appended 0xff')?.expect).toBe(null);
    expect(fc2.find((c) => c.name.startsWith('truncated at 33 '))?.expect).toEqual({ code: 'SHORT_INPUT', offset: 33, path: 'frame.payload' });
  });

  it('a control message body must fill its slice: TRAILING_BYTES inside the switch', () => {
    const b = G.encodeControlMessage({ type: G.ControlType.ring, body: { recipient: new Uint8Array(8) } });
    const c = invalidEncodings('control_message', b).find((x) => x.name === 'appended 0x00');
    expect(c?.expect).toEqual({ code: 'TRAILING_BYTES', offset: 9, path: 'control_message.body(ring)' });
  });
});

describe('decoders agree with the conformance vectors (generated/vectors/codec.json)', async () => {
  const { readFileSync } = await import('node:fs');
  const file = new URL('../vectors/codec.json', import.meta.url);
  type Vec = { struct: G.StructId; name: string; hex: string; error?: { code: string; offset: number }; path?: string };
  const vectors = JSON.parse(readFileSync(file, 'utf8')) as { valid: Vec[]; invalid: Vec[] };
  const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

  it('decodes and re-encodes every valid vector', () => {
    for (const v of vectors.valid) {
      const c = codec(v.struct);
      expect(hex(c.encode(c.decode(bytes(v.hex)))), v.name).toBe(v.hex);
    }
  });

  it('rejects every invalid vector with its code and offset', () => {
    for (const v of vectors.invalid) {
      const got = verdict(codec(v.struct).decode, bytes(v.hex));
      expect({ name: v.name, code: got?.code, offset: got?.offset }).toEqual({ name: v.name, ...v.error });
      // Our paths name the switch case (envelope.body(text).text); the vectors' do not.
      expect(got?.path.replace(/\([a-z0-9_]+\)/g, ''), v.name).toBe(v.path);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Encoders: one test per kind of bound.

const key = () => new Uint8Array(32);
const frame = (over: Partial<G.Frame> = {}): G.Frame => ({ route: new Uint8Array(8), nonce: new Uint8Array(24), kind: G.FrameKind.peer, payload: new Uint8Array(4), sig: new Uint8Array(64), ...over });
const envelope = (over: Record<string, unknown> = {}): G.Envelope =>
  ({ msgId: new Uint8Array(16), sentAt: 0, type: G.MessageType.text, flags: 0, body: { text: 'hi', replyTo: new Uint8Array(16) }, extensions: [], padding: 0, ...over }) as G.Envelope;

function rejects(f: () => unknown, code: G.CodecErrorCode, path: string): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(G.isCodecError(err), String(err)).toBe(true);
  const e = err as G.CodecError;
  expect({ code: e.code, path: e.path, offset: e.offset }).toEqual({ code, path, offset: -1 });
  expect(e.message).toContain(code);
}

describe('encoders reject out-of-range values', () => {
  it('BAD_VALUE: wrong JavaScript types', () => {
    rejects(() => G.encodeFrame(null as never), 'BAD_VALUE', 'frame');
    rejects(() => G.encodeFrame(frame({ route: 'x' as never })), 'BAD_VALUE', 'frame.route');
    rejects(() => G.encodeFrame(frame({ kind: '3' as never })), 'BAD_VALUE', 'frame.kind');
    rejects(() => G.encodeEnvelope(envelope({ body: { text: 5, replyTo: new Uint8Array(16) } })), 'BAD_VALUE', 'envelope.body(text).text');
    rejects(() => G.encodeEnvelope(envelope({ extensions: {} })), 'BAD_VALUE', 'envelope.extensions');
    rejects(() => G.encodeEnvelope(envelope({ body: null })), 'BAD_VALUE', 'envelope.body(text)');
    rejects(() => G.encodeEnvelope(envelope({ padding: '1' })), 'BAD_VALUE', 'envelope.padding');
  });

  it('BAD_VALUE: a constant field with another value', () => {
    rejects(() => G.encodeChallenge({ type: G.HandshakeType.hello as never, versions: [1], relayEphemeral: key(), relayTime: 0 }), 'BAD_VALUE', 'challenge.type');
  });

  it('OUT_OF_RANGE: integers outside their width (never wrapped)', () => {
    const wb = { relayTime: 0, maxFrameSize: 65536, frameRate: 0, byteRate: 0, mailboxPending: 0 };
    rejects(() => G.encodeWelcomeBody({ ...wb, frameRate: 2 ** 32 }), 'OUT_OF_RANGE', 'welcome_body.frame_rate');
    rejects(() => G.encodeWelcomeBody({ ...wb, frameRate: -1 }), 'OUT_OF_RANGE', 'welcome_body.frame_rate');
    rejects(() => G.encodeWelcomeBody({ ...wb, frameRate: 1.5 }), 'OUT_OF_RANGE', 'welcome_body.frame_rate');
    rejects(() => G.encodeWelcomeBody({ ...wb, frameRate: NaN }), 'OUT_OF_RANGE', 'welcome_body.frame_rate');
    rejects(() => G.encodeCallIce({ callId: new Uint8Array(16), candidate: '', sdpMid: '', mlineIndex: 65536 }), 'OUT_OF_RANGE', 'call_ice.mline_index');
    rejects(() => G.encodeEnvelope(envelope({ sentAt: 2 ** 53 })), 'OUT_OF_RANGE', 'envelope.sent_at');
  });

  it('OUT_OF_RANGE: integers outside their min/max', () => {
    const wb = { relayTime: 0, maxFrameSize: 65536, frameRate: 0, byteRate: 0, mailboxPending: 0 };
    rejects(() => G.encodeWelcomeBody({ ...wb, maxFrameSize: G.MIN_FRAME_SIZE - 1 }), 'OUT_OF_RANGE', 'welcome_body.max_frame_size');
    rejects(() => G.encodeWelcomeBody({ ...wb, maxFrameSize: G.MAX_FRAME_SIZE + 1 }), 'OUT_OF_RANGE', 'welcome_body.max_frame_size');
    rejects(() => G.encodeTyping({ active: 2 }), 'OUT_OF_RANGE', 'typing.active');
    rejects(() => G.encodeHelloProof({ clientTime: G.MAX_TIMESTAMP_MS + 1 }), 'OUT_OF_RANGE', 'hello_proof.client_time');
  });

  it('OUT_OF_RANGE: undefined and reserved enum codes, undefined flag bits', () => {
    rejects(() => G.encodeFrame(frame({ kind: 0 as never })), 'OUT_OF_RANGE', 'frame.kind');
    rejects(() => G.encodeFrame(frame({ kind: 6 as never })), 'OUT_OF_RANGE', 'frame.kind');
    rejects(() => G.encodeEnvelope(envelope({ flags: 2 })), 'OUT_OF_RANGE', 'envelope.flags');
  });

  it('OUT_OF_RANGE: fixed-size bytes of another length', () => {
    rejects(() => G.encodeFrame(frame({ route: new Uint8Array(7) })), 'OUT_OF_RANGE', 'frame.route');
    rejects(() => G.encodeFrame(frame({ sig: new Uint8Array(65) })), 'OUT_OF_RANGE', 'frame.sig');
  });

  it('OUT_OF_RANGE: variable lengths beyond their max or below their min (rest, eos, prefix)', () => {
    rejects(() => G.encodeFrame(frame({ payload: new Uint8Array(G.MAX_PAYLOAD_SIZE + 1) })), 'OUT_OF_RANGE', 'frame.payload');
    const fcv = { inviteId: new Uint8Array(16), gateTag: new Uint8Array(16), senderEphemeral: key(), statics: new Uint8Array(80), request: new Uint8Array(15) };
    rejects(() => G.encodeFirstContact(fcv), 'OUT_OF_RANGE', 'first_contact.request');
    rejects(() => G.encodeExtension({ tag: 1, value: new Uint8Array(G.MAX_EXTENSION_BYTES + 1) }), 'OUT_OF_RANGE', 'extension.value');
  });

  it('OUT_OF_RANGE: strings by UTF-8 bytes, not UTF-16 units', () => {
    const text = (t: string) => envelope({ body: { text: t, replyTo: new Uint8Array(16) } });
    expect(() => G.encodeEnvelope(text('x'.repeat(G.MAX_TEXT_BYTES)))).not.toThrow();
    rejects(() => G.encodeEnvelope(text('x'.repeat(G.MAX_TEXT_BYTES + 1))), 'OUT_OF_RANGE', 'envelope.body(text).text');
    rejects(() => G.encodeEnvelope(text('é'.repeat(G.MAX_TEXT_BYTES / 2 + 1))), 'OUT_OF_RANGE', 'envelope.body(text).text');
    rejects(() => G.encodeFileOffer({ fileId: new Uint8Array(16), name: '', mime: '', size: 0, chunkSize: 1, chunkCount: 0, digest: key() }), 'OUT_OF_RANGE', 'file_offer.name');
  });

  it('BAD_UTF8: strings with lone surrogates', () => {
    rejects(() => G.encodeTurnUrl({ url: 'turn:\ud800x' }), 'BAD_UTF8', 'turn_url.url');
    rejects(() => G.encodeTurnUrl({ url: 'é'.repeat(70) + '\udc00' }), 'BAD_UTF8', 'turn_url.url');
  });

  it('OUT_OF_RANGE: list counts and list items', () => {
    const ch = { type: G.HandshakeType.challenge, relayEphemeral: key(), relayTime: 0 } as const;
    rejects(() => G.encodeChallenge({ ...ch, versions: [] }), 'OUT_OF_RANGE', 'challenge.versions');
    rejects(() => G.encodeChallenge({ ...ch, versions: [1, 2, 3, 4, 5, 6, 7, 8, 9] }), 'OUT_OF_RANGE', 'challenge.versions');
    rejects(() => G.encodeChallenge({ ...ch, versions: [1, 256] }), 'OUT_OF_RANGE', 'challenge.versions[1]');
    const url = { url: 'stun:x' };
    rejects(() => G.encodeTurnCredentials({ username: 'u', password: 'p', ttlSeconds: 1, urls: [url, url, url, url, url] }), 'OUT_OF_RANGE', 'turn_credentials.urls');
    rejects(() => G.encodeTurnCredentials({ username: 'u', password: 'p', ttlSeconds: 1, urls: [url, { url: 7 as never }] }), 'BAD_VALUE', 'turn_credentials.urls[1].url');
  });

  it('OUT_OF_RANGE: padding counts', () => {
    rejects(() => G.encodePushPayload({ reason: G.WakeReason.message, padding: 30 }), 'OUT_OF_RANGE', 'push_payload.padding');
    rejects(() => G.encodeEnvelope(envelope({ padding: -1 })), 'OUT_OF_RANGE', 'envelope.padding');
    rejects(() => G.encodeEnvelope(envelope({ padding: 0.5 })), 'OUT_OF_RANGE', 'envelope.padding');
  });

  it('encodeInto: RangeError when the output is too small', () => {
    expect(() => G.encodeFrameInto(frame(), new Uint8Array(100))).toThrow(RangeError);
    expect(() => G.encodeFrameInto(frame(), new Uint8Array(200), 150)).toThrow(RangeError);
    expect(G.encodeFrameInto(frame(), new Uint8Array(200), 99)).toBe(200);
  });

  it('a getter that re-enters an encoder is refused, and the encoder recovers', () => {
    const sneaky = { username: 'u', password: 'p', ttlSeconds: 1, urls: [] } as unknown as G.TurnCredentials;
    Object.defineProperty(sneaky, 'password', { get: () => (G.encodeTurnUrl({ url: 'x' }), 'p'), enumerable: true });
    expect(() => G.encodeTurnCredentials(sneaky)).toThrow(/re-entrant/);
    expect(G.encodeTurnUrl({ url: 'ok' }).length).toBe(3);
  });
});

describe('decoder error messages', () => {
  it('name the code, the path, the offset and what was expected', () => {
    const b = G.encodeEnvelope(envelope());
    b[24] = 99;
    expect(() => G.decodeEnvelope(b)).toThrow('UNKNOWN_CODE at envelope.type (byte 24): expected a code of message_type, got 99');
    expect(() => G.decodeFrame('x' as never)).toThrow(/BAD_VALUE at frame/);
  });
});
