/**
 * The intermediate form every emitter reads. load.ts builds it from spec/protocol.yaml after
 * validation: constants are evaluated, references resolved, sizes classified. Emitters never
 * look at the YAML.
 */

export type IntType = 'u8' | 'u16' | 'u32' | 'u64';

/** Where a spec element came from, for error messages and for "generated from" comments. */
export interface Origin {
  /** YAML path, e.g. `structs.frame.fields[2]`. */
  path: string;
  /** 1-based line in protocol.yaml. */
  line: number;
}

export interface ConstantIR extends Origin {
  name: string;
  value: number;
  /** The expression as written (a number or e.g. `MAX_FRAME_SIZE - FRAME_OVERHEAD`). */
  expr: string;
  doc: string;
}

export interface StringIR extends Origin {
  name: string;
  value: string;
  doc: string;
}

/** A member of a JSON document; every bound is evaluated. */
export type DocumentMemberIR = Origin & { id: string; doc: string; optional: boolean } & (
  | { type: 'text'; const?: StringIR; pattern?: string; max?: number }
  /** A list of distinct strings, each matching `pattern` and at most `max` UTF-8 bytes. */
  | { type: 'texts'; pattern?: string; max?: number; minCount: number; maxCount: number }
  | { type: 'integers'; min: number; max: number; minCount: number; maxCount: number }
  | { type: 'hex'; size: number }
  | { type: 'fingerprint'; derivation: string; size: number; group: number }
);

/** A JSON document served over HTTP(S) (documents:). */
export interface DocumentIR extends Origin {
  id: string;
  /** The string constant of where it is served (not `path`: that is its Origin in the YAML). */
  at: StringIR;
  doc: string;
  members: DocumentMemberIR[];
}

export interface ContextIR extends Origin {
  id: string;
  label: string;
  /** The full BLAKE3 derive_key context string: prefix + label. */
  context: string;
  doc: string;
}

export interface SignatureIR extends Origin {
  id: string;
  label: string;
  /** The full ASCII prefix of the signed message: prefix + label. */
  message: string;
  signer: 'relay' | 'client' | 'sender';
  /** Derivation id of the binding key. */
  bind: string;
  /** Region id of the signed bytes. */
  region: string;
  doc: string;
}

export interface EnumValueIR extends Origin {
  id: string;
  value: number;
  doc: string;
  reserved: boolean;
}

export interface EnumIR extends Origin {
  id: string;
  type: IntType;
  doc: string;
  values: EnumValueIR[];
}

export interface ErrorGroupIR {
  group: string;
  codes: { code: string; doc: string }[];
}

/** How many bytes a field occupies. */
export type SizeIR =
  /** A fixed count of bytes. */
  | { kind: 'fixed'; value: number; expr: string }
  /** A little-endian length prefix of the given width precedes the bytes. */
  | { kind: 'prefix'; width: 'u8' | 'u16' | 'u32' }
  /** Every remaining byte of the enclosing input except the last `minus`. */
  | { kind: 'rest'; minus: number; expr: string }
  /** Every remaining byte of the enclosing input. */
  | { kind: 'eos' };

interface FieldBase extends Origin {
  id: string;
  doc: string;
}

export interface IntFieldIR extends FieldBase {
  type: IntType;
  /** Enum id when the field holds an enum value. */
  enum?: string;
  /** A required value (resolved to a number). */
  const?: number;
  /** Enum value id of `const`, when the field is an enum. */
  constName?: string;
  min?: number;
  max?: number;
  /** Bits that may be set; any other bit is NON_CANONICAL. */
  mask?: number;
}

export interface BytesFieldIR extends FieldBase {
  type: 'bytes' | 'str' | 'zeros';
  size: SizeIR;
  /** Bounds on the byte length (for prefix, rest and eos sizes). */
  minLen?: number;
  maxLen?: number;
}

export interface ListFieldIR extends FieldBase {
  type: 'list';
  /** `u8` or a struct id. */
  of: string;
  count: { kind: 'prefix'; width: 'u8' | 'u16' | 'u32' };
  minCount: number;
  maxCount: number;
}

export interface StructFieldIR extends FieldBase {
  type: 'struct';
  struct: string;
}

export interface SwitchCaseIR {
  /** Enum value id of the selector. */
  valueId: string;
  value: number;
  struct: string;
}

export interface SwitchFieldIR extends FieldBase {
  type: 'switch';
  /** Id of the earlier enum field that selects the case. */
  on: string;
  enum: string;
  size: SizeIR;
  minLen?: number;
  maxLen?: number;
  cases: SwitchCaseIR[];
}

export type FieldIR = IntFieldIR | BytesFieldIR | ListFieldIR | StructFieldIR | SwitchFieldIR;

export interface StructIR extends Origin {
  id: string;
  doc: string;
  fields: FieldIR[];
  /** Encoded size when every field has a fixed size; otherwise null. */
  fixedSize: number | null;
  /** Smallest possible encoding. */
  minSize: number;
}

export interface RegionPartIR extends Origin {
  id: string;
  type: IntType | 'bytes';
  doc?: string;
  /** Fixed byte size; null for a variable part (u32 length prefix unless `raw`). */
  size: number | null;
  sizeExpr?: string;
  enum?: string;
  /** A fixed value (constant or enum value), resolved. */
  value?: number;
  valueName?: string;
  raw: boolean;
}

export interface RegionIR extends Origin {
  id: string;
  doc: string;
  parts: RegionPartIR[];
}

export interface DerivationIR extends Origin {
  id: string;
  mode: 'derive_key' | 'keyed_hash';
  /** Context id (derive_key). */
  context?: string;
  /** Description of the key (keyed_hash). */
  key?: string;
  input: string;
  out: number;
  outExpr: string;
  doc: string;
}

export interface KindIR {
  id: string;
  route: string;
  payload: string;
  protection?: string;
  /** Which payload lengths the kind allows, and the error each other length gets. */
  length?: string;
  signature?: string;
  ad?: string;
}

/** A rule of `rules:`: what an implementation accepts beyond byte layouts. */
export interface RuleIR {
  id: string;
  title: string;
  doc: string;
  items: string[];
}

export interface HandshakeStepIR {
  step: string;
  from: 'relay' | 'client';
  message: string;
  computes: string[];
  checks: { check: string; error: string }[];
}

/** spec `sessions`: the ratchet's order of checks, state machine and a sequence chart. */
export interface SessionsIR {
  doc: string;
  ratchetOrder: string[];
  states: { state: string; doc: string }[];
  transitions: { from: string; on: string; to: string }[];
  sequence: { doc: string; steps: { from: string; to: string; message: string; note?: string }[] };
}

export interface SpecIR {
  /** Hex SHA-256 of protocol.yaml's bytes: stamped on every generated file. */
  hash: string;
  /** Path of the source, for generated headers. */
  source: string;
  protocol: { name: string; version: number; doc: string };
  constants: ConstantIR[];
  strings: StringIR[];
  documents: DocumentIR[];
  contexts: { prefix: string; items: ContextIR[] };
  /** `digest`: bytes of KH(k_bind, region) inside every signed message. */
  signatures: { prefix: string; digest: number; items: SignatureIR[] };
  enums: EnumIR[];
  errors: ErrorGroupIR[];
  structs: StructIR[];
  regions: RegionIR[];
  derivations: DerivationIR[];
  kinds: KindIR[];
  /** Acceptance rules (keys, signatures, replay, invites); empty when the spec has none. */
  rules: RuleIR[];
  receiveOrder: string[];
  /** The recipient's checks on a first-contact frame, cheapest first. */
  firstContactOrder: string[];
  /** v2 sessions (spec `sessions`), for the auditor's section of PROTOCOL.md; absent in specs without sessions. */
  sessions?: SessionsIR;
  handshake: HandshakeStepIR[];
  /**
   * 1-based line of every map key and sequence item of the source, by YAML path
   * (`protocol.version`, `kinds.peer.ad`, `receive_order[2]`): for tools that point finer than an
   * element's Origin, or at parts that have none (spec:diff). Optional: IR built by hand may omit it.
   */
  lines?: Record<string, number>;
}

/** Byte width of an integer type. */
export const INT_WIDTH: Record<IntType, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };
/** Largest value of an integer type, as a JS number (u64 is capped at 2^53 - 1). */
export const INT_MAX: Record<IntType, number> = { u8: 0xff, u16: 0xffff, u32: 0xffffffff, u64: Number.MAX_SAFE_INTEGER };
