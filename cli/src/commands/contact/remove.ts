import { Command, Option } from 'clipanion';
import { findContact, label } from '../../contacts.ts';
import { BaseCommand } from '../base.ts';

export class ContactRemoveCommand extends BaseCommand {
  static override paths = [['contact', 'remove']];
  static override usage = Command.Usage({
    category: 'Contacts',
    description: 'remove a contact with its history and queued messages',
    details: 'Local only: nothing is sent. Messages from them are dropped afterwards, since they are no longer a contact.',
    examples: [['Remove Bob', '$0 contact remove bob'], ['By id prefix', '$0 contact remove 1a2b']],
  });

  contact = Option.String({ name: 'contact' });

  protected async run(): Promise<number> {
    return this.local(async (s) => {
      const c = findContact(s.engine, this.contact);
      await s.engine.removeContact(c.key);
      if (this.json) this.outJson({ removed: { id: c.id, name: c.name } });
      else this.out(`Removed ${label(c)}.`);
      return 0;
    });
  }
}
