#!/usr/bin/env node
// The `notifier` command: runs src/main.ts through tsx (workspace packages have no build step).
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/main.ts');
process.exit(await main(process.argv.slice(2)));
