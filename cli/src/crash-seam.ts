/**
 * Test seam for crash tests (cli/test/a-killed-wschat-loses-no-v2-message-and-reuses-no-key.test.ts):
 * `WSCHAT_TEST_KILL_AT_WRITE=<n>:before` or `<n>:after` makes this process SIGKILL itself right
 * before, or right after, the n-th write to the engine's state folder (the runtime's
 * killPointStore). Without the variable the store is returned as it is: no wrapper, no counter.
 * A malformed value is refused at start (exit 2) rather than ignored, so a typo cannot silently
 * run a crash test without crashes.
 */
import type { Store } from '@parley/runtime/engine';
import { killPointStore, parseKillPoint } from '@parley/runtime/node';
import { BadUsageError } from './errors.ts';

export const KILL_AT_WRITE_ENV = 'WSCHAT_TEST_KILL_AT_WRITE';

/** The store, or (only with WSCHAT_TEST_KILL_AT_WRITE set) the store with its kill point. */
export function withKillPoint(store: Store, env: NodeJS.ProcessEnv = process.env): Store {
  const spec = env[KILL_AT_WRITE_ENV];
  if (spec === undefined) return store;
  const point = parseKillPoint(spec);
  if (!point) throw new BadUsageError(`${KILL_AT_WRITE_ENV} must be <n>:before or <n>:after (n from 1), not "${spec}"`);
  return killPointStore(store, point);
}
