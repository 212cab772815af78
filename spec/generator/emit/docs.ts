/**
 * Writes generated/PROTOCOL.md: the document an auditor reads, complete without the YAML.
 * Constants, context strings, signature rule, frame kinds, a byte diagram (RFC 791 style) and a
 * field table for every struct, enums, regions, derivations, the handshake, the receive order,
 * every error code, and annotated hex dumps of codec vectors.
 */
import { INT_MAX, INT_WIDTH, type FieldIR, type IntFieldIR, type RegionIR, type SpecIR, type StructIR } from '../ir.ts';
import { documentsMarkdown } from './documents.ts';
import { moduleOf, stamp, type Emitter } from './file.ts';
import { isInt } from '../interp.ts';
import { byteDiagram, type Cell } from './docs-diagram.ts';
import { annotatedDump } from './docs-examples.ts';
import { buildVectors } from './vectors.ts';
import { sessionsSection } from './docs-sessions.ts';

/** This module's path, named in the header of every file it writes. */
const GENERATOR = moduleOf(import.meta.url);

/** Escapes a table cell: pipes would end the cell, newlines the row. */
const cell = (s: string | number) => String(s).replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const code = (s: string | number) => (String(s).includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``);
function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}
const structLink = (id: string) => `[${id}](#struct-${id})`;
const enumLink = (id: string) => `[${id}](#enum-${id})`;
const regionLink = (id: string) => `[${id}](#region-${id})`;
const num = (n: number) => (n === Number.MAX_SAFE_INTEGER ? '2^53 - 1' : String(n));

/** Struct and enum ids whose example dumps the document shows, when the spec has them. */
const FEATURED = ['frame', 'envelope', 'invite'];
const FEATURED_CASES = ['random text', 'min', 'min text'];

/**
 * What PROTOCOL.md shows from a step's output: the invites of generated/vectors/rules.json that
 * verify (a real checksum takes BLAKE3, which lives in runtime/ only, so gen passes them in after
 * the step has run; without them section 13 shows codec vectors only).
 */
export interface DocsExtras {
  verifiedInvites?: readonly { name: string; struct: string; hex: string; description?: string }[];
}

export function renderDocs(ir: SpecIR, extras: DocsExtras = {}): string {
  const parts = [
    stamp(ir, 'md', GENERATOR),
    `# ${ir.protocol.name} wire protocol`,
    '',
    `This document covers protocol version ${ir.protocol.version}. It is generated from \`${ir.source}\` (sha256 \`${ir.hash}\`) by \`npm run gen\` and says everything the spec says; where it and an implementation disagree, the implementation is wrong.`,
    '',
    '## Contents',
    '',
    ...[
      'Overview and notation',
      'Constants',
      'Context strings',
      'Signatures',
      'Frame kinds',
      'Structures',
      'Enumerations',
      'Regions',
      'Derivations',
      'Handshake',
      'Receive order',
      'Error codes',
      'Annotated examples',
      ...(ir.sessions ? ['v2 sessions for auditors'] : []),
    ].map((t, i) => `${i + 1}. [${t}](#${i + 1}-${t.toLowerCase().replace(/ /g, '-')})`),
    '',
    overview(ir),
    constants(ir),
    contexts(ir),
    signatures(ir),
    kinds(ir),
    structs(ir),
    enums(ir),
    regions(ir),
    derivations(ir),
    handshake(ir),
    receiveOrder(ir),
    errors(ir),
    examples(ir, extras),
    sessionsSection(ir, 14),
  ];
  return parts.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

function overview(ir: SpecIR): string {
  return [
    '## 1. Overview and notation',
    '',
    ir.protocol.doc,
    '',
    '- Integers `u8`, `u16`, `u32`, `u64` are unsigned and little-endian. No `u64` value exceeds 2^53 - 1, so every value is exact as a JavaScript number; a decoder rejects larger ones.',
    '- `bytes[N]` is N raw bytes; `str` is UTF-8, decoded strictly (a leading U+FEFF is content); `zeros` is padding whose every byte must be zero.',
    '- A field size is fixed (a number or constant expression), a little-endian length prefix (`len(x)`, u8/u16/u32) followed by that many bytes, `rest - N` (every remaining byte of the enclosing input except the last N) or `to end` (every remaining byte).',
    '- A list is a count prefix (`count(x)`) followed by that many elements. A switch holds the struct selected by an earlier enum field; a sized switch must consume its slice exactly.',
    '- `‖` is concatenation. `DK(context, m)` is BLAKE3 derive_key, `KH(k, m)` BLAKE3 keyed_hash, `X` X25519.',
    '- Byte diagrams follow RFC 791: each row is 32 bits (4 bytes), bit 0 first. Multi-byte integers are still little-endian. `/` edges mark a variable-length field; the fields after it start a new row and their offsets are relative (`var` in the tables, or counted from the end). A `:` row stands for further rows of the same field.',
    '',
    '### Decoding rules',
    '',
    'A decoder checks, field by field, and raises the first failure (codec error codes, [section 12](#12-error-codes)) with an offset, the byte where the failing field starts. For a length-prefixed field (`len(x)` then `x`) that is the first byte of its length prefix, whether the prefix is out of bounds or the bytes it announces run short; for a list, the first byte of its count; for a failure inside a nested struct or switch, the start of the innermost failing field. `TRAILING_BYTES` is the exception: its offset is the first byte left over. Offsets count from the start of the decoded input, not of an enclosing field.',
    '',
    '1. A field, length prefix or count that runs past the end of its input (or of its enclosing slice): `SHORT_INPUT`. A list of fixed-size elements is checked as a whole, like length-prefixed bytes.',
    '2. A length or count outside its bounds: `OUT_OF_RANGE`, checked before the bytes it announces.',
    '3. An integer: above 2^53 - 1 `OUT_OF_RANGE`; a constant with any other value `NON_CANONICAL`; not a defined value of its enum, or a reserved one, `UNKNOWN_CODE`; outside min/max `OUT_OF_RANGE`; bits outside its mask `NON_CANONICAL`.',
    '4. A string that is not valid UTF-8: `BAD_UTF8`. Padding with a non-zero byte: `NON_CANONICAL`.',
    '5. Bytes left in a sized switch after its case, or after the last field of the input: `TRAILING_BYTES`, at the first such byte.',
    '',
    'An encoder applies the same rules to values and raises `BAD_VALUE` for a value of the wrong type or shape.',
    '',
  ].join('\n');
}

function constants(ir: SpecIR): string {
  return [
    '## 2. Constants',
    '',
    table(
      ['Name', 'Value', 'Expression', 'Meaning'],
      ir.constants.map((c) => [code(c.name), c.value, c.expr === String(c.value) ? '' : code(c.expr), c.doc]),
    ),
    '',
    ...(ir.strings.length
      ? ['Text constants (not byte layouts, but every implementation must use them as written):', '', table(['Name', 'Value', 'Meaning'], ir.strings.map((t) => [code(t.name), code(JSON.stringify(t.value)), t.doc])), '']
      : []),
    ...documentsMarkdown(ir, table, code),
  ].join('\n');
}

function contexts(ir: SpecIR): string {
  return [
    '## 3. Context strings',
    '',
    `Every BLAKE3 \`derive_key\` context is the prefix ${code(JSON.stringify(ir.contexts.prefix))} followed by a label. Contexts are constants: variable data always goes into the key material, never into a context.`,
    '',
    table(
      ['Id', 'Context string', 'Use'],
      ir.contexts.items.map((c) => [code(c.id), code(JSON.stringify(c.context)), c.doc]),
    ),
    '',
  ].join('\n');
}

function signatures(ir: SpecIR): string {
  return [
    '## 4. Signatures',
    '',
    `Every Ed25519 signature is over the ASCII bytes of ${code(JSON.stringify(ir.signatures.prefix))} + label, followed by a keyed hash of the signed region:`,
    '',
    '```',
    'sig = Ed25519(sk_signer, ascii(prefix + label) ‖ KH(k_bind, signed region)[0..' + ir.signatures.digest + '])',
    '```',
    '',
    '`k_bind` is a secret the verifier holds, so an observer who knows the public keys cannot test a frame against them.',
    '',
    table(
      ['Id', 'Signed message prefix', 'Signer', 'k_bind (derivation)', 'Signed region', 'Use'],
      ir.signatures.items.map((s) => [code(s.id), code(JSON.stringify(s.message)), s.signer, code(s.bind), regionLink(s.region), s.doc]),
    ),
    '',
  ].join('\n');
}

function kinds(ir: SpecIR): string {
  const frameKind = ir.enums.find((e) => e.id === 'frame_kind');
  const rows = ir.kinds.map((k) => {
    const v = frameKind?.values.find((x) => x.id === k.id);
    const protection = [k.signature ? `signature \`${k.signature}\`` : '', k.ad ? `AD ${regionLink(k.ad)}` : '', k.protection ?? ''].filter(Boolean).join('; ');
    return [code(k.id), v?.value ?? '', k.route, k.payload, protection];
  });
  const lengths = ir.kinds.filter((k) => k.length);
  return [
    '## 5. Frame kinds',
    '',
    'What the route means, what the payload holds and how it is protected, per frame kind.',
    '',
    rows.length ? table(['Kind', 'Code', 'Route', 'Payload', 'Protection'], rows) : '(none)',
    '',
    ...(lengths.length
      ? ['Payload lengths: which lengths each kind allows, and the error every other length gets (`payload` is the bytes between the kind byte and the signature).', '', table(['Kind', 'Length rule'], lengths.map((k) => [code(k.id), k.length!])), '']
      : []),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Structures

function intConstraints(ir: SpecIR, f: IntFieldIR): string {
  const out: string[] = [];
  if (f.const !== undefined) out.push(`= ${f.constName ? `${f.constName} (${f.const})` : f.const}`);
  else if (f.enum) {
    const reserved = ir.enums.find((e) => e.id === f.enum)!.values.filter((v) => v.reserved);
    out.push(`a defined ${f.enum} value${reserved.length ? ` (reserved ${reserved.map((v) => v.value).join(', ')} rejected)` : ''}`);
  }
  const typeMax = f.type === 'u64' ? Infinity : INT_MAX[f.type];
  if (f.const === undefined && f.min !== undefined && f.min > 0) out.push(`≥ ${num(f.min)}`);
  if (f.const === undefined && f.max !== undefined && f.max < typeMax) out.push(`≤ ${num(f.max)}`);
  if (f.mask !== undefined) out.push(`only bits 0x${f.mask.toString(16).padStart(2, '0')} may be set`);
  return out.join(', ');
}

const lenBounds = (min: number | undefined, max: number | undefined, what = 'length') =>
  [min ? `${what} ≥ ${min}` : '', max !== undefined ? `${what} ≤ ${max}` : ''].filter(Boolean).join(', ');

interface Layout {
  cells: Cell[];
  rows: (string | number)[][];
}

function layout(ir: SpecIR, s: StructIR): Layout {
  const cells: Cell[] = [];
  const rows: (string | number)[][] = [];
  let offset: number | null = 0;
  let fromEnd: number | null = null;
  const at = () => (offset !== null ? offset : fromEnd !== null ? `end - ${fromEnd}` : 'var');
  const fixed = (label: string, n: number, row: (string | number)[], short = label) => {
    rows.push([at(), n, ...row]);
    cells.push({ label: n > 4 ? `${label}, ${n} bytes` : label, short: [label, short], bytes: n });
    if (offset !== null) offset += n;
    else if (fromEnd !== null) fromEnd -= n;
  };
  const variable = (label: string, size: string, row: (string | number)[], minus = 0) => {
    rows.push([at(), size, ...row]);
    cells.push({ label, bytes: null });
    offset = null;
    fromEnd = minus > 0 ? minus : null;
  };
  for (const f of s.fields) {
    const doc = f.doc;
    if (isInt(f)) {
      fixed(f.id, INT_WIDTH[f.type], [code(f.id), f.enum ? `${f.type} ${enumLink(f.enum)}` : f.type, intConstraints(ir, f), doc]);
    } else if (f.type === 'list') {
      const w = INT_WIDTH[f.count.width];
      fixed(`count(${f.id})`, w, [code(`count(${f.id})`), f.count.width, lenBounds(f.minCount, f.maxCount, 'count'), `Number of elements of ${f.id}.`], `n(${f.id})`);
      const el = f.of === 'u8' ? 1 : ir.structs.find((x) => x.id === f.of)?.fixedSize;
      variable(f.id, el ? `count × ${el}` : 'var', [code(f.id), f.of === 'u8' ? 'list of u8' : `list of ${structLink(f.of)}`, '', doc]);
    } else if (f.type === 'struct') {
      const sub = ir.structs.find((x) => x.id === f.struct)!;
      if (sub.fixedSize !== null) fixed(f.id, sub.fixedSize, [code(f.id), structLink(f.struct), '', doc]);
      else variable(f.id, 'var', [code(f.id), structLink(f.struct), '', doc]);
    } else {
      const type = f.type === 'switch' ? `switch on \`${f.on}\`` : f.type === 'str' ? 'str (UTF-8)' : f.type;
      const rules = [f.type === 'zeros' ? 'all zero' : '', f.type === 'switch' && f.size.kind !== 'eos' ? 'case consumes it exactly' : ''];
      if (f.size.kind === 'fixed') {
        fixed(f.id, f.size.value, [code(f.id), type, rules.filter(Boolean).join(', '), doc + (f.size.expr !== String(f.size.value) ? ` Size: \`${f.size.expr}\`.` : '')]);
        continue;
      }
      if (f.size.kind === 'prefix') {
        const w = INT_WIDTH[f.size.width];
        fixed(`len(${f.id})`, w, [code(`len(${f.id})`), f.size.width, lenBounds(f.minLen, f.maxLen), `Byte length of ${f.id}.`]);
        variable(f.id, `len(${f.id})`, [code(f.id), type, rules.filter(Boolean).join(', '), doc]);
      } else {
        const size = f.size.kind === 'rest' ? `rest - ${f.size.minus}` : 'to end';
        variable(f.id, size, [code(f.id), type, [lenBounds(f.minLen, f.maxLen), ...rules].filter(Boolean).join(', '), doc], f.size.kind === 'rest' ? f.size.minus : 0);
      }
    }
  }
  return { cells, rows };
}

function structs(ir: SpecIR): string {
  const out = ['## 6. Structures', '', 'Every struct, in spec order. Sizes are in bytes.', ''];
  for (const s of ir.structs) {
    const { cells, rows } = layout(ir, s);
    out.push(`### struct ${s.id}`, '', s.doc, '');
    out.push(s.fixedSize !== null ? `Fixed size: ${s.fixedSize} bytes.` : `Variable size, at least ${s.minSize} bytes.`, '');
    if (!cells.length) {
      out.push('No fields: the encoding is empty.', '');
      continue;
    }
    out.push('```', ...byteDiagram(cells), '```', '');
    out.push(table(['Offset', 'Size', 'Field', 'Type', 'Constraints', 'Meaning'], rows), '');
    for (const f of s.fields) {
      if (f.type !== 'switch') continue;
      out.push(`Cases of \`${f.id}\` by \`${f.on}\` (${enumLink(f.enum)}):`, '');
      out.push(table(['Value', 'Code', 'Struct'], f.cases.map((c) => [code(c.valueId), c.value, structLink(c.struct)])), '');
    }
  }
  return out.join('\n');
}

function enums(ir: SpecIR): string {
  const out = ['## 7. Enumerations', '', 'A decoder rejects any code not listed, and every reserved code, with `UNKNOWN_CODE`.', ''];
  for (const e of ir.enums) {
    out.push(`### enum ${e.id}`, '', `${e.doc} Encoded as \`${e.type}\`.`, '');
    out.push(table(['Code', 'Name', 'Meaning'], e.values.map((v) => [v.value, code(v.id), v.reserved ? `Reserved. ${v.doc}` : v.doc])), '');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Regions, derivations, handshake, receive order, errors

function regionFormula(r: RegionIR): string {
  return r.parts
    .map((p) => {
      if (p.type !== 'bytes') return p.value === undefined ? `${p.type}(${p.id})` : p.valueName ? `${p.type}(${p.valueName} = ${p.value})` : `${p.type}(${p.value})`;
      if (p.size !== null) return `${p.id}[${p.size}]`;
      return p.raw ? p.id : `u32(len(${p.id})) ‖ ${p.id}`;
    })
    .join(' ‖ ');
}

function regions(ir: SpecIR): string {
  const out = [
    '## 8. Regions',
    '',
    'A region is an exact byte string that is hashed, signed or used as associated data: its parts concatenated in order. Integers are little-endian. A part without a fixed size is preceded by its byte length as a `u32` (little-endian), so part boundaries are unambiguous; only a `raw` last part (streamed content) has no prefix.',
    '',
  ];
  for (const r of ir.regions) {
    out.push(`### region ${r.id}`, '', r.doc, '', '```', regionFormula(r), '```', '');
    out.push(
      table(
        ['Part', 'Type', 'Size', 'Value', 'Meaning'],
        r.parts.map((p) => [
          code(p.id),
          p.enum ? `${p.type} ${enumLink(p.enum)}` : p.type,
          p.size !== null ? (p.sizeExpr && p.sizeExpr !== String(p.size) ? `${p.size} (\`${p.sizeExpr}\`)` : p.size) : p.raw ? 'to end (no prefix)' : 'u32 length + bytes',
          p.value !== undefined ? `${p.valueName ?? ''} = ${p.value}`.trim() : '',
          p.doc ?? '',
        ]),
      ),
      '',
    );
  }
  return out.join('\n');
}

function derivations(ir: SpecIR): string {
  const rows = ir.derivations.map((d) => {
    const ctx = d.context ? ir.contexts.items.find((c) => c.id === d.context) : undefined;
    const how = d.mode === 'derive_key' ? `DK(${ctx ? JSON.stringify(ctx.context) : d.context}, ${d.input})` : `KH(${d.key}, ${d.input})`;
    return [code(d.id), d.mode, code(how), regionLink(d.input), d.outExpr === String(d.out) ? d.out : `${d.out} (\`${d.outExpr}\`)`, d.doc];
  });
  return [
    '## 9. Derivations',
    '',
    'Every key, hash and tag: BLAKE3 in `derive_key` mode with a constant context, or in `keyed_hash` mode with a key, over a region; the output is the first `out` bytes of the extendable output.',
    '',
    table(['Id', 'Mode', 'Computation', 'Input region', 'Out', 'Meaning'], rows),
    '',
  ].join('\n');
}

function handshake(ir: SpecIR): string {
  const out = ['## 10. Handshake', ''];
  if (!ir.handshake.length) return [...out, '(none)', ''].join('\n');
  const W = 51;
  const line = (label: string, toRelay: boolean) => {
    const text = ` ${label} `;
    const dashes = W - 1 - text.length;
    const left = Math.floor(dashes / 2);
    const body = '-'.repeat(left) + text + '-'.repeat(dashes - left);
    return toRelay ? `  |${body}>|` : `  |<${body}|`;
  };
  const blank = `  |${' '.repeat(W)}|`;
  out.push('The messages in order; for each, what its sender computes and what its receiver checks, with the error a failed check raises.', '');
  out.push('```', `Client${' '.repeat(W - 3)}Relay`, blank);
  ir.handshake.forEach((h, i) => out.push(line(`${i + 1}. ${h.message.toUpperCase()}`, h.from === 'client'), blank));
  out.push('```', '');
  ir.handshake.forEach((h, i) => {
    const to = h.from === 'relay' ? 'client' : 'relay';
    out.push(`### ${i + 1}. ${h.message.toUpperCase()} (${h.from} to ${to}, struct ${structLink(h.message)})`, '', `The ${h.from} computes:`, '');
    out.push(...h.computes.map((c) => `- ${c}`), '', `The ${to} checks, in order:`, '');
    out.push(table(['#', 'Check', 'Error'], h.checks.map((c, j) => [j + 1, c.check, code(c.error)])), '');
  });
  return out.join('\n');
}

function receiveOrder(ir: SpecIR): string {
  return [
    '## 11. Receive order',
    '',
    'The steps a receiver takes for an incoming frame, in this order, with the errors they raise. No plaintext is used before every check has passed.',
    '',
    ...ir.receiveOrder.map((s, i) => `${i + 1}. ${s}`),
    '',
    'For a first-contact frame, the recipient checks, cheapest first:',
    '',
    ...ir.firstContactOrder.map((s, i) => `${i + 1}. ${s}`),
    '',
    ...ir.rules.flatMap((r) => [`### ${r.title}`, '', r.doc, '', ...r.items.map((s) => `- ${s}`), '']),
  ].join('\n');
}

function errors(ir: SpecIR): string {
  const out = ['## 12. Error codes', '', 'Errors are not sent on the wire (except as close codes); every implementation uses these codes, and the conformance vectors name them.', ''];
  for (const g of ir.errors) out.push(`### ${g.group} errors`, '', table(['Code', 'Raised if'], g.codes.map((c) => [code(c.code), c.doc])), '');
  return out.join('\n');
}

function examples(ir: SpecIR, extras: DocsExtras): string {
  const out = [
    '## 13. Annotated examples',
    '',
    'Codec vectors from `generated/vectors/codec.json`, every byte labelled with its field. Offsets are hexadecimal; long fields show their first 16 bytes.',
    '',
    '**Structure only:** the values of codec vectors are random within each field\'s bounds, so a checksum, key, signature or ciphertext in them does not verify (the invite codec vector below fails its checksum). Vectors that verify are in `generated/vectors/frames.json` (complete frames) and `generated/vectors/rules.json` (under `invites`, invites with a real checksum and an expiry far in the future; annotated at the end of this section).',
    '',
  ];
  const { valid } = buildVectors(ir);
  const featured = FEATURED.filter((id) => ir.structs.some((s) => s.id === id));
  if (!featured.length && ir.structs[0]) featured.push(ir.structs[0].id);
  for (const id of featured) {
    const mine = valid.filter((v) => v.struct === id);
    const v = FEATURED_CASES.map((n) => mine.find((x) => x.name === n)).find(Boolean) ?? mine[0];
    if (!v) continue;
    const bytes = Uint8Array.from(Buffer.from(v.hex, 'hex'));
    out.push(`### ${id}: vector "${v.name}" (${bytes.length} bytes)`, '', '```', ...annotatedDump(ir, id, bytes), '```', '');
  }
  for (const inv of extras.verifiedInvites ?? []) {
    const bytes = Uint8Array.from(Buffer.from(inv.hex, 'hex'));
    out.push(
      `### ${inv.struct} that verifies: rules.json "${inv.name}" (${bytes.length} bytes)`,
      '',
      `${inv.description ?? ''} Its checksum is derivation invite_checksum over region invite_checksum_input (the bytes before the checksum, hashed after their u32 length), so it parses under rules.invite_expiry at any clock before its expiry.`.trim(),
      '',
      '```',
      ...annotatedDump(ir, inv.struct, bytes),
      '```',
      '',
    );
  }
  return out.join('\n');
}

export const emitDocs: Emitter = (ir) => [{ path: 'PROTOCOL.md', content: renderDocs(ir) }];
