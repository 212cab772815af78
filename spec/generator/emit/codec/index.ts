/**
 * The TypeScript codec emitter: writes generated/src (the @parley/generated package) and
 * generated/testing (its fast-check entry). See generated/README.md for the API and the
 * decoding rules; each part is written by one module here:
 *
 * - simple.ts: constants.ts, enums.ts, contexts.ts, errors.ts
 * - copied.ts: the files that do not depend on the spec (_runtime.ts, codec-error.ts,
 *   layout-types.ts, testing/invalid.ts), copied from spec/generator/codec-runtime/
 * - structs.ts (+ types, decode, encode): codec/<struct>.ts
 * - layouts.ts: layouts.ts (field metadata)
 * - regions.ts: regions.ts and derive.ts
 * - zod.ts: zod.ts
 * - arbitraries.ts: testing/arbitraries.ts
 */
import type { SpecIR } from '../../ir.ts';
import { moduleOf, stamp, type Emitter, type GeneratedFile } from '../file.ts';
import { emitArbitraries } from './arbitraries.ts';
import { emitCopied } from './copied.ts';
import { emitLayouts } from './layouts.ts';
import { buildModel, type Model } from './model.ts';
import { doc } from './names.ts';
import { emitDerive, emitRegions, regionExports } from './regions.ts';
import { emitConstants, emitContexts, emitEnums, emitErrors } from './simple.ts';
import { emitStruct, publicNames } from './structs.ts';
import { emitZod } from './zod.ts';

/** This module's path, named in the header of every file it writes. */
const GENERATOR = moduleOf(import.meta.url);

function emitIndex(m: Model): GeneratedFile {
  const ir = m.ir;
  let out = stamp(ir, '//', GENERATOR);
  out += doc([
    `@parley/generated: the ${ir.protocol.name} v${ir.protocol.version} wire format, generated from ${ir.source}.`,
    'Everything but the fast-check arbitraries (@parley/generated/testing).',
  ], undefined);
  out += `export * from './constants.ts';\nexport * from './enums.ts';\nexport * from './contexts.ts';\n`;
  out += `export { CodecError, isCodecError, ErrorDocs, ${ir.errors.map((g) => `type ${g.group.charAt(0).toUpperCase()}${g.group.slice(1).replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())}ErrorCode`).join(', ')} } from './errors.ts';\n`;
  for (const s of m.structs.values()) {
    const { types, values } = publicNames(s);
    out += `export { ${[...types.map((t) => `type ${t}`), ...values].join(', ')} } from './codec/${s.ir.id}.ts';\n`;
  }
  const r = regionExports(m);
  out += `export { ${[...r.types.map((t) => `type ${t}`), ...r.values].join(', ')} } from './regions.ts';\n`;
  out += `export * from './derive.ts';\nexport * from './layouts.ts';\nexport * from './zod.ts';\n`;
  if (ir.documents.length) out += `export * from './documents.ts';\nexport * from './document-checks.ts';\n`;
  return { path: 'src/index.ts', content: out };
}

/** All files of generated/src and generated/testing. */
export function emitCodecFiles(ir: SpecIR): GeneratedFile[] {
  const m = buildModel(ir);
  return [
    emitConstants(ir),
    emitEnums(m),
    emitContexts(ir),
    emitErrors(ir),
    ...emitCopied('src'),
    ...[...m.structs.values()].map((s) => emitStruct(m, s)),
    emitLayouts(m),
    emitRegions(m),
    emitDerive(m),
    emitZod(m),
    emitIndex(m),
    emitArbitraries(m),
    ...emitCopied('testing'),
  ];
}

export const emitCodec: Emitter = (ir) => emitCodecFiles(ir);
