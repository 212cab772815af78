import { describe, expect, it } from 'vitest';
import { Router } from '../src/router.ts';

const h = (idKey: string, holderKey: string) => ({ idKey, holderKey });

describe('Router', () => {
  it('binds several key pairs to one id and lists all of them', () => {
    const r = new Router(4);
    const a = h('id', 'A'), b = h('id', 'B');
    expect(r.bind(a)).toEqual({ replaced: undefined, bound: true });
    expect(r.bind(b)).toEqual({ replaced: undefined, bound: true });
    expect(r.holders('id')).toEqual([a, b]);
  });

  it('replaces the connection of the same key pair', () => {
    const r = new Router(4);
    const a1 = h('id', 'A'), a2 = h('id', 'A');
    r.bind(a1);
    expect(r.bind(a2).replaced).toBe(a1);
    expect(r.holders('id')).toEqual([a2]);
    r.unbind(a1); // the replaced connection closing later changes nothing
    expect(r.holders('id')).toEqual([a2]);
    r.unbind(a2);
    expect(r.holders('id')).toBeUndefined();
  });

  it('does not bind beyond the bound, silently', () => {
    const r = new Router(2);
    r.bind(h('id', 'A'));
    r.bind(h('id', 'B'));
    const c = h('id', 'C');
    expect(r.bind(c)).toEqual({ replaced: undefined, bound: false });
    expect(r.holders('id')).toHaveLength(2);
  });

  it('never mutates a holder list a caller may be iterating', () => {
    const r = new Router(4);
    const a = h('id', 'A');
    r.bind(a);
    const list = r.holders('id')!;
    r.bind(h('id', 'B'));
    r.unbind(a);
    expect(list).toEqual([a]);
  });
});
