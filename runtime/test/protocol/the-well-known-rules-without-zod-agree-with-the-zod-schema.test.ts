/**
 * The well-known document is checked by generated rules without zod (checkWellKnownDocument, so
 * the web app's crypto worker carries no zod), while other packages may use the zod schema of the
 * same spec member list. Both must accept and refuse the same documents and strip the same
 * unknown members.
 */
import { PROTOCOL_VERSION, WellKnownDocumentRules, WellKnownDocumentSchema, checkWellKnownDocument } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/index.ts';
import { buildWellKnown } from '../../src/protocol/index.ts';

const doc = buildWellKnown({ url: 'wss://relay.example/', endpoints: ['wss://n1.relay.example/', 'wss://n2.relay.example/'], x: randomBytes(32), ed: randomBytes(32) });
const { endpoints: _omitted, ...withoutEndpoints } = doc;

const cases: [string, unknown][] = [
  ['the built document', doc],
  ['without the optional endpoints', withoutEndpoints],
  ['with an unknown member', { ...doc, extra: 1 }],
  ['null', null],
  ['an array', [doc]],
  ['a string', 'x'],
  ['another protocol', { ...doc, protocol: 'matrix' }],
  ['versions empty', { ...doc, versions: [] }],
  ['versions too many', { ...doc, versions: Array.from({ length: 9 }, () => PROTOCOL_VERSION) }],
  ['a version 0', { ...doc, versions: [0] }],
  ['a version 256', { ...doc, versions: [256] }],
  ['a fractional version', { ...doc, versions: [1.5] }],
  ['a version as text', { ...doc, versions: ['2'] }],
  ['versions not a list', { ...doc, versions: 2 }],
  ['an http url', { ...doc, url: 'https://relay.example/' }],
  ['a url with a space', { ...doc, url: 'ws://a b/' }],
  ['a url of 256 bytes', { ...doc, url: `ws://${'h'.repeat(251)}` }],
  ['a url of 255 bytes', { ...doc, url: `ws://${'h'.repeat(250)}` }],
  ['a url over 255 UTF-8 bytes in fewer characters', { ...doc, url: `ws://${'é'.repeat(126)}` }],
  ['a url as a number', { ...doc, url: 7 }],
  ['url missing', { ...doc, url: undefined }],
  ['endpoints empty', { ...doc, endpoints: [] }],
  ['17 endpoints', { ...doc, endpoints: Array.from({ length: 17 }, (_, i) => `wss://n${i}.relay.example/`) }],
  ['16 endpoints', { ...doc, endpoints: Array.from({ length: 16 }, (_, i) => `wss://n${i}.relay.example/`) }],
  ['a repeated endpoint', { ...doc, endpoints: ['wss://n1.relay.example/', 'wss://n1.relay.example/'] }],
  ['an http endpoint', { ...doc, endpoints: ['wss://n1.relay.example/', 'http://n2.relay.example/'] }],
  ['an endpoint as a number', { ...doc, endpoints: [1] }],
  ['endpoints as a string', { ...doc, endpoints: 'wss://n1.relay.example/' }],
  ['relay_x in capitals', { ...doc, relay_x: doc.relay_x.toUpperCase() }],
  ['relay_x short', { ...doc, relay_x: doc.relay_x.slice(2) }],
  ['relay_ed missing', { ...doc, relay_ed: undefined }],
  ['fingerprint without dashes', { ...doc, fingerprint: doc.fingerprint.replace(/-/g, '') }],
  ['fingerprint with one group less', { ...doc, fingerprint: doc.fingerprint.slice(5) }],
];

describe('the well-known document rules without zod', () => {
  it.each(cases)('agree with the zod schema: %s', (_, value) => {
    const z = WellKnownDocumentSchema.safeParse(value);
    const c = checkWellKnownDocument(value);
    expect(c.success).toBe(z.success);
    if (c.success && z.success) expect(c.data).toEqual(z.data);
    if (!c.success && !z.success) expect(c.issue.path).toEqual(z.error.issues[0]!.path);
  });

  it('check one member alone as the schema shape does (the endpoints list of a relay operator)', () => {
    for (const [, value] of cases) {
      const endpoints = (value as { endpoints?: unknown } | null)?.endpoints;
      if (endpoints === undefined) continue;
      expect(WellKnownDocumentRules.endpoints(endpoints) === undefined).toBe(WellKnownDocumentSchema.shape.endpoints.safeParse(endpoints).success);
    }
  });
});
