/** The emitters `npm run gen` runs, in order. */
import type { Emitter } from './file.ts';
import { emitJsonSchema } from './jsonschema.ts';

export const emitters: Emitter[] = [emitJsonSchema];
