/**
 * Boundary assertion helpers (internal). Public functions check their inputs once
 * with these; inner functions trust them.
 * Wrong type: TypeError. Wrong length or range: RangeError naming the argument.
 */

export function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array || (ArrayBuffer.isView(x) && x.constructor.name === 'Uint8Array');
}

/** Asserts `value` is a Uint8Array, of exactly `length` bytes if given. */
export function abytes(value: unknown, name: string, length?: number): Uint8Array {
  if (!isBytes(value)) throw new TypeError(`${name} must be a Uint8Array, got ${typeName(value)}`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

/** Asserts `value` is an integer with min <= value <= max. */
export function aint(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeName(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** Asserts `value` is a string. */
export function astring(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${typeName(value)}`);
  return value;
}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}
