import { promises as fs } from 'node:fs';
import { MAX_NAME_BYTES } from '@parley/generated';
import { pickBackend } from '@parley/runtime/crypto';
import { generateIdentity, idHex } from '@parley/runtime/protocol';
import { Command, Option } from 'clipanion';
import { requestContact } from '../actions.ts';
import { label } from '../contacts.ts';
import { AlreadyInitialisedError, BadUsageError } from '../errors.ts';
import { CONFIG_FILE, IDENTITY_FILE, INBOX_FILE, STATE_DIR } from '../home.ts';
import { resolveRelay } from '../relay-config.ts';
import { OnlineCommand } from './base.ts';

export class InitCommand extends OnlineCommand {
  static override paths = [['init']];
  static override usage = Command.Usage({
    description: 'create your identity and pin a relay',
    details: `
      Creates a new identity in the home folder (files 0600) and pins the relay's public keys: every later connection must prove them, or wschat refuses it (exit 7).

      The relay comes from \`--relay http://HOST:PORT\` (read from its /.well-known/parley.json; the fingerprint it pinned is printed, and \`--fingerprint\` makes it a check), from \`--relay-url ws://...\` with \`--relay-x\` and \`--relay-ed\`, from \`--invite\` (the relay the invite names; its owner also becomes a contact request), or from the environment: WSCHAT_RELAY (http(s) to bootstrap, ws(s) with WSCHAT_SERVER_X_PUB and WSCHAT_SERVER_ED_PUB).

      Unless \`--offline\`, init connects once to check that the relay holds the pinned keys; on failure nothing is kept.
    `,
    examples: [
      ['Bootstrap from a local relay', '$0 init --name alice --relay http://127.0.0.1:8080'],
      ['Pin given keys', '$0 init --relay-url wss://relay.example/ --relay-x <64 hex> --relay-ed <64 hex>'],
      ['Start from a friend\'s invite', '$0 init --name bob --invite "https://relay.example/#invite=..."'],
    ],
  });

  name = Option.String('--name', '', { description: 'your display name, shown to people you invite or ask (default empty)' });
  relay = Option.String('--relay', { description: 'relay base URL: http(s) to bootstrap from /.well-known/parley.json, or ws(s) with keys' });
  relayUrl = Option.String('--relay-url', { description: 'the relay WebSocket URL (ws:// or wss://); needs --relay-x and --relay-ed' });
  relayX = Option.String('--relay-x', { description: "the relay's X25519 public key (64 hex)" });
  relayEd = Option.String('--relay-ed', { description: "the relay's Ed25519 public key (64 hex)" });
  invite = Option.String('--invite', { description: "pin the relay of this invite and ask its owner to be your contact" });
  fingerprint = Option.String('--fingerprint', { description: 'fail unless the relay has this fingerprint (exit 7)' });
  force = Option.Boolean('--force', false, { description: 'replace an existing identity (its contacts and history are deleted)' });
  offline = Option.Boolean('--offline', false, { description: 'do not connect to check the relay' });

  protected async run(): Promise<number> {
    if (new TextEncoder().encode(this.name).length > MAX_NAME_BYTES) throw new BadUsageError(`--name may have at most ${MAX_NAME_BYTES} bytes`);
    const home = this.homeDir();
    if ((await home.exists()) && !this.force) throw new AlreadyInitialisedError(home.dir);
    const { relay, source } = await resolveRelay({
      relay: this.relay, relayUrl: this.relayUrl, relayX: this.relayX, relayEd: this.relayEd, invite: this.invite,
      fingerprint: this.fingerprint, env: this.env(), timeoutMs: this.timeoutMs(),
    });
    await home.create();
    const release = await home.lock();
    const wipe = async (): Promise<void> => {
      for (const f of [IDENTITY_FILE, CONFIG_FILE, INBOX_FILE, STATE_DIR]) await fs.rm(home.path(f), { recursive: true, force: true });
    };
    let identity;
    try {
      await wipe();
      identity = await generateIdentity(await pickBackend());
      await home.saveIdentity(identity);
      await home.saveConfig({ format: 'wschat-config', version: 1, name: this.name, relay });
    } finally {
      await release();
    }
    let contact: string | undefined;
    if (!this.offline || this.invite !== undefined) {
      try {
        await this.online(async (s) => {
          if (this.invite !== undefined) contact = label(await requestContact(s, this.invite, {}, this.timeoutMs()));
        }, { waitOnline: !this.offline });
      } catch (err) {
        await wipe();
        throw err;
      }
    }
    const id = idHex(identity);
    if (this.json) {
      this.outJson({ id, home: home.dir, relay: { url: relay.url, fingerprint: relay.fingerprint }, source, ...(contact ? { requested: contact } : {}) });
      return 0;
    }
    this.out(`Created identity ${id} in ${home.dir}`);
    this.out(`Pinned relay ${relay.url} (from ${source})`);
    this.out(`Relay fingerprint: ${relay.fingerprint}`);
    if (contact) this.out(`Asked ${contact} to be your contact; it goes through once they accept.`);
    this.out('Next: wschat whoami (your invite), wschat contact add <invite>, wschat listen');
    return 0;
  }
}
