/**
 * Safety numbers (spec derivations safety_number and safety_fingerprint, structs.safety_qr):
 * two contacts compare a short string, or scan each other's QR code, to detect a relay or
 * invite channel in the middle. Both are symmetric: the identities are ordered by X25519 bytes.
 *
 *   digits = DK(safety number, lo.x || lo.ed || hi.x || hi.ed): SAFETY_NUMBER_BYTES bytes in
 *            groups of SAFETY_NUMBER_GROUP_BYTES, each a little-endian integer mod
 *            10^SAFETY_NUMBER_GROUP_DIGITS, zero-padded
 *   QR     = safety_qr { version, DK(safety fingerprint, same input) }
 */
import {
  PROTOCOL_VERSION,
  SAFETY_NUMBER_BYTES,
  SAFETY_NUMBER_GROUP_BYTES,
  SAFETY_NUMBER_GROUP_DIGITS,
  decodeSafetyQr,
  deriveSafetyFingerprint,
  deriveSafetyNumber,
  encodeSafetyQr,
  type SafetyInputParts,
} from '@parley/generated';
import { equalBytes } from '../crypto/index.ts';
import { H } from './_blake3.ts';
import type { PublicKeys } from './identity.ts';
import { orderParties } from './pair.ts';

function parts(a: PublicKeys, b: PublicKeys): SafetyInputParts {
  const [lo, hi] = orderParties(a, b);
  return { loX: lo.x, loEd: lo.ed, hiX: hi.x, hiEd: hi.ed };
}

const MODULUS = 10 ** SAFETY_NUMBER_GROUP_DIGITS;

/** The safety number's digit groups (SAFETY_NUMBER_BYTES / SAFETY_NUMBER_GROUP_BYTES of them). */
export function safetyNumberGroups(a: PublicKeys, b: PublicKeys): string[] {
  const bytes = deriveSafetyNumber(H, parts(a, b));
  const groups: string[] = [];
  for (let at = 0; at + SAFETY_NUMBER_GROUP_BYTES <= SAFETY_NUMBER_BYTES; at += SAFETY_NUMBER_GROUP_BYTES) {
    let n = 0;
    for (let i = SAFETY_NUMBER_GROUP_BYTES - 1; i >= 0; i--) n = n * 256 + bytes[at + i]!; // little-endian, exact below 2^53
    groups.push(String(n % MODULUS).padStart(SAFETY_NUMBER_GROUP_DIGITS, '0'));
  }
  return groups;
}

/** The safety number as groups separated by spaces, e.g. "01234 56789 ...". Same on both sides. */
export function safetyNumber(a: PublicKeys, b: PublicKeys): string {
  return safetyNumberGroups(a, b).join(' ');
}

/** The QR payload (encoded safety_qr) of two identities. Same on both sides. */
export function safetyQr(a: PublicKeys, b: PublicKeys): Uint8Array {
  return encodeSafetyQr({ version: PROTOCOL_VERSION, fingerprint: deriveSafetyFingerprint(H, parts(a, b)) });
}

/**
 * True if a scanned QR payload matches our two identities: it decodes, its version is ours,
 * and the fingerprints are equal (compared in constant time). False for anything else.
 */
export function verifySafetyQr(scanned: Uint8Array, a: PublicKeys, b: PublicKeys): boolean {
  let qr;
  try {
    qr = decodeSafetyQr(scanned);
  } catch {
    return false;
  }
  const mine = deriveSafetyFingerprint(H, parts(a, b));
  const same = equalBytes(qr.fingerprint, mine);
  return same && qr.version === PROTOCOL_VERSION;
}

/** Constant-time comparison of two safety numbers as typed (spaces ignored). */
export function safetyNumbersEqual(x: string, y: string): boolean {
  const enc = new TextEncoder();
  return equalBytes(enc.encode(x.replace(/\s+/g, '')), enc.encode(y.replace(/\s+/g, '')));
}
