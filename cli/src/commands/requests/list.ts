import { requestExpiresAt } from '@parley/runtime/engine';
import { Command, Option } from 'clipanion';
import type { Session } from '../../session.ts';
import { clean } from '../../output.ts';
import { OnlineCommand } from '../base.ts';

export class RequestsListCommand extends OnlineCommand {
  static override paths = [['requests'], ['requests', 'list']];
  static override usage = Command.Usage({
    category: 'Contacts',
    description: 'list contact requests waiting for your answer',
    details: `
      People who used one of your invites (new ones are fetched from the relay first, unless \`--offline\`). Requests are never accepted on their own: answer with \`wschat requests accept <id>\` or \`wschat requests reject <id>\`. A request marked KEYS CHANGED comes from someone whose id matches an existing contact with other keys: check with them before accepting.
    `,
    examples: [['List requests', '$0 requests'], ['As JSON', '$0 requests --json']],
  });

  offline = Option.Boolean('--offline', false, { description: 'list what is stored, without asking the relay for new requests' });

  protected async run(): Promise<number> {
    const run = async (s: Session): Promise<number> => {
      const pending = s.engine.contacts().filter((c) => c.state === 'pending');
      if (this.json) {
        this.outJson({ requests: pending.map((c) => ({ id: c.id, name: c.name, note: c.note, keyChange: c.keyChangeOf !== undefined, expiresAt: requestExpiresAt(c)! })) });
        return 0;
      }
      if (pending.length === 0) this.out('No contact requests.');
      for (const c of pending) {
        this.out(`${c.id}  ${clean(c.name || '-')}${c.note ? `  "${clean(c.note)}"` : ''}${c.keyChangeOf ? '  KEYS CHANGED' : ''}`);
      }
      return 0;
    };
    // fetch what waits at the relay first, unless told to stay local
    return this.offline ? this.local(run) : this.online(run);
  }
}
