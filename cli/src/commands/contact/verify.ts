import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'clipanion';
import { findContact, label } from '../../contacts.ts';
import { BaseCommand } from '../base.ts';

export class ContactVerifyCommand extends BaseCommand {
  static override paths = [['contact', 'verify']];
  static override usage = Command.Usage({
    category: 'Contacts',
    description: 'compare safety numbers and mark a contact verified',
    details: `
      Shows the safety number you share with the contact: the same digits appear on their side (\`wschat contact verify <you>\`). Compare them in person or on a call; if they match, nobody sits between you. Answer "y" to mark the contact verified, or pass \`--yes\`. \`--unset\` clears the mark.
    `,
    examples: [['Verify Bob', '$0 contact verify bob'], ['Non-interactive', '$0 contact verify bob --yes'], ['Only show the number', '$0 contact verify bob --json']],
  });

  contact = Option.String({ name: 'contact' });
  yes = Option.Boolean('--yes,-y', false, { description: 'mark verified without asking' });
  unset = Option.Boolean('--unset', false, { description: 'mark the contact as not verified' });

  protected async run(): Promise<number> {
    return this.local(async (s) => {
      const c = findContact(s.engine, this.contact);
      const { number } = s.engine.safetyNumber(c.key);
      if (this.unset) {
        await s.engine.verifyContact(c.key, false);
        this.json ? this.outJson({ id: c.id, verified: false }) : this.out(`${label(c)} is marked not verified.`);
        return 0;
      }
      if (this.json && !this.yes) {
        this.outJson({ id: c.id, name: c.name, safetyNumber: number, verified: c.verified });
        return 0;
      }
      if (!this.json) {
        this.out(`Safety number with ${label(c)}:\n\n  ${groups(number)}\n`);
      }
      let ok = this.yes;
      if (!ok) {
        const rl = createInterface({ input: this.context.stdin, output: this.context.stdout, terminal: false });
        const answer = await rl.question(`Does ${c.name || c.id} see the same number? [y/N] `).catch(() => '');
        rl.close();
        ok = /^y(es)?$/i.test(answer.trim());
      }
      if (!ok) {
        this.out('Not marked verified.');
        return 0;
      }
      await s.engine.verifyContact(c.key, true);
      this.json ? this.outJson({ id: c.id, name: c.name, safetyNumber: number, verified: true }) : this.out(`${label(c)} is verified.`);
      return 0;
    });
  }
}

/** The number's own groups, six a line. */
function groups(number: string): string {
  const g = number.split(/\s+/);
  const lines: string[] = [];
  for (let i = 0; i < g.length; i += 6) lines.push(g.slice(i, i + 6).join(' '));
  return lines.join('\n  ');
}
