import { INVITE_DEFAULT_TTL_S, MAX_INVITE_USES } from '@parley/generated';
import { idHex } from '@parley/runtime/protocol';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { inviteOptions } from '../invites.ts';
import { WhoamiSchema } from '../bridge/schema.ts';
import { renderQr } from '../qr.ts';
import { BaseCommand } from './base.ts';

export class WhoamiCommand extends BaseCommand {
  static override paths = [['whoami']];
  static override usage = Command.Usage({
    description: 'show your id and a new invite (link and QR code)',
    details: `
      Prints your id, a fresh invite link and the same link as a QR code drawn in the terminal. Give the link (or let someone scan the code) to the person who should add you: \`wschat contact add <link>\`. Each run makes a new invite; by default it works once and for ${INVITE_DEFAULT_TTL_S / 86400} days.

      The invite carries a secret: share it only with the person it is for.
    `,
    examples: [
      ['Show your invite', '$0 whoami'],
      ['An invite for three people, valid one day', '$0 whoami --uses 3 --ttl 86400'],
      ['As JSON (no QR code)', '$0 whoami --json'],
    ],
  });

  uses = Option.String('--uses', '1', { description: `how many people may use the invite (default 1, at most ${MAX_INVITE_USES})`, validator: positiveInteger });
  ttl = Option.String('--ttl', String(INVITE_DEFAULT_TTL_S), { description: `seconds the invite stays valid (default ${INVITE_DEFAULT_TTL_S})`, validator: positiveInteger });
  qr = Option.Boolean('--qr', true, { description: 'draw the QR code (--no-qr to leave it out)' });
  invert = Option.Boolean('--invert', false, { description: 'draw the QR code for a light terminal background' });

  protected async run(): Promise<number> {
    const options = inviteOptions(this.uses, this.ttl, { uses: '--uses', ttl: '--ttl' });
    return this.local(async (s) => {
      const invite = await s.engine.createInvite(options);
      const id = idHex(s.identity);
      if (this.json) {
        // the invite counts seconds (its wire format); every JSON interface gives ms (WhoamiSchema checks)
        this.outJson(WhoamiSchema.parse({ id, name: s.config.name, link: invite.link, expiresAt: invite.expiresAt * 1000, maxUses: invite.maxUses, relay: { url: s.config.relay.url, fingerprint: s.config.relay.fingerprint } }));
        return 0;
      }
      this.out(`id:     ${id}${s.config.name ? ` (${s.config.name})` : ''}`);
      this.out(`relay:  ${s.config.relay.url} (fingerprint ${s.config.relay.fingerprint})`);
      this.out(`invite: ${invite.link}`);
      this.out(`        valid until ${new Date(invite.expiresAt * 1000).toISOString()}, for ${invite.maxUses} ${invite.maxUses === 1 ? 'person' : 'people'}`);
      if (this.qr) this.context.stdout.write('\n' + renderQr(invite.link, { invert: this.invert }));
      return 0;
    });
  }
}

/** A whole number of at least 1 (option validator). */
export const positiveInteger = t.cascade(t.isNumber(), t.isInteger(), t.isAtLeast(1));
