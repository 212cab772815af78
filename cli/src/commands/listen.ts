import { Command, Option } from 'clipanion';
import { findContact } from '../contacts.ts';
import { WrongRelayKeyError } from '../errors.ts';
import { announcePresence } from '../events.ts';
import { ProgressBar, humanLine, writeJson } from '../output.ts';
import { Reader } from '../reader.ts';
import { positiveInteger } from './whoami.ts';
import { OnlineCommand, untilSignal } from './base.ts';

export class ListenCommand extends OnlineCommand {
  static override paths = [['listen']];
  static override usage = Command.Usage({
    description: 'print incoming messages until stopped',
    details: `
      Prints messages as they arrive, first any that arrived while nothing was listening (the backlog). Files are received into the downloads folder, with a progress bar on a terminal. Contact requests are shown but never accepted on their own.

      \`--json\` prints one JSON object a line (the event schema of cli/AGENTS.md): message, file, file-progress, file-failed, receipt, presence, typing, contact-request, contact-accepted, contact-request-expired, state. Stop with Ctrl-C (or SIGTERM); \`--count N\` stops after N messages or files.
    `,
    examples: [
      ['Listen', '$0 listen'],
      ['One JSON object a line', '$0 listen --json'],
      ['Wait for the next message from Bob', '$0 listen --contact bob --count 1 --json'],
    ],
  });

  contact = Option.String('--contact', { description: 'only events about this contact' });
  count = Option.String('--count', { description: 'stop after this many messages or files', validator: positiveInteger });

  protected async run(): Promise<number> {
    const limit = this.count;
    return this.online(async (s) => {
      const only = this.contact !== undefined ? findContact(s.engine, this.contact).key : undefined;
      const stdout = this.context.stdout;
      const stderr = this.context.stderr as NodeJS.WriteStream;
      const bars = new Map<string, ProgressBar>();
      let received = 0;
      let finish: (code: number) => void = () => undefined;
      const finished = new Promise<number>((resolve) => (finish = resolve));
      const reader = new Reader(s, (e) => {
        if (this.json) writeJson(stdout, e);
        else if (e.type === 'file-progress' && e.direction === 'in') {
          let bar = bars.get(e.fileId);
          if (!bar) bars.set(e.fileId, (bar = new ProgressBar(stderr, `receiving ${e.fileId.slice(0, 8)} from ${e.contact.name || e.contact.id}`)));
          bar.update(e.bytes, e.size);
          if (e.bytes >= e.size) bar.done();
        } else if (e.type === 'error') {
          stderr.write(`wschat: ${e.message}\n`);
        } else if (e.type === 'state') {
          if (e.state === 'offline' && e.retryInMs === 0 && e.endpoint !== undefined) stderr.write(`wschat: relay node ${e.endpoint} failed (${e.reason ?? 'closed'}), trying another node now\n`);
          else if (e.state === 'offline') stderr.write(`wschat: offline (${e.reason ?? 'closed'}), retrying in ${Math.ceil((e.retryInMs ?? 0) / 1000)} s\n`);
          else if (e.state === 'online') stderr.write('wschat: online\n');
        } else {
          const line = humanLine(e);
          if (line) stdout.write(line + '\n');
        }
        if (e.type === 'message' || e.type === 'file') {
          received++;
          if (limit !== undefined && received >= limit) finish(0);
        }
      }, { autoHandle: true, state: true, ...(only !== undefined ? { contact: only } : {}) });
      const badRelay = s.engine.on('state', (st) => {
        if (st.state === 'offline' && st.error?.code === 'BAD_RELAY' && st.failover === undefined) finish(this.fail(new WrongRelayKeyError(`wrong relay key: ${s.config.relay.url} no longer holds the pinned keys`)));
      });
      const signal = untilSignal();
      void signal.promise.then(() => finish(0));
      const presence = announcePresence(s);
      if (!this.json) stderr.write(`wschat: listening as ${s.engine.id}${s.config.name ? ` (${s.config.name})` : ''}; files go to ${s.downloads} (Ctrl-C stops)\n`);
      try {
        await reader.start();
        return await finished;
      } finally {
        signal.dispose();
        badRelay();
        await presence.goodbye();
        await reader.stop();
        for (const b of bars.values()) b.done();
      }
    });
  }
}
