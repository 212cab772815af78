import { V1_PROTECTION, isRequestExpired } from '@parley/runtime/engine';
import { Command } from 'clipanion';
import { contactInfo } from '../../contacts.ts';
import { clean } from '../../output.ts';
import { BaseCommand } from '../base.ts';

export class ContactListCommand extends BaseCommand {
  static override paths = [['contact', 'list'], ['contacts']];
  static override usage = Command.Usage({
    category: 'Contacts',
    description: 'list your contacts',
    details: `
      One line per contact: id, name, state (accepted; requested: waiting for their accept; pending: they asked you, see \`wschat requests\`), whether you verified the safety number, and what protects the conversation ("forward secrecy · post-quantum" on a v2 session after the first round trip, "forward secrecy" before it, "static keys (no forward secrecy)" with a contact still on protocol v1). \`--json\` gives it as \`protection\`: { version, forwardSecrecy, postQuantum, label }.
    `,
    examples: [['List contacts', '$0 contact list'], ['As JSON', '$0 contact list --json']],
  });

  protected async run(): Promise<number> {
    return this.local(async (s) => {
      const contacts = s.engine.contacts().sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
      if (this.json) {
        this.outJson({ contacts: contacts.map(contactInfo) });
        return 0;
      }
      if (contacts.length === 0) {
        this.out('No contacts yet: wschat contact add <invite>, or give yours (wschat whoami).');
        return 0;
      }
      for (const c of contacts) {
        const expired = isRequestExpired(c, Date.now()) ? (c.state === 'requested' ? '  EXPIRED: no answer; ask them for a new invite' : '  EXPIRED: too old to accept') : '';
        this.out(`${c.id}  ${clean(c.name || '-').padEnd(20)}  ${c.state.padEnd(9)}  ${(c.verified ? 'verified' : 'unverified').padEnd(10)}  ${(c.protection ?? V1_PROTECTION).label}${c.keyChangeOf ? '  KEYS CHANGED' : ''}${expired}`);
      }
      return 0;
    });
  }
}
