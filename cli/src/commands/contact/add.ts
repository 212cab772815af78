import { MAX_NAME_BYTES } from '@parley/generated';
import { requestExpiresAt } from '@parley/runtime/engine';
import { Command, Option } from 'clipanion';
import { requestContact } from '../../actions.ts';
import { contactInfo, label } from '../../contacts.ts';
import { BadInviteError, BadUsageError } from '../../errors.ts';
import { OnlineCommand } from '../base.ts';

/** Longest invite read from stdin (invites are a few hundred characters). */
const MAX_INVITE_CHARS = 8192;

export class ContactAddCommand extends OnlineCommand {
  static override paths = [['contact', 'add']];
  static override usage = Command.Usage({
    category: 'Contacts',
    description: "add a contact from their invite",
    details: `
      Takes an invite (link, \`parley:invite/...\` URI, or the bare code; \`-\` reads it from standard input), checks it, and sends the owner a contact request through the relay. The contact stays "requested" until they accept; messages you send meanwhile wait and go out when they do.

      The invite must be for the relay you pinned (exit 4 otherwise).
    `,
    examples: [
      ['Add Bob', '$0 contact add "http://127.0.0.1:8080/#invite=AbC..." --name bob'],
      ['Without the invite in your shell history', 'pbpaste | $0 contact add - --name bob'],
      ['With a greeting', '$0 contact add "$INVITE" --note "hi, it is Alice from the meetup"'],
    ],
  });

  invite = Option.String({ name: 'invite' });
  name = Option.String('--name', { description: "your name for the contact (default: the name in the invite)" });
  note = Option.String('--note', { description: 'a greeting sent with the request' });

  protected async run(): Promise<number> {
    if (this.name !== undefined && new TextEncoder().encode(this.name).length > MAX_NAME_BYTES) throw new BadUsageError(`--name may have at most ${MAX_NAME_BYTES} bytes`);
    // `-` reads the invite from stdin: an argument shows in the process list and shell history
    const invite = this.invite === '-' ? await readAll(this.context.stdin) : this.invite;
    return this.online(async (s) => {
      const c = await requestContact(s, invite, { ...(this.name !== undefined ? { name: this.name } : {}), ...(this.note !== undefined ? { note: this.note } : {}) }, this.timeoutMs());
      if (this.json) this.outJson({ contact: contactInfo(c) });
      else {
        this.out(`Asked ${label(c)} to be your contact. It is "requested" until they accept.`);
        // the owner answers nothing to a request it drops (an invite already used): say the bound now
        this.out(`If they have not accepted by ${new Date(requestExpiresAt(c)!).toLocaleString()}, the request expires: maybe the invite was already used. Then ask them for a new one.`);
      }
      return 0;
    });
  }
}

/** Reads standard input to the end, bounded: an invite is a few hundred bytes. */
async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    if (text.length > MAX_INVITE_CHARS) throw new BadInviteError('the invite on standard input is too long');
  }
  return text.trim();
}
