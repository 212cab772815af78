import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadSpecFile } from '../generator/load.ts';
import { stamp } from '../generator/emit/file.ts';
import { renderKsy } from '../generator/emit/kaitai.ts';
import { compileKsy, hasCompiler, type KaitaiVersion } from './support/kaitai.ts';

const ir = loadSpecFile(fileURLToPath(new URL('../protocol.yaml', import.meta.url)));
const text = readFileSync(fileURLToPath(new URL('../../generated/protocol.ksy', import.meta.url)), 'utf8');

interface KsyField {
  id: string;
  doc?: string;
  type?: unknown;
  size?: unknown;
  valid?: Record<string, unknown>;
  [k: string]: unknown;
}
interface Ksy {
  meta: Record<string, unknown>;
  seq: KsyField[];
  types: Record<string, { doc?: string; seq: KsyField[] }>;
  enums: Record<string, Record<string, { id: string; doc: string; '-parley-reserved'?: boolean }>>;
}
const ksy = parse(text) as Ksy;
const field = (type: string, id: string) => ksy.types[type]!.seq.find((f) => f.id === id)!;

describe('generated/protocol.ksy', () => {
  it('is what the emitter writes and starts with the stamp', () => {
    expect(renderKsy(ir)).toBe(text);
    expect(text.split('\n')[0]).toBe(stamp(ir, '#', 'spec/generator/emit/kaitai.ts').trimEnd());
  });

  it('has meta for the Web IDE and the spec hash', () => {
    expect(ksy.meta).toMatchObject({ id: 'parley', endian: 'le', '-parley-spec-hash': ir.hash });
    expect(ksy.meta.title).toMatch(/version 2/);
  });

  it('describes every struct as a documented type whose fields are all documented', () => {
    for (const s of ir.structs) {
      const t = ksy.types[s.id];
      expect(t, s.id).toBeDefined();
      expect(t!.doc).toBe(s.doc);
      for (const f of t!.seq) expect(f.doc, `${s.id}.${f.id}`).toBeTruthy();
      for (const f of s.fields) expect(t!.seq.some((k) => k.id === f.id), `${s.id}.${f.id}`).toBe(true);
    }
  });

  it('lists every enum value and marks the reserved ones', () => {
    for (const e of ir.enums)
      for (const v of e.values) {
        expect(ksy.enums[e.id]![v.value]).toMatchObject({ id: v.id, doc: v.doc });
        expect(ksy.enums[e.id]![v.value]!['-parley-reserved'] ?? false).toBe(v.reserved);
      }
  });

  it('maps sizes, constraints and switches', () => {
    expect(field('frame', 'payload')).toMatchObject({ size: '_io.size - _io.pos - 64', valid: { expr: '_.length <= 65439' } });
    expect(field('frame', 'kind').valid!['any-of']).toEqual(['frame_kind::handshake', 'frame_kind::control', 'frame_kind::peer', 'frame_kind::first_contact', 'frame_kind::ratchet']);
    expect(field('challenge', 'type')).toMatchObject({ type: 'u1', enum: 'handshake_type', valid: { eq: 'handshake_type::challenge' } });
    expect(field('challenge', 'num_versions')).toMatchObject({ type: 'u1', valid: { min: 1, max: 8 } });
    expect(field('challenge', 'versions')).toMatchObject({ type: 'u1', repeat: 'expr', 'repeat-expr': 'num_versions' });
    expect(field('challenge', 'relay_time')).toMatchObject({ type: 'u8', valid: { max: Number.MAX_SAFE_INTEGER } });
    expect(field('text', 'len_text')).toMatchObject({ type: 'u4', valid: { max: 32768 } });
    expect(field('text', 'text')).toMatchObject({ size: 'len_text', type: 'str', encoding: 'UTF-8' });
    expect(field('envelope', 'flags')).toMatchObject({ valid: { expr: '(_ & 254) == 0' }, '-parley-mask': '0x1' });
    expect(field('envelope', 'padding')).toMatchObject({ 'size-eos': true, '-parley-zeros': true });
    expect(field('push_payload', 'padding')).toMatchObject({ contents: new Array(31).fill(0), '-parley-zeros': true });
    expect(field('envelope', 'body')).toMatchObject({ size: 'len_body', '-parley-exact': true, type: { 'switch-on': 'type' } });
    expect((field('envelope', 'body').type as { cases: Record<string, string> }).cases['message_type::call_join']).toBe('call_ref');
    expect(field('control_message', 'body')).toMatchObject({ 'size-eos': true });
    expect(field('first_contact', 'request')).toMatchObject({ 'size-eos': true, valid: { expr: '_.length >= 16 and _.length <= 65439' } });
    expect(ksy.seq).toEqual([{ id: 'frame', type: 'frame', doc: ir.structs[0]!.doc }]);
  });

  it.each((['0.11', '0.10'] as KaitaiVersion[]).filter(hasCompiler))('compiles with kaitai-struct-compiler %s', async (version) => {
    const files = await compileKsy(text, version);
    expect(Object.keys(files)).toEqual(['Parley.js']);
  });
});
