/**
 * Deterministic value generation for the codec vectors: a seeded PRNG (xorshift128, seeded from a
 * string through FNV-1a, so every vector has its own stream and adding a struct does not move the
 * others) and generators that build a valid value of any struct in a "min", "max" or "random"
 * mode. No Math.random, no clock: the same spec gives the same values on every run.
 */
import { INT_MAX, type EnumIR, type FieldIR, type SizeIR, type SpecIR, type StructIR } from '../ir.ts';
import { camel, type Value, type ValueObject } from '../interp.ts';

/** Marsaglia's xorshift128 over four 32-bit words. */
export class Rng {
  private s: [number, number, number, number];
  constructor(seed: string) {
    // FNV-1a of the seed, then each state word from a different multiplier, never all zero.
    let h = 0x811c9dc5;
    for (const ch of new TextEncoder().encode(seed)) h = Math.imul(h ^ ch, 0x01000193) >>> 0;
    const word = (k: number) => {
      let x = Math.imul(h ^ (k * 0x9e3779b9), 0x85ebca6b) >>> 0;
      x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
      return (x ^ (x >>> 16)) >>> 0 || k + 1;
    };
    this.s = [word(1), word(2), word(3), word(4)];
    for (let i = 0; i < 8; i++) this.u32();
  }
  u32(): number {
    let t = this.s[3];
    const s = this.s[0];
    this.s[3] = this.s[2];
    this.s[2] = this.s[1];
    this.s[1] = s;
    t ^= t << 11;
    t ^= t >>> 8;
    this.s[0] = (t ^ s ^ (s >>> 19)) >>> 0;
    return this.s[0];
  }
  /** An integer in [lo, hi], both at most 2^53 - 1. */
  int(lo: number, hi: number): number {
    if (hi <= lo) return lo;
    const span = BigInt(hi - lo) + 1n;
    const r = (BigInt(this.u32()) << 32n) | BigInt(this.u32());
    return lo + Number(r % span);
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
}

/** Characters by UTF-8 length, so a string of an exact byte length mixes 1- to 4-byte sequences. */
const CHARS: Record<number, string[]> = {
  1: [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_./:'],
  2: [...'éßЖüñΩ'],
  3: [...'€中あह✓'],
  4: [...'😀𝄞🦜'],
};

/** A random string of exactly `n` UTF-8 bytes. */
export function randomString(rng: Rng, n: number): string {
  let s = '';
  let left = n;
  while (left > 0) {
    const len = rng.int(0, 9) < 6 ? 1 : rng.int(1, Math.min(4, left));
    s += rng.pick(CHARS[len]!);
    left -= len;
  }
  return s;
}

export type Mode = 'min' | 'max' | 'random';

export interface GenOptions {
  mode: Mode;
  /** At depth 0: which enum value (and so which switch case) to take, modulo the value count. */
  pick: number | null;
  /** Largest length of a variable field at depth 0 (deeper: NESTED_CAP). */
  cap: number;
}

/** Length and count caps keep the vector file small. */
export const TOP_CAP = 4096;
const NESTED_CAP = 256;
const TOP_COUNT_CAP = 64;
const NESTED_COUNT_CAP = 8;
/** Random lengths stay close to the minimum, so random vectors are short. */
const RANDOM_SPREAD = 40;
const RANDOM_COUNT_SPREAD = 4;

export class ValueGen {
  private readonly structs: Map<string, StructIR>;
  private readonly enums: Map<string, EnumIR>;
  constructor(readonly ir: SpecIR) {
    this.structs = new Map(ir.structs.map((s) => [s.id, s]));
    this.enums = new Map(ir.enums.map((e) => [e.id, e]));
  }

  /** Non-reserved values of an enum, by code. */
  usable(enumId: string): number[] {
    return this.enums
      .get(enumId)!
      .values.filter((v) => !v.reserved)
      .map((v) => v.value)
      .sort((a, b) => a - b);
  }

  struct(id: string, rng: Rng, opt: GenOptions, depth = 0): ValueObject {
    const s = this.structs.get(id)!;
    const out: ValueObject = {};
    for (const f of s.fields) out[camel(f.id)] = this.field(f, out, rng, opt, depth);
    return out;
  }

  private field(f: FieldIR, sofar: ValueObject, rng: Rng, opt: GenOptions, depth: number): Value {
    const { mode } = opt;
    const pick = depth === 0 ? opt.pick : null;
    const cap = depth === 0 ? opt.cap : NESTED_CAP;
    const countCap = depth === 0 ? TOP_COUNT_CAP : NESTED_COUNT_CAP;
    const choose = (lo: number, hi: number, spread: number) => (mode === 'min' ? lo : mode === 'max' ? hi : rng.int(lo, Math.min(hi, lo + spread)));
    switch (f.type) {
      case 'u8':
      case 'u16':
      case 'u32':
      case 'u64': {
        if (f.const !== undefined) return f.const;
        if (f.enum) {
          const vals = this.usable(f.enum);
          if (pick !== null) return vals[pick % vals.length]!;
          return mode === 'min' ? vals[0]! : mode === 'max' ? vals[vals.length - 1]! : rng.pick(vals);
        }
        const lo = f.min ?? 0;
        const hi = f.max ?? INT_MAX[f.type];
        if (f.mask !== undefined) {
          const m = mode === 'min' ? 0 : mode === 'max' ? f.mask : Number(BigInt(rng.int(0, hi)) & BigInt(f.mask));
          return Math.min(Math.max(m, lo), hi);
        }
        return mode === 'min' ? lo : mode === 'max' ? hi : rng.int(lo, hi);
      }
      case 'bytes':
      case 'str':
      case 'zeros': {
        const n = this.length(f.size, f.minLen, f.maxLen, cap, choose);
        if (f.type === 'zeros') return n;
        return f.type === 'bytes' ? rng.bytes(n) : randomString(rng, n);
      }
      case 'list': {
        const n = choose(f.minCount, Math.min(f.maxCount, countCap), RANDOM_COUNT_SPREAD);
        return Array.from({ length: n }, () => (f.of === 'u8' ? rng.int(0, 255) : this.struct(f.of, rng, { ...opt, pick: null }, depth + 1)));
      }
      case 'struct':
        return this.struct(f.struct, rng, opt, depth + 1);
      case 'switch': {
        const selector = sofar[camel(f.on)] as number;
        const c = f.cases.find((x) => x.value === selector)!;
        return this.struct(c.struct, rng, opt, depth + 1);
      }
    }
  }

  private length(size: SizeIR, min: number | undefined, max: number | undefined, cap: number, choose: (lo: number, hi: number, spread: number) => number): number {
    if (size.kind === 'fixed') return size.value;
    const lo = min ?? 0;
    const widthMax = size.kind === 'prefix' ? INT_MAX[size.width] : Infinity;
    const hi = Math.max(lo, Math.min(max ?? widthMax, widthMax, cap));
    return choose(lo, hi, RANDOM_SPREAD);
  }
}
