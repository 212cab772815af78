/**
 * The shape of spec/protocol.yaml, as a zod schema. It checks form only; cross-references,
 * sizes and expressions are checked in validate.ts. `npm run gen` also writes this schema as
 * JSON Schema (spec/protocol.schema.json) for editors.
 */
import { z } from 'zod';

const ident = z.string().regex(/^[a-z][a-z0-9_]*$/, 'an identifier: lower_snake_case');
const constName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'a constant name: UPPER_SNAKE_CASE');
const doc = z.string().min(1, 'a non-empty doc string');
/** A number, or a constant expression over constants with + - * / and sizeof(struct). */
const expr = z.union([z.number().int().nonnegative(), z.string().min(1)]);
const intType = z.enum(['u8', 'u16', 'u32', 'u64']);
const prefixSize = z.strictObject({ prefix: z.enum(['u8', 'u16', 'u32']) });
const restSize = z.strictObject({ rest: expr });
const size = z.union([expr, prefixSize, restSize, z.literal('eos')]);

const field = z.strictObject({
  id: ident,
  type: z.string().min(1),
  doc,
  enum: ident.optional(),
  const: z.union([ident, z.number().int()]).optional(),
  min: expr.optional(),
  max: expr.optional(),
  mask: z.number().int().nonnegative().optional(),
  size: size.optional(),
  of: z.string().optional(),
  count: prefixSize.optional(),
  min_count: expr.optional(),
  max_count: expr.optional(),
  on: ident.optional(),
  cases: z.record(ident, ident).optional(),
});

const regionPart = z.strictObject({
  id: ident,
  type: z.enum(['u8', 'u16', 'u32', 'u64', 'bytes']),
  size: expr.optional(),
  enum: ident.optional(),
  value: z.union([z.string(), z.number().int()]).optional(),
  raw: z.boolean().optional(),
  doc: doc.optional(),
});

/** A member of a JSON document (documents:). */
const documentMember = z.strictObject({
  id: ident,
  type: z.enum(['text', 'texts', 'integers', 'hex', 'fingerprint']),
  doc,
  /** The member may be absent; its doc says what its absence means. */
  optional: z.boolean().optional(),
  /** text: the string constant it must equal. */
  const: constName.optional(),
  /** text, texts: a regular expression it (each item) must match. */
  pattern: z.string().min(1).optional(),
  min: expr.optional(),
  max: expr.optional(),
  size: expr.optional(),
  min_count: expr.optional(),
  max_count: expr.optional(),
  derivation: ident.optional(),
  group: expr.optional(),
});

export const specSchema = z.strictObject({
  format: z.literal(1),
  protocol: z.strictObject({ name: z.string().min(1), version: z.number().int().min(1).max(255), doc }),
  constants: z.record(constName, z.strictObject({ value: expr, doc })),
  /** Text constants that are not byte layouts but must agree everywhere (URL forms of an invite). */
  strings: z.record(constName, z.strictObject({ value: z.string().min(1), doc })).default({}),
  /** JSON documents served over HTTP(S): generated as TypeScript types, zod schemas and JSON Schemas. */
  documents: z.record(ident, z.strictObject({ path: constName, doc, members: z.array(documentMember).min(1) })).default({}),
  contexts: z.strictObject({
    prefix: z.string().min(1),
    items: z.record(ident, z.strictObject({ label: z.string().min(1), doc })),
  }),
  signatures: z.strictObject({
    prefix: z.string().min(1),
    /** Bytes of the keyed hash of the signed region inside every signed message. */
    digest: expr,
    items: z.record(
      ident,
      z.strictObject({
        label: z.string().min(1),
        signer: z.enum(['relay', 'client', 'sender']),
        bind: ident,
        region: ident,
        doc,
      }),
    ),
  }),
  enums: z.record(
    ident,
    z.strictObject({
      type: intType,
      doc,
      values: z.record(ident, z.strictObject({ value: z.number().int().nonnegative(), doc, reserved: z.boolean().optional() })),
    }),
  ),
  errors: z.record(ident, z.record(constName, doc)),
  structs: z.record(ident, z.strictObject({ doc, fields: z.array(field) })),
  regions: z.record(ident, z.strictObject({ doc, parts: z.array(regionPart).min(1) })),
  derivations: z.record(
    ident,
    z.strictObject({
      mode: z.enum(['derive_key', 'keyed_hash']),
      context: ident.optional(),
      key: z.string().optional(),
      input: ident,
      out: expr,
      doc,
    }),
  ),
  kinds: z.record(
    ident,
    z.strictObject({
      route: doc,
      payload: doc,
      protection: doc.optional(),
      /** Which payload lengths the kind allows, and the error each other length gets. */
      length: doc.optional(),
      signature: ident.optional(),
      ad: ident.optional(),
    }),
  ),
  /**
   * Rules that are not byte layouts but decide what an implementation accepts: key and signature
   * validity, the replay window, invite expiry. Each has a title, an introduction and its rules.
   */
  rules: z.record(ident, z.strictObject({ title: z.string().min(1), doc, items: z.array(doc).default([]) })).default({}),
  receive_order: z.array(doc).min(1),
  first_contact_order: z.array(doc).default([]),
  /** v2 sessions for auditors: the order of checks on a ratchet message, the state machine and a message sequence chart. */
  sessions: z
    .strictObject({
      doc,
      ratchet_order: z.array(doc).min(1),
      states: z.array(z.strictObject({ state: ident, doc })).min(1),
      transitions: z.array(z.strictObject({ from: ident, on: doc, to: ident })).min(1),
      sequence: z.strictObject({
        doc,
        steps: z.array(z.strictObject({ from: z.enum(['A', 'B', 'relay']), to: z.enum(['A', 'B', 'relay']), message: doc, note: doc.optional() })).min(1),
      }),
    })
    .optional(),
  handshake: z.array(
    z.strictObject({
      step: ident,
      from: z.enum(['relay', 'client']),
      message: ident,
      computes: z.array(doc).min(1),
      checks: z.array(z.strictObject({ check: doc, error: constName })).min(1),
    }),
  ),
});

export type SpecSource = z.infer<typeof specSchema>;
