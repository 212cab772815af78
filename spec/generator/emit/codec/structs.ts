/**
 * generated/src/codec/<struct>.ts: one module per struct with its type, its reader, size and
 * write passes (internal, shared with the structs that contain it) and its public functions
 * decodeX, encodeX, encodeXInto and encodedSizeX.
 */
import { moduleOf, stamp, type GeneratedFile } from '../file.ts';
import { FileContext } from './context.ts';
import { emitReader } from './decode.ts';
import { emitEncoder } from './encode.ts';
import { article, type Model, type StructModel } from './model.ts';
import { doc, lit, pascal } from './names.ts';
import { emitTypes } from './types.ts';

/** This module's path, named in the header of every file it writes. */
const GENERATOR = moduleOf(import.meta.url);

function publicFns(ctx: FileContext): string {
  const s = ctx.self;
  const nm = s.name;
  const id = lit(s.ir.id);
  const str = s.usesStrings;
  ctx.rt('plain', 'nest', 'changed', 'room');
  if (!s.consumesAll) ctx.rt('trailing', 'R');
  if (str) ctx.rt('strStart', 'strDone', 'strAllTaken');
  const begin = str ? '  strStart();\n' : '';
  const fin = str ? ' finally {\n    strDone();\n  }' : '';
  const taken = str ? ' || !strAllTaken()' : '';
  const from = s.ir.path;
  let out = '';
  out += doc(
    [
      `Decodes ${article(s.ir.id)} that fills \`bytes\` exactly. Byte fields are views of \`bytes\` (zero-copy): copy them before reusing the input buffer.`,
      '@throws CodecError SHORT_INPUT, TRAILING_BYTES, UNKNOWN_CODE, OUT_OF_RANGE, NON_CANONICAL or BAD_UTF8, with the offset and spec path of the problem.',
    ],
    from,
  );
  out += `export function decode${nm}(bytes: Uint8Array): ${nm} {\n  try {\n    const b = plain(bytes);\n    const v = read${nm}(b, 0, b.length);\n`;
  if (!s.consumesAll) out += `    if (R.o !== b.length) trailing(R.o, b.length, '');\n`;
  out += `    return v;\n  } catch (e) {\n    throw nest(e, ${id});\n  }\n}\n\n`;

  out += doc([`Encodes ${article(s.ir.id)} into a new Uint8Array of exactly its size.`, '@throws CodecError BAD_VALUE (wrong type or constant), OUT_OF_RANGE (does not fit its field) or BAD_UTF8 (lone surrogate).'], from);
  out += `export function encode${nm}(v: ${nm}): Uint8Array {\n${begin}  try {\n    const n = size${nm}(v);\n    const out = new Uint8Array(n);\n`;
  out += `    if (write${nm}(out, 0, v) !== n${taken}) changed('');\n    return out;\n  } catch (e) {\n    throw nest(e, ${id});\n  }${fin}\n}\n\n`;

  out += doc(
    [
      `Encodes ${article(s.ir.id)} into \`out\` at \`offset\` and returns the offset after it. No allocation; padding is written as zeros.`,
      '@throws CodecError as encode' + nm + '; RangeError if `out` has no room (use encodedSize' + nm + ').',
    ],
    from,
  );
  out += `export function encode${nm}Into(v: ${nm}, out: Uint8Array, offset = 0): number {\n${begin}  try {\n    const n = size${nm}(v);\n    room(out, offset, n);\n`;
  out += `    const end = write${nm}(out, offset, v);\n    if (end !== offset + n${taken}) changed('');\n    return end;\n  } catch (e) {\n    throw nest(e, ${id});\n  }${fin}\n}\n\n`;

  out += doc([`The encoded size of ${article(s.ir.id)}, after checking it as encode${nm} does.`], from);
  out += `export function encodedSize${nm}(v: ${nm}): number {\n${begin}  try {\n    return size${nm}(v);\n  } catch (e) {\n    throw nest(e, ${id});\n  }${fin}\n}\n`;
  return out;
}

export function emitStruct(m: Model, s: StructModel): GeneratedFile {
  const ctx = new FileContext(m, s);
  const types = emitTypes(ctx);
  const reader = emitReader(ctx);
  const encoder = emitEncoder(ctx);
  const api = publicFns(ctx);
  const header = doc([`Codec of \`${s.ir.id}\`: ${s.ir.doc}`, `Encoded size: ${s.ir.fixedSize !== null ? `always ${s.ir.fixedSize} bytes` : `at least ${s.ir.minSize} bytes`}.`], s.ir.path);
  const content = [stamp(m.ir, '//', GENERATOR) + header, ctx.imports() + '\n', types, reader, encoder, api].join('\n');
  return { path: s.file, content: content.trimEnd() + '\n' };
}

/** The public names a struct module exports (for index.ts). */
export function publicNames(s: StructModel): { types: string[]; values: string[] } {
  const types = [s.name];
  const switches = s.ir.fields.filter((f) => f.type === 'switch');
  if (switches.length) {
    types.push(`${s.name}Common`);
    for (const f of switches) types.push(`${s.name}${pascal(f.id)}`, `${s.name}${pascal(f.id)}ByType`);
  }
  return { types, values: [`decode${s.name}`, `encode${s.name}`, `encode${s.name}Into`, `encodedSize${s.name}`] };
}
