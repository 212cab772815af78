/**
 * The relay fingerprint people compare by eye (spec derivation relay_fingerprint): the relay's
 * public keys through DK(relay fingerprint, relay_x || relay_ed), RELAY_FINGERPRINT_SIZE bytes as
 * lowercase hex in dash-separated groups of RELAY_FINGERPRINT_GROUP_BYTES. Clients pin the keys
 * themselves; this is only for people.
 */
import { RELAY_FINGERPRINT_GROUP_BYTES, deriveRelayFingerprint } from '@parley/generated';
import { toHex } from '../crypto/index.ts';
import { H } from './_blake3.ts';

export function relayFingerprint(relayX: Uint8Array, relayEd: Uint8Array): string {
  const hex = toHex(deriveRelayFingerprint(H, { relayX, relayEd }));
  const width = RELAY_FINGERPRINT_GROUP_BYTES * 2;
  const groups: string[] = [];
  for (let i = 0; i < hex.length; i += width) groups.push(hex.slice(i, i + width));
  return groups.join('-');
}
