/**
 * Annotated hex dumps of codec vectors for PROTOCOL.md: every byte of the encoding, labelled with
 * the field it belongs to (from the reference interpreter's trace) and, for numbers and strings,
 * the decoded value.
 */
import type { SpecIR } from '../ir.ts';
import { traceWith, type Span } from '../interp.ts';

const PER_LINE = 16;
/** A field longer than this shows its first line of bytes and how many more follow. */
const LONG = 32;

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function readUint(bytes: Uint8Array, s: Span): number {
  let v = 0;
  for (let i = s.size - 1; i >= 0; i--) v = v * 256 + bytes[s.offset + i]!;
  return v;
}

function describe(ir: SpecIR, bytes: Uint8Array, s: Span, struct: string): string {
  const name = s.path.slice(struct.length + 1);
  const f = s.field;
  if (s.role === 'length') return `len(${name}) = ${readUint(bytes, s)}`;
  if (s.role === 'count') return `count(${name}) = ${readUint(bytes, s)}`;
  switch (f.type) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'u64': {
      const v = readUint(bytes, s);
      const e = f.enum ? ir.enums.find((x) => x.id === f.enum)?.values.find((x) => x.value === v) : undefined;
      return `${name} = ${v}${e ? ` (${f.enum}.${e.id})` : f.mask !== undefined ? ` (0x${v.toString(16)})` : ''}`;
    }
    case 'str': {
      const text = new TextDecoder().decode(bytes.subarray(s.offset, s.offset + s.size));
      const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
      return `${name} = ${JSON.stringify(shown)}`;
    }
    case 'zeros':
      return `${name} (${s.size} zero bytes)`;
    case 'list':
      return `${name} = [${Array.from(bytes.subarray(s.offset, s.offset + s.size)).join(', ')}]`;
    default:
      return `${name} (${s.size} bytes)`;
  }
}

/** The dump of one encoding of `struct`, as lines of a code block. */
export function annotatedDump(ir: SpecIR, struct: string, bytes: Uint8Array): string[] {
  const { spans } = traceWith(ir, struct, bytes);
  const leaves = spans.filter((s) => s.leaf).sort((a, b) => a.offset - b.offset || a.size - b.size);
  const lines = [`offset  ${'bytes'.padEnd(PER_LINE * 3 - 1)}  field`];
  const row = (offset: number, text: string, label: string) => lines.push(`${offset.toString(16).padStart(4, '0')}    ${text.padEnd(PER_LINE * 3 - 1)}  ${label}`);
  let covered = 0;
  for (const s of leaves) {
    if (s.offset !== covered) throw new Error(`docs: ${struct} bytes ${covered}..${s.offset} are not labelled`);
    const label = describe(ir, bytes, s, struct);
    if (s.size === 0) row(s.offset, '(empty)', label);
    for (let at = 0; at < s.size; at += PER_LINE) {
      if (s.size > LONG && at === PER_LINE) {
        row(s.offset + at, `... ${s.size - PER_LINE} more bytes`, '');
        break;
      }
      row(s.offset + at, hex(bytes.subarray(s.offset + at, s.offset + Math.min(s.size, at + PER_LINE))), at === 0 ? label : '');
    }
    covered = s.offset + s.size;
  }
  if (covered !== bytes.length) throw new Error(`docs: ${struct} bytes after ${covered} are not labelled`);
  return lines.map((l) => l.trimEnd());
}
