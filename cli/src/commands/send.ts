import { MAX_TEXT_BYTES } from '@parley/generated';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { findContact, label } from '../contacts.ts';
import { BadUsageError, QueuedOfflineError, RelayUnreachableError, TimeoutError } from '../errors.ts';
import type { Session } from '../session.ts';
import { MAX_SYNC_WAIT_MS, OnlineCommand } from './base.ts';

export class SendCommand extends OnlineCommand {
  static override paths = [['send']];
  static override usage = Command.Usage({
    description: 'send a text message',
    details: `
      Sends the text and waits until the relay took it (\`--wait sent\`, the default) or until the contact's device confirmed it (\`--wait delivered\`; it must be online, or come online, before \`--timeout\`). A text of \`-\` is read from standard input (at most ${MAX_TEXT_BYTES} bytes).

      When the relay cannot be reached within \`--timeout\`, the text is kept in the outbox and wschat says so (exit 6, with the message id): it goes out with the next command that connects (\`wschat listen\`, \`wschat chat\`, another \`send\`...). Do not send it again.

      To a contact who has not accepted your request yet, the message is stored and goes out once they accept (while any wschat command runs).
    `,
    examples: [
      ['Send a message', '$0 send bob "lunch at noon?"'],
      ['From standard input, waiting for delivery', 'echo "build finished" | $0 send bob - --wait delivered'],
    ],
  });

  contact = Option.String({ name: 'contact' });
  words = Option.Rest({ name: 'text', required: 1 });
  wait = Option.String('--wait', 'sent', { description: 'sent (the relay took it) or delivered (their device has it); default sent', validator: t.isEnum(['sent', 'delivered'] as const) });
  silent = Option.Boolean('--silent', false, { description: 'ask their device not to notify' });

  protected async run(): Promise<number> {
    const text = this.words.length === 1 && this.words[0] === '-' ? await readStdin(this.context.stdin) : this.words.join(' ');
    if (text.trim() === '') throw new BadUsageError('nothing to send: the text is empty');
    const timeoutMs = this.timeoutMs();
    return this.online(async (s) => {
      await this.reachRelayOrQueue(s, text);
      const c = findContact(s.engine, this.contact, ['accepted', 'requested']);
      const sent = new Set<string>();
      const delivered = new Set<string>();
      let wake = (): void => undefined;
      const offs = [
        s.engine.on('sent', (e) => (sent.add(e.id), wake())),
        s.engine.on('delivered', (e) => (e.ids.forEach((id) => delivered.add(id)), wake())),
      ];
      try {
        const { id } = await s.engine.sendText(c.key, text, { silent: this.silent });
        let status: 'queued' | 'sent' | 'delivered' = 'queued';
        if (c.state === 'accepted') {
          const want = this.wait === 'delivered' ? delivered : sent;
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => {
              const reached = delivered.has(id) ? 'delivered' : sent.has(id) ? 'sent' : 'not yet sent';
              reject(new TimeoutError(`timed out after ${timeoutMs / 1000} s waiting until the message was ${this.wait} (it is ${reached}; it stays queued and is resent by any later wschat run)`));
            }, timeoutMs);
            wake = () => {
              if (!want.has(id) && !delivered.has(id)) return;
              clearTimeout(timer);
              resolve();
            };
            wake();
          });
          status = delivered.has(id) ? 'delivered' : 'sent';
        }
        if (this.json) this.outJson({ id, to: { id: c.id, name: c.name }, status });
        else if (status === 'queued') this.out(`Queued for ${label(c)}: it goes out once they accept your request.`);
        else this.out(`${status === 'delivered' ? '✓ delivered to' : 'sent to'} ${label(c)}`);
        return 0;
      } finally {
        offs.forEach((off) => off());
      }
    }, { waitOnline: false });
  }

  /**
   * Waits for the relay like every online command. When it cannot be reached, the text is kept
   * in the outbox anyway (the engine stores it before any connection) and the failure says so:
   * exit 6 as before, since nothing went out, but with the message's id (`queued` with --json)
   * so that a script does not send it twice. Any later command that connects sends it.
   */
  private async reachRelayOrQueue(s: Session, text: string): Promise<void> {
    try {
      await s.waitOnline(this.timeoutMs());
      await s.waitSynced(Math.min(this.timeoutMs(), MAX_SYNC_WAIT_MS));
    } catch (err) {
      if (!(err instanceof RelayUnreachableError)) throw err;
      let contact;
      try {
        contact = findContact(s.engine, this.contact, ['accepted', 'requested']);
      } catch {
        throw err; // nothing to queue for: the relay being down is still the first thing to say
      }
      const { id } = await s.engine.sendText(contact.key, text, { silent: this.silent });
      throw new QueuedOfflineError(err.message, id);
    }
  }
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += b.length;
    // one byte more than allowed is enough to report the text as too long
    if (total > MAX_TEXT_BYTES + 2) throw new BadUsageError(`the text on standard input is longer than ${MAX_TEXT_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
