import { basename } from 'node:path';
import { FILE_CHUNK_SIZE } from '@parley/generated';
import { createInterface } from 'node:readline';
import { Command } from 'clipanion';
import { Option } from 'clipanion';
import { findContact, label } from '../contacts.ts';
import { Pending } from '../bridge/pending.ts';
import { BadUsageError, TimeoutError, classify } from '../errors.ts';
import { announcePresence } from '../events.ts';
import { clean, humanLine } from '../output.ts';
import { Reader } from '../reader.ts';
import { detectMime } from '../mime.ts';
import { readSendable } from '../sendable.ts';
import { OnlineCommand, untilSignal } from './base.ts';

/** Messages of the conversation shown when the chat opens. */
const HISTORY_LINES = 20;
/** Characters of a sent text repeated next to its delivery and read marks. */
const SNIPPET = 40;

export class ChatCommand extends OnlineCommand {
  static override paths = [['chat']];
  static override usage = Command.Usage({
    description: 'an interactive conversation with one contact',
    details: `
      Shows the last messages, then what they write as it arrives; every line you type is sent. Your messages get ✓ when their device has them and ✓✓ when they read them; what they write is marked read as it is shown. \`/file <path>\` sends a file, \`/quit\` (or Ctrl-D, Ctrl-C) ends the chat once what you sent, every chunk of a file included, reached the relay (at most \`--timeout\` seconds, else exit 9: the rest stays queued for the next wschat run). For people at a terminal: \`--json\` is refused; scripts use \`wschat bridge\`.
    `,
    examples: [['Chat with Bob', '$0 chat bob']],
  });

  contact = Option.String({ name: 'contact' });
  // chat is for a person at a terminal: --json is refused (hidden from the help), not ignored
  override json = Option.Boolean('--json', false, { hidden: true });

  protected async run(): Promise<number> {
    if (this.json) throw new BadUsageError('chat is interactive and has no JSON output; for JSON use wschat bridge, or wschat listen --json --contact <contact> with wschat send');
    const timeoutMs = this.timeoutMs();
    return this.online(async (s) => {
      const c = findContact(s.engine, this.contact, ['accepted', 'requested']);
      const out = this.context.stdout as NodeJS.WriteStream;
      const tty = out.isTTY === true && (this.context.stdin as NodeJS.ReadStream).isTTY === true;
      let rl: ReturnType<typeof createInterface> | undefined;
      const print = (line: string): void => {
        if (tty) out.write('\r\x1b[K');
        out.write(line + '\n');
        if (tty) rl?.prompt(true);
      };
      const mine = new Map<string, string>();
      // what goes to the relay before the chat may end (like the bridge at end of input)
      const queued = new Pending(s.engine);
      const accepted = (): boolean => s.engine.contact(c.key)?.state === 'accepted';
      const them = c.name ? clean(c.name) : c.id;
      const shown: string[] = [];
      const unread: string[] = [];
      for (const h of await s.engine.history(c.key, { limit: HISTORY_LINES })) {
        if (h.kind === 'pending') continue;
        if (h.dir === 'in') shown.push(h.id);
        if (h.dir === 'in' && !h.read) unread.push(h.id);
        const body = h.deleted ? '(deleted)' : h.kind === 'file' ? `[file ${clean(h.file?.name ?? '')}]` : clean(h.text ?? '');
        const mark = h.dir === 'out' ? (h.status === 'read' ? ' ✓✓' : h.status === 'delivered' ? ' ✓' : h.status === 'failed' ? ' (failed)' : '') : '';
        print(`${h.dir === 'out' ? 'you' : them}: ${body}${mark}`);
      }
      // what the history showed is not shown again as backlog, and counts as read
      s.inbox.handled(c.key, shown);
      if (c.state === 'accepted' && unread.length > 0) await s.engine.markRead(c.key, unread).catch(() => undefined);
      print(`— chatting with ${label(c)}${c.state === 'requested' ? ' (not accepted yet: messages wait)' : ''}; /file <path>, /quit`);
      const reader = new Reader(s, (e) => {
        if (e.type === 'message') {
          print(`${them}: ${clean(e.text)}`);
          if (c.state === 'accepted' || s.engine.contact(c.key)?.state === 'accepted') void s.engine.markRead(c.key, [e.id]).catch(() => undefined);
        } else if (e.type === 'receipt') {
          for (const id of e.ids) {
            const text = mine.get(id);
            if (text === undefined) continue;
            if (e.status !== 'sent') print(`  ${e.status === 'read' ? '✓✓' : '✓'} ${text}`);
          }
        } else if (e.type !== 'typing' && e.type !== 'file-progress') {
          const line = humanLine(e);
          if (line) print(line);
        }
      }, { autoHandle: true, contact: c.key });
      const presence = announcePresence(s);
      await reader.start();
      const signal = untilSignal();
      // created only now, so no typed line is read before it can be handled
      const lines = createInterface({ input: this.context.stdin, output: out, terminal: tty });
      rl = lines;
      lines.setPrompt('> ');
      if (tty) lines.prompt();
      let queue = Promise.resolve();
      const done = new Promise<void>((resolve) => {
        lines.on('close', () => resolve());
        void signal.promise.then(() => resolve());
        lines.on('line', (line) => {
          queue = queue.then(async () => {
            const text = line.trim();
            if (text === '') return;
            try {
              if (text === '/quit') return lines.close();
              if (text === '/help') return print('/file <path> sends a file; /quit ends the chat');
              if (text.startsWith('/file ')) {
                const { path, size, head, source } = await readSendable(text.slice(6).trim());
                const offer = async (): Promise<{ id: string; file: { fileId: string; totalChunks: number } }> => {
                  const r = await s.engine.sendFile(c.key, { name: basename(path), mime: detectMime(basename(path), head), source }).finally(() => source.close());
                  return { id: r.id, file: { fileId: r.fileId, totalChunks: Math.ceil(size / FILE_CHUNK_SIZE) } };
                };
                await (accepted() ? queued.track(offer) : offer());
                return print(`  sending ${basename(path)}…`);
              }
              const send = async (): Promise<{ id: string }> => ({ id: (await s.engine.sendText(c.key, line)).id });
              const { id } = await (accepted() ? queued.track(send) : send());
              mine.set(id, line.length > SNIPPET ? `${line.slice(0, SNIPPET)}…` : line);
            } catch (err) {
              print(`wschat: ${classify(err).message}`);
            } finally {
              if (tty) lines.prompt();
            }
          });
        });
      });
      await done;
      await queue;
      // let what was typed (texts, every chunk of a file) reach the relay before leaving
      const sent = await queued.settle(Date.now() + timeoutMs);
      const left = queued.counts;
      queued.dispose();
      signal.dispose();
      lines.close();
      await presence.goodbye();
      await reader.stop();
      if (!sent) throw new TimeoutError(`after ${Math.round(timeoutMs / 1000)} s ${left.messages} message(s) and ${left.files} file(s) had not reached the relay; they stay queued and go out with the next wschat run`);
      return 0;
    });
  }
}
