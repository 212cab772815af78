/**
 * The web build's warnings on a first `npm start`: the harmless ones (build/quiet-warnings.ts,
 * each with its reason) are silenced, and any other warning still reaches the person building.
 */
import { describe, expect, it } from 'vitest';
import { isHarmlessWarning, quietHarmlessWarnings } from '../build/quiet-warnings.ts';
import config from '../vite.config.ts';

describe('build warnings', () => {
  it('silences only zod\'s uninterpretable annotations, and passes every other warning on', () => {
    const zod = { code: 'INVALID_ANNOTATION', id: '/repo/node_modules/zod/v4/core/util.js', message: 'contains an annotation that Rollup cannot interpret' };
    const ours = { code: 'INVALID_ANNOTATION', id: '/repo/web/src/App.tsx', message: 'x' };
    const other = { code: 'CIRCULAR_DEPENDENCY', id: '/repo/node_modules/zod/v4/core/util.js', message: 'y' };
    expect(isHarmlessWarning(zod)).toBe(true);
    const shown: string[] = [];
    for (const w of [zod, ours, other]) quietHarmlessWarnings(w, (l) => shown.push(`${l.code} ${l.id}`));
    expect(shown).toEqual(['INVALID_ANNOTATION /repo/web/src/App.tsx', 'CIRCULAR_DEPENDENCY /repo/node_modules/zod/v4/core/util.js']);
  });

  it('is wired into the build (Vite sends the worker bundle\'s warnings through it too)', () => {
    const c = config as unknown as { build: { rollupOptions: { onwarn: unknown } } };
    expect(c.build.rollupOptions.onwarn).toBe(quietHarmlessWarnings);
  });
});
