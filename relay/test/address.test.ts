/** The source key of every per-address bound: IPv4 address, IPv6 /64, IPv4-mapped IPv6 as IPv4. */
import { describe, expect, it } from 'vitest';
import { sourceKey, UNKNOWN_SOURCE } from '../src/address.ts';

describe('sourceKey', () => {
  it('keeps an IPv4 address whole', () => {
    expect(sourceKey('127.0.0.2')).toBe('127.0.0.2');
    expect(sourceKey('203.0.113.7')).not.toBe(sourceKey('203.0.113.8'));
  });

  it('counts an IPv6 address by its /64', () => {
    expect(sourceKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8:1:2::1')).toBe(sourceKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(sourceKey('2001:db8:1:3::1')).not.toBe(sourceKey('2001:db8:1:2::1'));
    expect(sourceKey('2001:DB8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(sourceKey('2001:db8::')).toBe('2001:db8:0:0::/64');
  });

  it('reads an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(sourceKey('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(sourceKey('::ffff:7f00:3')).toBe('127.0.0.3');
    expect(sourceKey('0:0:0:0:0:ffff:203.0.113.9')).toBe('203.0.113.9');
    // Not mapped: an IPv4-compatible-looking address outside ::ffff:0:0/96 is plain IPv6.
    expect(sourceKey('64:ff9b::203.0.113.9')).toBe('64:ff9b:0:0::/64');
  });

  it('puts anything else under one key', () => {
    expect(sourceKey(undefined)).toBe(UNKNOWN_SOURCE);
    expect(sourceKey('')).toBe(UNKNOWN_SOURCE);
    expect(sourceKey('not an address')).toBe(UNKNOWN_SOURCE);
  });
});

describe('descriptorLimit', () => {
  it('reads the soft limit of open files from /proc/self/limits', async () => {
    const { descriptorLimit } = await import('../src/admission.ts');
    const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            256                  4096                 files\n';
    expect(descriptorLimit(() => text)).toBe(256);
    expect(descriptorLimit(() => text.replace('256 ', 'unlimited '))).toBeUndefined();
    expect(descriptorLimit(() => { throw new Error('no /proc'); })).toBeUndefined();
  });
});
