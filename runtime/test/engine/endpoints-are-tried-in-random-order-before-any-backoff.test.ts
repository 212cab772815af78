/**
 * The order in which a client dials a relay's endpoints (runtime/src/engine/endpoints.ts): a
 * random permutation, each endpoint once per round; the round ends (back off, reshuffle) only
 * when every endpoint has failed in a row, and a session that comes up starts a new round.
 */
import { MAX_RELAY_ENDPOINTS } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { EndpointRing } from '../../src/engine/endpoints.ts';

const urls = ['ws://n0/', 'ws://n1/', 'ws://n2/', 'ws://n3/'];

/** The endpoints dialled in one round, from the current one until fail() says back off. */
function round(r: EndpointRing): { dialled: string[]; backoff: boolean } {
  const dialled = [r.current];
  for (let i = 0; i < MAX_RELAY_ENDPOINTS; i++) {
    if (!r.fail()) return { dialled, backoff: true };
    dialled.push(r.current);
  }
  return { dialled, backoff: false };
}

describe('the endpoints of a relay', () => {
  it('are each dialled once per round, then the client backs off', () => {
    const r = new EndpointRing(urls, Math.random);
    for (let i = 0; i < 5; i++) {
      const { dialled, backoff } = round(r);
      expect(backoff).toBe(true);
      expect([...dialled].sort()).toEqual(urls);
    }
  });

  it('come in a random order: over many clients, each endpoint is someone’s first', () => {
    const first = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const c = new EndpointRing(urls, Math.random).current;
      first.set(c, (first.get(c) ?? 0) + 1);
    }
    // 100 expected each; below 50 has a probability far under 1e-9
    for (const u of urls) expect(first.get(u) ?? 0).toBeGreaterThan(50);
  });

  it('start a new round from the node a session came up on', () => {
    const r = new EndpointRing(urls, Math.random);
    r.fail();
    r.fail();
    const on = r.current;
    r.succeeded();
    // that node goes away: the three others are tried at once, then the backoff
    const { dialled, backoff } = round(r);
    expect(dialled[0]).toBe(on);
    expect(dialled).toHaveLength(urls.length);
    expect(backoff).toBe(true);
  });

  it('one endpoint: every failure backs off, as with a single relay', () => {
    const r = new EndpointRing(['ws://only/'], Math.random);
    expect(r.fail()).toBe(false);
    expect(r.current).toBe('ws://only/');
    r.succeeded();
    expect(r.fail()).toBe(false);
  });

  it(`refuse none, or more than MAX_RELAY_ENDPOINTS (${MAX_RELAY_ENDPOINTS})`, () => {
    expect(() => new EndpointRing([], Math.random)).toThrow(RangeError);
    expect(() => new EndpointRing(Array.from({ length: MAX_RELAY_ENDPOINTS + 1 }, (_, i) => `ws://n${i}/`), Math.random)).toThrow(RangeError);
    // a repeated URL counts once
    expect(round(new EndpointRing(['ws://a/', 'ws://a/', 'ws://b/'], Math.random)).dialled).toHaveLength(2);
  });
});
