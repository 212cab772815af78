import { Command } from 'clipanion';
import { Bridge } from '../bridge/bridge.ts';
import { EXIT, classify } from '../errors.ts';
import { announcePresence } from '../events.ts';
import { writeJson } from '../output.ts';
import { OnlineCommand, untilSignal } from './base.ts';

export class BridgeCommand extends OnlineCommand {
  static override paths = [['bridge']];
  static override usage = Command.Usage({
    description: 'JSON Lines on stdin and stdout, for scripts and AI agents',
    details: `
      Reads one JSON command a line on standard input (send, file, contacts, history, ack, read, invite, add, accept, reject) and writes one JSON event a line on standard output (ready, message, receipt, presence, typing, file-progress, file, file-failed, contact-request, contact-accepted, contact-request-expired, state, result, error). Every line is checked against the schema; a bad line gets an \`error\` event and the bridge goes on. Messages not acknowledged (\`ack\` or \`read\`) are sent again as backlog the next time the bridge starts. Ends when standard input ends, after what it queued went to the relay (texts, file offers, every chunk of a file; at most \`--timeout\` seconds, else an \`error\` event TIMEOUT and exit 9: the rest stays queued for the next wschat run), or at once on SIGINT/SIGTERM. Standard output is always JSON; \`--json\` makes the one-line failure on standard error JSON too. See cli/AGENTS.md.
    `,
    examples: [
      ['Run the bridge', '$0 bridge'],
      ['Send one message from a script', `echo '{"type":"send","to":"bob","text":"hi"}' | $0 bridge`],
    ],
  });

  protected async run(): Promise<number> {
    const stdout = this.context.stdout;
    try {
      return await this.online(async (s) => {
        const bridge = new Bridge(s, stdout, this.timeoutMs());
        const presence = announcePresence(s);
        const signal = untilSignal();
        let fatal: number | undefined;
        const offBad = s.engine.on('state', (st) => {
          if (st.state === 'offline' && st.error?.code === 'BAD_RELAY' && st.failover === undefined) {
            bridge.error('WRONG_RELAY_KEY', `${s.config.relay.url} no longer holds the pinned relay keys`);
            fatal = EXIT.wrongRelayKey;
            this.context.stdin.destroy();
          }
        });
        let drained = true;
        try {
          const ended = await Promise.race([bridge.run(this.context.stdin).then(() => 'eof' as const), signal.promise]);
          // Stdin ended: what was queued goes to the relay first (bounded by --timeout). On a
          // signal, or with a relay that fails its keys, stop now: the outbox keeps the rest.
          if (ended === 'eof' && fatal === undefined) drained = await bridge.drain();
          else await bridge.stop();
        } finally {
          offBad();
          signal.dispose();
          await presence.goodbye();
        }
        return fatal ?? (drained ? EXIT.ok : EXIT.timeout);
      });
    } catch (err) {
      // the agent reads stdout: it gets the failure there too, before the exit code
      const c = classify(err);
      writeJson(stdout, { type: 'error', code: c.code, message: c.message });
      throw err;
    }
  }
}
