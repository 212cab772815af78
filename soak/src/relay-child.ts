/**
 * The relay process the soak starts: loads the relay's code (relay/src/main.ts), says `ready`
 * over IPC, and runs `relay start <argv>` when told `go`. The soak keeps one of these loaded in
 * advance, so a restart after SIGKILL is a fresh process with empty state that only has to bind
 * the port and accept, and the reconnect figures measure the clients rather than module loading
 * on a busy machine.
 */
import { main } from '@parley/relay/main';

process.on('message', (m) => {
  if (m !== 'go') return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`relay: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
});
process.on('disconnect', () => process.exit(0)); // the soak went away before `go`
process.send!('ready');
