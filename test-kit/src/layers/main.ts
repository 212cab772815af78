/**
 * `npm run deps:check` (part of `npm test`): the dependency rule check of rules.ts on the
 * repository (or on the folder given), one line per violation; exit code 1 if there is any.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkRepository, formatViolation } from './check.ts';
import { MAX_SOURCE_LINES } from './rules.ts';

const root = resolve(process.argv[2] ?? fileURLToPath(new URL('../../../', import.meta.url)));
const violations = checkRepository(root);
for (const v of violations) console.error(formatViolation(v));
if (violations.length > 0) {
  console.error(`deps:check: ${violations.length} violation(s) of test-kit/src/layers/rules.ts`);
  process.exit(1);
}
console.log(`deps:check: every import follows the layers; no source file is over ${MAX_SOURCE_LINES} lines`);
