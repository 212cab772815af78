#!/usr/bin/env node
// `npm run android:sync`: builds the web app (web/dist, with the VITE_PARLEY_* settings in the
// environment) and runs `cap sync android` here, which copies web/dist into
// android/app/src/main/assets/public, writes capacitor.config.json there and updates the plugin
// wiring (capacitor.settings.gradle, app/capacitor.build.gradle). Offline: nothing is fetched.
//   --skip-build   only the sync; web/dist is built only if it is missing (android/test does this)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url))); // android/
const root = dirname(here);
const skipBuild = process.argv.includes('--skip-build');

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, CI: process.env.CI ?? 'true' } });
  if (r.status !== 0) {
    console.error(`android:sync: ${[cmd, ...args].join(' ')} failed (${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

if (!skipBuild || !existsSync(join(root, 'web', 'dist', 'index.html'))) {
  run('npm', ['run', '-s', '-w', '@parley/web', 'build'], root);
}
const cap = createRequire(join(here, 'package.json')).resolve('@capacitor/cli/bin/capacitor');
run(process.execPath, [cap, 'sync', 'android'], here);
