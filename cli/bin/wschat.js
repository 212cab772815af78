#!/usr/bin/env -S node --max-semi-space-size=1
// The flag after `node` is runtime/src/node/heap-flags.ts's ENGINE_NODE_FLAGS (a small young
// generation keeps a file transfer's dead chunk buffers from piling up in memory; see there).
// `env -S` passes it; started as `node bin/wschat.js`, wschat runs without it.
// The `wschat` command: runs src/main.ts through tsx (workspace packages have no build step).
//
// The entry is loaded with tsx's require hook: Node 20 runs ESM loader hooks on a separate
// thread and pays a round trip per module, which doubled the start-up time of every command.
// tsx's ESM hooks are registered as well, for the dynamic imports the runtime makes (the
// crypto backend is picked with `import()`).
import { createRequire } from 'node:module';
import { register as registerCjs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';

// Started by npm (`npx wschat`, `npm exec`, an npm script), wschat runs under `sh -c`, and npm
// passes a SIGTERM it receives only to that shell, which dies and leaves wschat running with the
// home folder locked. So when npm started us, the parent going away counts as SIGTERM: long
// commands stop cleanly, the others end as SIGTERM ends them. (A wschat started from a shell
// or a service manager keeps running when its parent exits, as programs do.)
const PARENT_CHECK_MS = 500;
if (process.env.npm_command !== undefined) {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch); // once: a second SIGTERM would cut the clean stop short
    process.kill(process.pid, 'SIGTERM');
  }, PARENT_CHECK_MS).unref();
}

registerCjs();
registerEsm();
const { main } = createRequire(import.meta.url)('../src/main.ts');
const code = await main(process.argv.slice(2));
// let piped output reach its reader before exiting
await new Promise((resolve) => process.stdout.write('', resolve));
await new Promise((resolve) => process.stderr.write('', resolve));
process.exit(code);
