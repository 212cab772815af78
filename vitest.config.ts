import { defineConfig } from 'vitest/config';

// One run covers every package: tests sit in <package>/test/ and are named after the behaviour
// they check. Network tests bind 127.0.0.1 only.
export default defineConfig({
  test: {
    include: ['*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'web/**/e2e/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // clipanion 3's ES build imports a folder ('../platform'), which Node's ESM loader refuses:
    // let vite resolve it (the wschat launcher loads clipanion's CommonJS build instead)
    server: { deps: { inline: ['clipanion'] } },
  },
});
