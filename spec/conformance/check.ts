/** Judges one answer against its vector. */
import type { Reply } from './child.ts';
import type { FailureCode } from './errors.ts';
import type { Case } from './vectors.ts';

export type Verdict = { pass: true } | { pass: false; code: FailureCode; detail: string };

export interface CheckOptions {
  /** Accept any error offset (for implementations that do not track offsets). */
  ignoreOffsets: boolean;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const short = (x: unknown, max = 100): string => {
  const s = JSON.stringify(x) ?? String(x);
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
};

/** The first difference between two JSON values, as `at <path>: expected X, got Y`; null if equal. */
export function firstDifference(expected: unknown, actual: unknown, path = ''): string | null {
  const here = path || '(root)';
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `at ${here}: expected an array, got ${short(actual)}`;
    if (expected.length !== actual.length) return `at ${here}: expected ${expected.length} elements, got ${actual.length}`;
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return `at ${here}: expected an object, got ${short(actual)}`;
    for (const k of Object.keys(expected)) {
      if (!(k in actual)) return `at ${path ? `${path}.${k}` : k}: missing`;
      const d = firstDifference(expected[k], actual[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
    for (const k of Object.keys(actual)) if (!(k in expected)) return `at ${path ? `${path}.${k}` : k}: unexpected member`;
    return null;
  }
  if (Object.is(expected, actual)) return null;
  // Long hex (frames, keys): say where the bytes first differ rather than cut both strings short.
  if (typeof expected === 'string' && typeof actual === 'string' && expected.length >= LONG_HEX && HEX.test(expected) && HEX.test(actual)) {
    return `at ${here}: ${hexDifference(expected, actual) ?? 'same bytes, but hex in answers must be lowercase'}`;
  }
  return `at ${here}: expected ${short(expected)}, got ${short(actual)}`;
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
/** Hex strings at least this long are compared bytewise in difference reports (a 16-byte value and up). */
const LONG_HEX = 32;

function hexDifference(expected: string, actual: string): string | null {
  const a = actual.toLowerCase();
  if (a === expected) return null;
  let i = 0;
  while (i < expected.length && expected[i] === a[i]) i++;
  const byte = i >> 1;
  return `expected ${expected.length / 2} bytes, got ${a.length / 2} bytes; first difference at byte ${byte}: expected ${expected.slice(byte * 2, byte * 2 + 16) || '(end)'}…, got ${a.slice(byte * 2, byte * 2 + 16) || '(end)'}…`;
}

export function check(c: Case, reply: Reply, options: CheckOptions): Verdict {
  if (!reply.ok) return { pass: false, code: reply.code, detail: reply.detail };
  const r = reply.response;
  const e = c.expect;
  if (r.ok === false) {
    const err = r.error;
    if (!isObject(err) || typeof err.code !== 'string') return { pass: false, code: 'BAD_RESPONSE', detail: `ok: false needs error: { code }, got ${short(r)}` };
    const got = `${err.code}${err.offset !== undefined ? ` at ${short(err.offset)}` : ''}${typeof err.message === 'string' ? ` (${err.message})` : ''}`;
    if (e.kind !== 'error') return { pass: false, code: 'UNEXPECTED_ERROR', detail: `failed with ${got}` };
    if (err.code !== e.code) return { pass: false, code: 'WRONG_ERROR', detail: `expected ${e.code}${e.offset !== undefined ? ` at ${e.offset}` : ''}${e.stage ? ` (receive step: ${e.stage})` : ''}, got ${got}` };
    if (!options.ignoreOffsets && e.offset !== undefined && err.offset !== e.offset) return { pass: false, code: 'WRONG_ERROR', detail: `expected ${e.code} at ${e.offset}, got ${got}` };
    return { pass: true };
  }
  if (e.kind === 'error') return { pass: false, code: 'UNEXPECTED_OK', detail: `expected ${e.code}${e.offset !== undefined ? ` at ${e.offset}` : ''}${e.stage ? ` (receive step: ${e.stage})` : ''}, got ok: ${short(r, 160)}` };
  if (e.kind === 'hex') {
    if (typeof r.hex !== 'string') return { pass: false, code: 'BAD_RESPONSE', detail: `encode answer needs "hex", got ${short(r)}` };
    const d = hexDifference(e.hex, r.hex);
    return d ? { pass: false, code: 'MISMATCH', detail: d } : { pass: true };
  }
  const [want, got, member] = e.kind === 'fields' ? [e.fields, r.fields, 'fields'] : [e.result, r.result, 'result'];
  if (got === undefined) return { pass: false, code: 'BAD_RESPONSE', detail: `answer needs "${member}", got ${short(r)}` };
  const d = firstDifference(want, got);
  return d ? { pass: false, code: 'MISMATCH', detail: `${member} ${d}` } : { pass: true };
}
