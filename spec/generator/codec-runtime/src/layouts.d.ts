/**
 * Type-checking stand-in for generated/src/layouts.ts, which the generator writes from the spec's
 * `structs` (this file is not copied). StructId is a union of placeholders, so that indexing
 * Layouts is total, as it is over the real union of struct ids.
 */
import type { StructLayout } from './layout-types.ts';

export type { FieldLayout, SizeKind, StructLayout } from './layout-types.ts';
export type StructId = 'a struct id of the spec' | 'another struct id of the spec';
export declare const Layouts: { readonly [K in StructId]: StructLayout };
