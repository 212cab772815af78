/**
 * The bounds of a new invite (`whoami --uses/--ttl`, the bridge's `invite`), checked before the
 * engine encodes it: the spec's invite struct allows 1 to MAX_INVITE_USES uses and an expiry of
 * at most MAX_TIMESTAMP_S, and a value outside would otherwise fail deep in the codec as an
 * internal error instead of a usage error.
 */
import { INVITE_DEFAULT_TTL_S, MAX_INVITE_USES, MAX_TIMESTAMP_S } from '@parley/generated';
import { BadUsageError } from './errors.ts';

export function inviteOptions(uses: number, ttl: number | undefined, names: { uses: string; ttl: string }, nowMs = Date.now()): { maxUses: number; ttlSeconds: number } {
  if (!Number.isInteger(uses) || uses < 1 || uses > MAX_INVITE_USES) {
    throw new BadUsageError(`${names.uses} must be a whole number from 1 to ${MAX_INVITE_USES} (the protocol's MAX_INVITE_USES), got ${uses}`);
  }
  const ttlSeconds = ttl ?? INVITE_DEFAULT_TTL_S;
  const maxTtl = MAX_TIMESTAMP_S - Math.floor(nowMs / 1000);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxTtl) {
    throw new BadUsageError(`${names.ttl} must be a whole number of seconds from 1 to ${maxTtl}, got ${ttlSeconds}`);
  }
  return { maxUses: uses, ttlSeconds };
}
