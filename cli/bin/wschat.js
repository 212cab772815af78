#!/usr/bin/env node
// The `wschat` command: runs src/main.ts through tsx (workspace packages have no build step).
//
// The entry is loaded with tsx's require hook: Node 20 runs ESM loader hooks on a separate
// thread and pays a round trip per module, which doubled the start-up time of every command.
// tsx's ESM hooks are registered as well, for the dynamic imports the runtime makes (the
// crypto backend is picked with `import()`).
import { createRequire } from 'node:module';
import { register as registerCjs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';

registerCjs();
registerEsm();
const { main } = createRequire(import.meta.url)('../src/main.ts');
const code = await main(process.argv.slice(2));
// let piped output reach its reader before exiting
await new Promise((resolve) => process.stdout.write('', resolve));
await new Promise((resolve) => process.stderr.write('', resolve));
process.exit(code);
