/** The types of generated/src/layouts.ts, the field layouts of every struct (re-exported there). */

/** How a field's size is found. `count`: a list with a count prefix; `struct`: the nested struct's own layout. */
export type SizeKind = 'fixed' | 'prefix' | 'rest' | 'eos' | 'count' | 'struct';

/** One field of a struct, in wire order. */
export interface FieldLayout {
  /** Spec id (snake_case), as in error paths. */
  readonly id: string;
  /** Property name in the TypeScript type. */
  readonly name: string;
  /** YAML path of the field in the spec. */
  readonly path: string;
  readonly type: 'u8' | 'u16' | 'u32' | 'u64' | 'bytes' | 'str' | 'zeros' | 'list' | 'struct' | 'switch';
  /** Encoded size in bytes when it does not depend on the value, else null. */
  readonly size: number | null;
  readonly sizeKind: SizeKind;
  /** Width in bytes of the length prefix (sizeKind prefix) or count prefix (count). */
  readonly prefix?: 1 | 2 | 4;
  /** sizeKind rest: bytes left after this field. */
  readonly rest?: number;
  /** Integer bounds (absent: the width's bounds; u64 is capped at 2^53 - 1). */
  readonly min?: number;
  readonly max?: number;
  /** Bits an integer may set. */
  readonly mask?: number;
  /** The value an integer must have. */
  readonly const?: number;
  /** Enum id of an integer or the selector of a switch. */
  readonly enum?: string;
  /** Valid codes of the enum. */
  readonly codes?: readonly number[];
  /** Reserved codes of the enum (invalid on the wire). */
  readonly reserved?: readonly number[];
  /** Byte length bounds of bytes, str, zeros and switch bodies. */
  readonly minLen?: number;
  readonly maxLen?: number;
  /** Lists: element type (`u8` or a struct id) and count bounds. */
  readonly of?: string;
  readonly minCount?: number;
  readonly maxCount?: number;
  /** Nested struct id. */
  readonly struct?: string;
  /** Switch: the selector field id, and the struct id and enum value id of each code. */
  readonly on?: string;
  readonly cases?: Readonly<Record<number, string>>;
  readonly caseNames?: Readonly<Record<number, string>>;
}

/** A struct's layout. */
export interface StructLayout {
  readonly id: string;
  /** TypeScript type name. */
  readonly name: string;
  readonly path: string;
  /** Encoded size when every field is fixed, else null. */
  readonly fixedSize: number | null;
  /** Smallest possible encoding. */
  readonly minSize: number;
  readonly fields: readonly FieldLayout[];
}
