import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { Command } from 'clipanion';
import { Option } from 'clipanion';
import { findContact, label } from '../contacts.ts';
import { classify } from '../errors.ts';
import { announcePresence } from '../events.ts';
import { clean, humanLine } from '../output.ts';
import { Reader } from '../reader.ts';
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
      Shows the last messages, then what they write as it arrives; every line you type is sent. Your messages get ✓ when their device has them and ✓✓ when they read them; what they write is marked read as it is shown. \`/file <path>\` sends a file, \`/quit\` (or Ctrl-D, Ctrl-C) ends the chat.
    `,
    examples: [['Chat with Bob', '$0 chat bob']],
  });

  contact = Option.String({ name: 'contact' });

  protected async run(): Promise<number> {
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
      const pending = new Set<string>();
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
            if (e.status === 'sent') pending.delete(id);
            else print(`  ${e.status === 'read' ? '✓✓' : '✓'} ${text}`);
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
                const path = text.slice(6).trim();
                const bytes = new Uint8Array(await fs.readFile(path));
                await s.engine.sendFile(c.key, { name: basename(path), bytes });
                return print(`  sending ${basename(path)}…`);
              }
              const { id } = await s.engine.sendText(c.key, line);
              mine.set(id, line.length > SNIPPET ? `${line.slice(0, SNIPPET)}…` : line);
              pending.add(id);
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
      // let what was typed reach the relay before leaving
      const deadline = Date.now() + timeoutMs;
      while (pending.size > 0 && c.state === 'accepted' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      signal.dispose();
      lines.close();
      await presence.goodbye();
      await reader.stop();
      return 0;
    });
  }
}
