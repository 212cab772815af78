/**
 * Build warnings a first `npm start` shows, sorted: the ones that mean nothing for the app are
 * silenced here, each with its reason; every other warning still shows.
 *
 * - INVALID_ANNOTATION in zod: zod 4's sources put `@__PURE__` comments where Rollup cannot use
 *   them ("contains an annotation that Rollup cannot interpret"); Rollup drops the comment and
 *   the bundle is the same. Nothing to fix on our side, and the lines alarmed new users.
 */
import type { Rollup } from 'vite';

type RollupLog = Rollup.RollupLog;

type Warn = (log: RollupLog) => void;

export function isHarmlessWarning(log: RollupLog): boolean {
  return log.code === 'INVALID_ANNOTATION' && /[\\/]node_modules[\\/]zod[\\/]/.test(log.id ?? '');
}

/** Rollup's `onwarn`: drops the harmless warnings above, passes on the rest. */
export function quietHarmlessWarnings(log: RollupLog, warn: Warn): void {
  if (!isHarmlessWarning(log)) warn(log);
}
