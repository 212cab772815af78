/** Writes generated/protocol.schema.json: the spec format as JSON Schema, for editors. */
import { z } from 'zod';
import { specSchema } from '../schema.ts';
import { stamp, type Emitter } from './file.ts';

export const emitJsonSchema: Emitter = (ir) => [
  {
    path: 'protocol.schema.json',
    content: JSON.stringify({ $comment: stamp(ir, 'json'), ...z.toJSONSchema(specSchema) }, null, 2) + '\n',
  },
];
