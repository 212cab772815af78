import { MAX_NAME_BYTES } from '@parley/generated';
import { Command, Option } from 'clipanion';
import { acceptRequest } from '../../actions.ts';
import { contactInfo, label } from '../../contacts.ts';
import { BadUsageError } from '../../errors.ts';
import { OnlineCommand } from '../base.ts';

export class RequestsAcceptCommand extends OnlineCommand {
  static override paths = [['requests', 'accept']];
  static override usage = Command.Usage({
    category: 'Contacts',
    description: 'accept a contact request',
    details: 'Sends your acceptance through the relay; from then on you can write to each other.',
    examples: [['Accept Alice', '$0 requests accept alice'], ['By id prefix, naming her', '$0 requests accept 1a2b --name "Alice B."']],
  });

  contact = Option.String({ name: 'contact' });
  name = Option.String('--name', { description: 'your name for the contact (default: the name they gave)' });

  protected async run(): Promise<number> {
    if (this.name !== undefined && new TextEncoder().encode(this.name).length > MAX_NAME_BYTES) throw new BadUsageError(`--name may have at most ${MAX_NAME_BYTES} bytes`);
    return this.online(async (s) => {
      const c = await acceptRequest(s, this.contact, this.name !== undefined ? { name: this.name } : {}, this.timeoutMs());
      if (this.json) this.outJson({ contact: contactInfo(c) });
      else this.out(`${label(c)} is now a contact. Compare safety numbers with: wschat contact verify ${c.id}`);
      return 0;
    });
  }
}
