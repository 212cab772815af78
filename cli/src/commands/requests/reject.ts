import { Command, Option } from 'clipanion';
import { findContact, label } from '../../contacts.ts';
import { BaseCommand } from '../base.ts';

export class RequestsRejectCommand extends BaseCommand {
  static override paths = [['requests', 'reject']];
  static override usage = Command.Usage({
    category: 'Contacts',
    description: 'reject a contact request',
    details: 'Forgets the request. Nothing is sent: the other side is not told.',
    examples: [['Reject a request', '$0 requests reject 1a2b']],
  });

  contact = Option.String({ name: 'contact' });

  protected async run(): Promise<number> {
    return this.local(async (s) => {
      const c = findContact(s.engine, this.contact, ['pending']);
      await s.engine.rejectContact(c.key);
      if (this.json) this.outJson({ rejected: { id: c.id, name: c.name } });
      else this.out(`Rejected ${label(c)}.`);
      return 0;
    });
  }
}
