/**
 * The named rules of `npm run spec:diff`. Every reported change carries one of these ids; the ids
 * are stable (tools and reviews grep for them) and RULES.md documents each with an example.
 *
 * Severity says who a change breaks:
 * - WIRE: an old peer can no longer talk to a new one (bytes, codes, signed or hashed input, or a
 *   bound a receiver enforces changed). Fails the diff unless protocol.version was raised.
 * - API: the generated TypeScript changes shape or value, the bytes on the wire do not.
 * - DOC: documentation text only.
 * - INFO: context for the reader (the protocol version).
 */

export type Severity = 'WIRE' | 'API' | 'DOC' | 'INFO';

/** Order in which groups are printed. */
export const SEVERITIES: readonly Severity[] = ['WIRE', 'API', 'DOC', 'INFO'];

export interface Rule {
  severity: Severity;
  /** One line: what the rule reports. */
  summary: string;
}

export const RULES = {
  // Structures and fields.
  WIRE_FIELD_ADDED: { severity: 'WIRE', summary: 'A field was added to a structure (at any position, also the end).' },
  WIRE_FIELD_REMOVED: { severity: 'WIRE', summary: 'A field was removed from a structure.' },
  WIRE_FIELD_REORDERED: { severity: 'WIRE', summary: 'A field moved to another position among the fields both versions have.' },
  WIRE_FIELD_TYPE_CHANGED: { severity: 'WIRE', summary: "A field's type, enum, nested structure or list element type changed." },
  WIRE_FIELD_OFFSET_CHANGED: { severity: 'WIRE', summary: "A field's byte offset changed (fixed offsets only) because something before it changed." },
  WIRE_FIELD_SIZE_CHANGED: { severity: 'WIRE', summary: "A field's size changed: its fixed size, its kind of size (fixed, prefix, rest, eos) or its rest margin." },
  WIRE_PREFIX_WIDTH_CHANGED: { severity: 'WIRE', summary: 'The width of a length prefix or of a list count prefix changed.' },
  WIRE_BOUND_TIGHTENED: { severity: 'WIRE', summary: 'A bound a decoder enforces got stricter: max or max_count lowered, min or min_count raised, a bound or mask added, mask bits removed.' },
  WIRE_CONST_CHANGED: { severity: 'WIRE', summary: "A field's required value (const) was added, removed or changed." },
  WIRE_SWITCH_CHANGED: { severity: 'WIRE', summary: "A switch's selector changed, or one of its cases was removed or now holds another structure." },
  WIRE_STRUCT_REMOVED: { severity: 'WIRE', summary: 'A structure was removed (and no structure with the same layout replaces it under another name).' },
  // Enums.
  WIRE_ENUM_TYPE_CHANGED: { severity: 'WIRE', summary: "An enum's integer width changed." },
  WIRE_ENUM_CODE_CHANGED: { severity: 'WIRE', summary: 'An enum value kept its name but got another code.' },
  WIRE_ENUM_CODE_REUSED: { severity: 'WIRE', summary: 'A code now means another value: it moved to a value that existed before, or a new name with a new doc took it.' },
  WIRE_ENUM_RESERVED_USED: { severity: 'WIRE', summary: 'A reserved code was put to use (under its reserved name or a new one): old peers refuse it as reserved, or still read it with the meaning it had before it was retired.' },
  WIRE_ENUM_VALUE_REMOVED: { severity: 'WIRE', summary: 'An enum value (or a reservation) was removed instead of being kept with reserved: true.' },
  WIRE_ENUM_REMOVED: { severity: 'WIRE', summary: 'An enum was removed (enums such as close codes are on the wire even when no structure uses them).' },
  // Crypto inputs.
  WIRE_CONTEXT_CHANGED: { severity: 'WIRE', summary: 'A BLAKE3 derive_key context string changed (its label or the common prefix).' },
  WIRE_SIGNATURE_LABEL_CHANGED: { severity: 'WIRE', summary: "A signature's label or the common signature prefix changed." },
  WIRE_SIGNATURE_CHANGED: { severity: 'WIRE', summary: "A signature's signer, binding key derivation or signed region changed." },
  WIRE_REGION_CHANGED: { severity: 'WIRE', summary: "A region's parts (signed bytes, associated data, KDF input) changed: added, removed, reordered, retyped, resized or given another fixed value." },
  WIRE_DERIVATION_CHANGED: { severity: 'WIRE', summary: "A derivation's mode, context, key, input region or output length changed." },
  WIRE_KIND_CHANGED: { severity: 'WIRE', summary: 'A frame kind now uses another signature or associated data.' },
  WIRE_HANDSHAKE_CHANGED: { severity: 'WIRE', summary: 'A handshake step was added, removed, reordered, or sends another message or from the other side.' },
  WIRE_ELEMENT_REMOVED: { severity: 'WIRE', summary: 'A context, signature, region, derivation or frame kind was removed.' },
  // Constants.
  WIRE_LIMIT_TIGHTENED: { severity: 'WIRE', summary: 'A limit constant (name with MAX or MIN) got stricter: a MAX lowered or a MIN raised.' },
  WIRE_CONSTANT_SIZE_CHANGED: { severity: 'WIRE', summary: 'A size constant (name ending in _SIZE or _BYTES, or a PAD bucket) changed value.' },
  WIRE_STRING_CHANGED: { severity: 'WIRE', summary: 'A text constant (strings:, such as an invite link fragment or a well-known path) changed value.' },
  WIRE_STRING_REMOVED: { severity: 'WIRE', summary: 'A text constant was removed; peers built on the old spec still use it.' },
  // API.
  API_FIELD_RENAMED: { severity: 'API', summary: 'A field was renamed at the same position with the same type and bounds.' },
  API_STRUCT_RENAMED: { severity: 'API', summary: 'A structure was renamed; its layout is unchanged.' },
  API_STRUCT_ADDED: { severity: 'API', summary: 'A structure was added.' },
  API_ENUM_RENAMED: { severity: 'API', summary: 'An enum was renamed; its width and values are unchanged.' },
  API_ENUM_ADDED: { severity: 'API', summary: 'An enum was added.' },
  API_ENUM_VALUE_RENAMED: { severity: 'API', summary: 'An enum value was renamed; its code and doc are unchanged.' },
  API_ENUM_VALUE_ADDED: { severity: 'API', summary: 'An enum value was added under a code that was neither used nor reserved.' },
  API_ENUM_VALUE_RESERVED: { severity: 'API', summary: 'An enum value was retired and its code kept with reserved: true (or a new reservation was added).' },
  API_BOUND_LOOSENED: { severity: 'API', summary: 'A bound got laxer: max or max_count raised, min or min_count lowered, a bound removed, mask bits added.' },
  API_SWITCH_CASE_ADDED: { severity: 'API', summary: 'A switch got a case for a code it did not handle.' },
  API_LIMIT_LOOSENED: { severity: 'API', summary: 'A limit constant got laxer: a MAX raised or a MIN lowered.' },
  API_CONSTANT_ADDED: { severity: 'API', summary: 'A constant was added.' },
  API_STRING_ADDED: { severity: 'API', summary: 'A text constant was added.' },
  API_CONSTANT_REMOVED: { severity: 'API', summary: 'A constant was removed (structures that used it report their own changes).' },
  API_CONSTANT_CHANGED: { severity: 'API', summary: 'A constant that is neither a size nor a limit (a timeout, a rate) changed value.' },
  API_EXPR_REWRITTEN: { severity: 'API', summary: 'An expression was rewritten with the same value (e.g. 24 → NONCE_SIZE).' },
  API_ELEMENT_ADDED: { severity: 'API', summary: 'A context, signature, region, derivation or frame kind was added.' },
  API_ELEMENT_RENAMED: { severity: 'API', summary: 'A context, signature, region, region part or derivation was renamed with identical content.' },
  API_ERROR_CODE_CHANGED: { severity: 'API', summary: 'An error code was added, removed or moved to another group, or a handshake check now names another code.' },
  // Documentation and information.
  DOC_CHANGED: { severity: 'DOC', summary: 'Documentation text changed: a doc, a kind description, a handshake step text, the receive order, the v2 sessions section (ratchet order, states, transitions, sequence chart), the protocol name.' },
  INFO_PROTOCOL_VERSION_CHANGED: { severity: 'INFO', summary: 'protocol.version changed. Raising it lets WIRE changes pass.' },
} as const satisfies Record<string, Rule>;

export type RuleId = keyof typeof RULES;

export const RULE_IDS = Object.keys(RULES) as RuleId[];
