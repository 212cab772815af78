/**
 * The relay's well-known document (spec documents.well_known): what buildWellKnown publishes is
 * what parseWellKnown accepts, and a document whose fingerprint is not the fingerprint of its
 * keys, or that breaks any member's rule, is refused with a typed WellKnownError.
 */
import { PROTOCOL_VERSION, RELAY_FINGERPRINT_SIZE, WELL_KNOWN_PROTOCOL, WellKnownDocumentSchema } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/index.ts';
import { buildWellKnown, isWellKnownError, parseWellKnown, relayFingerprint, type WellKnownErrorCode } from '../../src/protocol/index.ts';

const x = randomBytes(32);
const ed = randomBytes(32);
const other = randomBytes(32);

function refused(input: unknown, o: { version?: number } = {}): WellKnownErrorCode {
  try {
    parseWellKnown(input, o);
  } catch (e) {
    if (isWellKnownError(e)) return e.code;
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('the well-known document', () => {
  const doc = buildWellKnown({ url: 'wss://relay.example/', x, ed });

  it('is built with the spec members and parses back to the same keys', () => {
    expect(doc).toEqual({ protocol: WELL_KNOWN_PROTOCOL, versions: [PROTOCOL_VERSION], url: 'wss://relay.example/', endpoints: ['wss://relay.example/'], relay_x: expect.any(String), relay_ed: expect.any(String), fingerprint: relayFingerprint(x, ed) });
    expect(doc.fingerprint.replace(/-/g, '').length).toBe(RELAY_FINGERPRINT_SIZE * 2);
    for (const input of [doc, JSON.stringify(doc), JSON.stringify({ ...doc, extra: 'ignored' })]) {
      const r = parseWellKnown(input);
      expect(r.x).toEqual(x);
      expect(r.ed).toEqual(ed);
      expect(r).toMatchObject({ url: doc.url, fingerprint: doc.fingerprint, versions: [PROTOCOL_VERSION] });
    }
  });

  it('refuses a fingerprint that is not the fingerprint of the published keys', () => {
    expect(refused({ ...doc, fingerprint: relayFingerprint(other, ed) })).toBe('FINGERPRINT_MISMATCH');
    // keys swapped under a genuine fingerprint
    expect(refused({ ...doc, relay_x: doc.relay_ed, relay_ed: doc.relay_x })).toBe('FINGERPRINT_MISMATCH');
    expect(refused({ ...doc, relay_ed: Buffer.from(other).toString('hex') })).toBe('FINGERPRINT_MISMATCH');
  });

  it('refuses another protocol, a relay without our version, and every broken member', () => {
    expect(refused({ ...doc, protocol: 'matrix' })).toBe('WRONG_PROTOCOL');
    expect(refused({ ...doc, versions: [PROTOCOL_VERSION + 1] })).toBe('NO_COMMON_VERSION');
    expect(refused(doc, { version: PROTOCOL_VERSION + 1 })).toBe('NO_COMMON_VERSION');
    const broken: unknown[] = [
      'not json',
      null,
      [doc],
      { ...doc, url: 'https://relay.example/' },
      { ...doc, url: `ws://${'a'.repeat(300)}/` },
      { ...doc, relay_x: doc.relay_x.toUpperCase() },
      { ...doc, relay_x: doc.relay_x.slice(2) },
      { ...doc, relay_ed: undefined },
      { ...doc, fingerprint: doc.fingerprint.replace(/-/g, '') },
      { ...doc, fingerprint: undefined },
      { ...doc, versions: [PROTOCOL_VERSION, 0] },
      { ...doc, versions: [PROTOCOL_VERSION, 1.5] },
      { ...doc, versions: Array.from({ length: 9 }, () => PROTOCOL_VERSION) },
    ];
    for (const d of broken) expect(refused(d), JSON.stringify(d)?.slice(0, 80)).toBe('BAD_DOCUMENT');
  });

  it('the generated schema and the relay agree: the built document is schema-valid', () => {
    expect(WellKnownDocumentSchema.safeParse(doc).success).toBe(true);
    const built = (url: string) => {
      try {
        return buildWellKnown({ url, x, ed }).url;
      } catch (e) {
        return isWellKnownError(e) ? e.code : e;
      }
    };
    expect(built('http://not-a-ws-url/')).toBe('BAD_URL');
    expect(built(`ws://${'h'.repeat(260)}/`)).toBe('BAD_URL'); // over the document's 255 bytes
    expect(built('ws://a b/')).toBe('BAD_URL');
  });
});
