import { describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from '../generator/load.ts';
import { decodeWith, encodeWith, isCodecError, isInt, type ValueObject } from '../generator/interp.ts';
import { stamp } from '../generator/emit/file.ts';
import { buildVectors, emitVectors, fromJson, toJson, type CodecVectors, type JsonValue } from '../generator/emit/vectors.ts';
import type { SpecIR } from '../generator/ir.ts';

const file = fileURLToPath(new URL('../../generated/vectors/codec.json', import.meta.url));
const ir = loadSpecFile(fileURLToPath(new URL('../protocol.yaml', import.meta.url)));
const tiny = loadSpecFile(fileURLToPath(new URL('./fixtures/tiny-docs.yaml', import.meta.url)));
const json = JSON.parse(readFileSync(file, 'utf8')) as CodecVectors & { _generated: string; conventions: string };
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

describe('generated/vectors/codec.json', () => {
  it('is stamped with the current spec and documents its conventions', () => {
    expect(json._generated).toBe(stamp(ir, 'json', 'spec/generator/emit/vectors.ts'));
    expect(json.conventions).toMatch(/\$bytes/);
    expect(statSync(file).size).toBeLessThan(2 * 1024 * 1024);
  });

  it('is what the emitter writes, byte for byte, on every run', () => {
    const [out] = emitVectors(ir);
    expect(out!.content).toBe(readFileSync(file, 'utf8'));
    const again = loadSpecFile(fileURLToPath(new URL('../protocol.yaml', import.meta.url)));
    expect(emitVectors(again)[0]!.content).toBe(out!.content);
  });

  it('gives every vector a unique name within its struct', () => {
    for (const list of [json.valid, json.invalid]) {
      const names = list.map((v) => `${v.struct}/${v.name}`);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it.each(json.valid.map((v) => [v.struct, v.name, v] as const))('valid %s "%s" decodes to its fields and encodes back', (struct, _, v) => {
    expect(toJson(decodeWith(ir, struct, hex(v.hex)))).toEqual(v.fields);
    expect(Buffer.from(encodeWith(ir, struct, fromJson(v.fields) as ValueObject)).toString('hex')).toBe(v.hex);
  });

  it('fails every invalid vector with its code and offset', () => {
    for (const v of json.invalid) {
      let err: unknown;
      try {
        decodeWith(ir, v.struct, hex(v.hex));
      } catch (e) {
        err = e;
      }
      expect(isCodecError(err), `${v.struct} "${v.name}" must fail`).toBe(true);
      if (isCodecError(err)) expect({ code: err.code, offset: err.offset, path: err.path }, `${v.struct} "${v.name}"`).toEqual({ ...v.error, path: v.path });
    }
  });
});

/** Coverage rules, checked on protocol.yaml and on the tiny fixture. */
describe.each([
  ['protocol.yaml', ir],
  ['tiny-docs.yaml', tiny],
] as [string, SpecIR][])('coverage of %s', (_, spec) => {
  const { valid, invalid } = buildVectors(spec);

  it('has valid and invalid vectors for every struct', () => {
    for (const s of spec.structs) {
      expect(valid.some((v) => v.struct === s.id), s.id).toBe(true);
      if (s.fields.length) expect(invalid.some((v) => v.struct === s.id), s.id).toBe(true);
    }
  });

  it('takes every switch case and every usable value of every enum field', () => {
    for (const s of spec.structs) {
      const mine = valid.filter((v) => v.struct === s.id);
      for (const f of s.fields) {
        if (f.type === 'switch' || !('enum' in f) || !f.enum || ('const' in f && f.const !== undefined)) continue;
        const camelId = f.id.replace(/_([a-z0-9])/g, (__, c: string) => c.toUpperCase());
        const seen = new Set(mine.map((v) => v.fields[camelId]));
        const e = spec.enums.find((x) => x.id === f.enum)!;
        for (const value of e.values.filter((x) => !x.reserved)) expect(seen.has(value.value), `${s.id}.${f.id} = ${e.id}.${value.id}`).toBe(true);
      }
    }
  });

  it('truncates at every top-level field and rejects every unknown and reserved enum code', () => {
    for (const s of spec.structs) {
      const mine = invalid.filter((v) => v.struct === s.id);
      if (s.fields.length) expect(mine.some((v) => v.name.startsWith('truncated before')), s.id).toBe(true);
      for (const f of s.fields) {
        if (f.type === 'switch' || !('enum' in f) || !f.enum) continue;
        const code = isInt(f) && f.const !== undefined ? 'NON_CANONICAL' : 'UNKNOWN_CODE';
        expect(mine.some((v) => v.error.code === code && v.name.startsWith('code ') && v.path === `${s.id}.${f.id}`), `${s.id}.${f.id}`).toBe(true);
        for (const r of spec.enums.find((x) => x.id === f.enum)!.values.filter((x) => x.reserved))
          expect(mine.some((v) => v.name === `reserved ${f.enum}.${r.id}: ${s.id}.${f.id}`), `${s.id}.${f.id} ${r.id}`).toBe(true);
      }
    }
  });

  it('covers every decode error code', () => {
    const codes = new Set(invalid.map((v) => v.error.code));
    for (const c of ['SHORT_INPUT', 'TRAILING_BYTES', 'UNKNOWN_CODE', 'OUT_OF_RANGE', 'NON_CANONICAL', 'BAD_UTF8']) expect(codes.has(c as never), c).toBe(true);
  });

  it('keeps only vectors that the interpreter accepts or rejects as labelled', () => {
    for (const v of valid) expect(() => decodeWith(spec, v.struct, hex(v.hex))).not.toThrow();
    for (const v of invalid) expect(() => decodeWith(spec, v.struct, hex(v.hex))).toThrow();
  });
});

describe('vector fields JSON', () => {
  it('tags bytes and round-trips every value shape', () => {
    const value = { a: new Uint8Array([1, 255]), b: 'x', c: [1, 2], d: [{ e: 3 }], f: 0 };
    const j = toJson(value);
    expect(j).toEqual({ a: { $bytes: '01ff' }, b: 'x', c: [1, 2], d: [{ e: 3 }], f: 0 });
    expect(fromJson(j as JsonValue)).toEqual(value);
  });
});
