/** The emitters `npm run gen` runs, in order. */
import type { Emitter } from './file.ts';
import { emitJsonSchema } from './jsonschema.ts';
import { emitVectors } from './vectors.ts';
import { emitKaitai } from './kaitai.ts';
import { emitDocs } from './docs.ts';
import { emitCodec } from './codec/index.ts';
import { emitDocuments } from './documents.ts';

export const emitters: Emitter[] = [emitJsonSchema, emitVectors, emitKaitai, emitDocs, emitCodec, emitDocuments];
