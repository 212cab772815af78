/**
 * Mutation fuzzing of the decoders: valid encodings (from the arbitraries, seeded) get bytes
 * flipped, inserted, deleted, overwritten or duplicated. Decoding may only throw CodecError,
 * and whatever decodes must re-encode to exactly the same bytes (every accepted input is
 * canonical). FUZZ_SEED and FUZZ_ITERATIONS override the defaults; a failure prints the seed
 * and the input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as G from '../src/index.ts';
import { codec, hex } from './_codecs.ts';

const STRUCTS: G.StructId[] = ['frame', 'envelope', 'control_message', 'first_contact', 'invite', 'challenge', 'hello', 'welcome'];
const SEED = Number(process.env.FUZZ_SEED ?? 0x9e3779b9) >>> 0;
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 120_000);
const BUDGET_MS = 20_000;

/** xorshift32: small, seeded, reproducible. */
function rng(seed: number) {
  let s = seed || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x10, 0x20, 0x40, 0xc0, 0xc3, 0xed, 0xf4];

function mutate(src: Uint8Array, r: ReturnType<typeof rng>): Uint8Array {
  let b = Array.from(src);
  const n = 1 + r.int(3);
  for (let k = 0; k < n; k++) {
    const at = b.length ? r.int(b.length) : 0;
    switch (r.int(7)) {
      case 0: // flip one bit
        if (b.length) b[at]! ^= 1 << r.int(8);
        break;
      case 1: // overwrite with an interesting byte
        if (b.length) b[at] = INTERESTING[r.int(INTERESTING.length)]!;
        break;
      case 2: // overwrite with a random byte
        if (b.length) b[at] = r.int(256);
        break;
      case 3: // insert bytes
        b.splice(at, 0, ...Array.from({ length: 1 + r.int(4) }, () => (r.next() < 0.5 ? 0 : r.int(256))));
        break;
      case 4: // delete bytes
        b.splice(at, 1 + r.int(4));
        break;
      case 5: // truncate
        b = b.slice(0, at);
        break;
      case 6: // duplicate a chunk
        b.splice(at, 0, ...b.slice(r.int(b.length + 1), r.int(b.length + 1)));
        break;
    }
  }
  return Uint8Array.from(b);
}

describe('mutation fuzzing', () => {
  it(`decoders throw only CodecError and accept only canonical encodings (${ITERATIONS} inputs)`, () => {
    const pools = STRUCTS.map((id, i) => {
      const c = codec(id);
      const values = [...fc.sample(c.arb(), { seed: SEED + i, numRuns: 40 }), ...fc.sample(c.arb({ maxLen: 2048 }), { seed: SEED + 100 + i, numRuns: 10 })];
      return { id, c, encodings: values.map((v) => c.encode(v)) };
    });
    const r = rng(SEED);
    const outcomes = new Map<string, number>();
    const started = Date.now();
    let done = 0;
    for (; done < ITERATIONS; done++) {
      if (done % 4096 === 0 && Date.now() - started > BUDGET_MS && done >= 100_000) break;
      const pool = pools[done % pools.length]!;
      const input = mutate(pool.encodings[r.int(pool.encodings.length)]!, r);
      let decoded: unknown;
      try {
        decoded = pool.c.decode(input);
      } catch (e) {
        if (!G.isCodecError(e)) throw new Error(`seed ${SEED} iteration ${done}: ${pool.id} threw ${String(e)} for ${hex(input)}`);
        if (!(e.offset >= 0 && e.offset <= input.length)) throw new Error(`seed ${SEED} iteration ${done}: ${pool.id} offset ${e.offset} outside the input (${e.message})`);
        outcomes.set(e.code, (outcomes.get(e.code) ?? 0) + 1);
        continue;
      }
      const again = hex(pool.c.encode(decoded));
      if (again !== hex(input)) throw new Error(`seed ${SEED} iteration ${done}: ${pool.id} decoded ${hex(input)} but re-encodes as ${again}`);
      outcomes.set('decoded', (outcomes.get('decoded') ?? 0) + 1);
    }
    expect(done).toBeGreaterThanOrEqual(100_000);
    // The mutations reach every kind of decoding error, and some still decode.
    for (const code of ['decoded', 'SHORT_INPUT', 'TRAILING_BYTES', 'UNKNOWN_CODE', 'OUT_OF_RANGE', 'NON_CANONICAL', 'BAD_UTF8']) expect(outcomes.get(code) ?? 0, code).toBeGreaterThan(0);
  });
});
