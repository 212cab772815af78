import { isRequestExpired } from '@parley/runtime/engine';
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
      One line per contact: id, name, state (accepted; requested: waiting for their accept; pending: they asked you, see \`wschat requests\`), and whether you verified the safety number. A request unanswered for CONTACT_REQUEST_TTL_MS (3 days) expires; \`--json\` gives each request's \`expiresAt\` (ms).
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
        this.out(`${c.id}  ${clean(c.name || '-').padEnd(20)}  ${c.state.padEnd(9)}  ${c.verified ? 'verified' : 'unverified'}${c.keyChangeOf ? '  KEYS CHANGED' : ''}${expired}`);
      }
      return 0;
    });
  }
}
