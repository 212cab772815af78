/**
 * A relay of several nodes lists them in its well-known document (spec documents.well_known
 * endpoints): 1 to MAX_RELAY_ENDPOINTS distinct ws(s) URLs, parsed into the list a client tries.
 * A document without the member (a relay from before it) means the one endpoint `url`; a list
 * that breaks the rule is refused with its own code, BAD_ENDPOINTS.
 */
import { MAX_RELAY_ENDPOINTS, MAX_URL_BYTES } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/index.ts';
import { buildWellKnown, isWellKnownError, parseWellKnown, type WellKnownErrorCode } from '../../src/protocol/index.ts';

const x = randomBytes(32);
const ed = randomBytes(32);

function refused(input: unknown): WellKnownErrorCode {
  try {
    parseWellKnown(input);
  } catch (e) {
    if (isWellKnownError(e)) return e.code;
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(input).slice(0, 120)}`);
}

const nodes = ['wss://a.relay.example/', 'wss://b.relay.example:8443/', 'wss://c.relay.example/'];

describe('the endpoints of the well-known document', () => {
  it('are published as built and parsed back in the same order', () => {
    const doc = buildWellKnown({ url: 'wss://relay.example/', endpoints: nodes, x, ed });
    expect(doc.endpoints).toEqual(nodes);
    const r = parseWellKnown(JSON.stringify(doc));
    expect(r.endpoints).toEqual(nodes);
    expect(r.url).toBe('wss://relay.example/');
  });

  it('default to the one endpoint url, built or parsed without the member', () => {
    const doc = buildWellKnown({ url: 'ws://127.0.0.1:8080/', x, ed });
    expect(doc.endpoints).toEqual(['ws://127.0.0.1:8080/']);
    const { endpoints: _, ...older } = doc;
    expect(parseWellKnown(older).endpoints).toEqual(['ws://127.0.0.1:8080/']);
  });

  it(`accept exactly ${MAX_RELAY_ENDPOINTS} and refuse one more`, () => {
    const many = Array.from({ length: MAX_RELAY_ENDPOINTS + 1 }, (_, i) => `wss://n${i}.relay.example/`);
    const doc = buildWellKnown({ url: 'wss://relay.example/', x, ed });
    expect(parseWellKnown({ ...doc, endpoints: many.slice(0, MAX_RELAY_ENDPOINTS) }).endpoints).toHaveLength(MAX_RELAY_ENDPOINTS);
    expect(refused({ ...doc, endpoints: many })).toBe('BAD_ENDPOINTS');
    expect(() => buildWellKnown({ url: 'wss://relay.example/', endpoints: many, x, ed })).toThrow();
  });

  it('refuse an empty, repeated, non-ws, overlong or downgrading list, each with BAD_ENDPOINTS', () => {
    const doc = buildWellKnown({ url: 'wss://relay.example/', x, ed });
    const broken: unknown[] = [
      [],
      'wss://a.relay.example/',
      [nodes[0], nodes[0]],
      ['https://a.relay.example/'],
      ['wss://has space/'],
      [1234],
      [`wss://${'a'.repeat(MAX_URL_BYTES)}/`],
      // a wss:// relay listing a cleartext node would downgrade every client that picks it
      [nodes[0], 'ws://b.relay.example/'],
    ];
    for (const endpoints of broken) expect(refused({ ...doc, endpoints }), JSON.stringify(endpoints).slice(0, 80)).toBe('BAD_ENDPOINTS');
    // a ws:// relay (loopback, a test) may list ws:// and wss:// nodes alike
    const local = buildWellKnown({ url: 'ws://127.0.0.1:8080/', x, ed });
    expect(parseWellKnown({ ...local, endpoints: ['ws://127.0.0.1:8081/', 'wss://relay.example/'] }).endpoints).toHaveLength(2);
  });
});
