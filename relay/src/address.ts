/**
 * The source key every per-address bound counts under (connections, handshakes, mailbox
 * bytes, TURN credentials): an IPv4 address as is, an IPv6 address by its /64 prefix. A single
 * IPv6 host usually holds a whole /64 (SLAAC, privacy addresses), so counting full IPv6
 * addresses would give one attacker 2^64 "addresses". An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, what a dual-stack socket reports for IPv4 clients) is its IPv4 address.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** What an unparseable or missing address counts as (all such connections share one key). */
export const UNKNOWN_SOURCE = 'unknown';

export function sourceKey(address: string | undefined): string {
  if (address === undefined || address === '') return UNKNOWN_SOURCE;
  if (isIPv4(address)) return address;
  const zone = address.indexOf('%');
  const a = (zone >= 0 ? address.slice(0, zone) : address).toLowerCase();
  if (!isIPv6(a)) return UNKNOWN_SOURCE;
  const groups = expandIPv6(a);
  // ::ffff:0:0/96 holds IPv4-mapped addresses.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`;
  }
  return groups.slice(0, 4).map((g) => g.toString(16)).join(':') + '::/64';
}

/** The eight 16-bit groups of a valid IPv6 address (with :: and a dotted IPv4 tail expanded). */
function expandIPv6(a: string): number[] {
  let text = a;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const o = last.split('.').map(Number);
    text = text.slice(0, lastColon + 1) + (((o[0]! << 8) | o[1]!).toString(16) + ':' + ((o[2]! << 8) | o[3]!).toString(16));
  }
  const double = text.indexOf('::');
  const head = double < 0 ? text : text.slice(0, double);
  const rest = double < 0 ? '' : text.slice(double + 2);
  const h = head === '' ? [] : head.split(':');
  const r = rest === '' ? [] : rest.split(':');
  const parts = double < 0 ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  return parts.map((p) => parseInt(p, 16));
}
