/**
 * Every struct's codec functions and arbitrary, by spec id, for tests that run over all structs.
 * The generated API is one function per struct (tree-shakable); this table is test-only.
 */
import type fc from 'fast-check';
import * as G from '../src/index.ts';
import * as T from '../testing/arbitraries.ts';

export interface Codec {
  id: G.StructId;
  arb: (o?: T.ArbOptions) => fc.Arbitrary<unknown>;
  encode: (v: unknown) => Uint8Array;
  encodeInto: (v: unknown, out: Uint8Array, offset?: number) => number;
  encodedSize: (v: unknown) => number;
  decode: (b: Uint8Array) => unknown;
}

const api = G as unknown as Record<string, unknown>;
const arbs = T as unknown as Record<string, unknown>;

function lookup<F>(table: Record<string, unknown>, name: string): F {
  const f = table[name];
  if (typeof f !== 'function') throw new Error(`missing generated function ${name}`);
  return f as F;
}

export const codecs: Codec[] = (Object.keys(G.Layouts) as G.StructId[]).map((id) => {
  const n = G.Layouts[id].name;
  return {
    id,
    arb: lookup(arbs, `arb${n}`),
    encode: lookup(api, `encode${n}`),
    encodeInto: lookup(api, `encode${n}Into`),
    encodedSize: lookup(api, `encodedSize${n}`),
    decode: lookup(api, `decode${n}`),
  };
});

export function codec(id: G.StructId): Codec {
  return codecs.find((c) => c.id === id)!;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
