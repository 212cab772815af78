/** Writes generated/protocol.schema.json: the spec format as JSON Schema, for editors. */
import { z } from 'zod';
import { specSchema } from '../schema.ts';
import { moduleOf, stamp, type Emitter } from './file.ts';

/** This module's path, named in the header of every file it writes. */
const GENERATOR = moduleOf(import.meta.url);

export const emitJsonSchema: Emitter = (ir) => [
  {
    path: 'protocol.schema.json',
    content: JSON.stringify({ $comment: stamp(ir, 'json', GENERATOR), ...z.toJSONSchema(specSchema) }, null, 2) + '\n',
  },
];
