/**
 * How clients reach the notifier: an invite with many uses, published in `notifier.json`
 * together with the notifier's public keys and VAPID key (README "Reaching the notifier").
 *
 * A client adds the notifier as a contact with the invite (a first-contact frame, gated by the
 * invite's secret; the engine accepts it at once, `autoAccept`), then sends its registration as
 * an ordinary peer message. The invite is replaced when half its life has passed or most of its
 * uses are gone; the previous one stays valid until it expires, so a client holding a slightly
 * old `notifier.json` still gets through. The protocol bounds an invite to MAX_INVITE_USES uses
 * and INVITE_FIRST_CONTACTS_PER_MINUTE first contacts a minute; a first contact over the rate is
 * dropped and the client's outbox sends it again later.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InviteInfo } from '@parley/runtime';
import { writeFileAtomic } from './files.ts';
import type { Logger } from './logger.ts';

/** Replace the invite once this share of its uses is gone. */
const USED_UP_SHARE = 0.9;
const STATE_FILE = 'invite.json';

export interface InviteState {
  text: string;
  id: string;
  createdAt: number;
  /** Seconds since the epoch. */
  expiresAt: number;
  maxUses: number;
  /** Senders accepted since it was published (an upper bound of its uses). */
  accepted: number;
}

/** The public document clients fetch (served next to the web app, or wherever the operator likes). */
export interface NotifierInfo {
  format: 'parley-notifier';
  version: 1;
  /** The notifier's id, X25519 and Ed25519 keys, hex. */
  id: string;
  x: string;
  ed: string;
  /** VAPID public key, base64url: the browser's applicationServerKey. */
  vapidPublicKey: string;
  /** The current invite, base64url (Engine.addContact takes it as is). */
  invite: string;
  /** Seconds since the epoch. */
  inviteExpiresAt: number;
}

export interface InviteDeps {
  dataDir: string;
  publishFile: string;
  info: Omit<NotifierInfo, 'format' | 'version' | 'invite' | 'inviteExpiresAt'>;
  createInvite(o: { maxUses: number; ttlSeconds: number; name: string }): Promise<InviteInfo>;
  maxUses: number;
  ttlS: number;
  now: () => number;
  log: Logger;
}

export class InvitePublisher {
  readonly #d: InviteDeps;
  #state: InviteState | undefined;
  #published: string | undefined;

  constructor(deps: InviteDeps) {
    this.#d = deps;
  }

  get current(): InviteState | undefined {
    return this.#state && { ...this.#state };
  }

  /** Loads the state, replaces the invite if due, and (re)writes notifier.json. */
  async refresh(): Promise<void> {
    this.#state ??= await this.#load();
    if (this.#due()) {
      const d = this.#d;
      const inv = await d.createInvite({ maxUses: d.maxUses, ttlSeconds: d.ttlS, name: 'Parley notifier' });
      this.#state = { text: inv.text, id: inv.id, createdAt: d.now(), expiresAt: inv.expiresAt, maxUses: inv.maxUses, accepted: 0 };
      await this.#save();
      d.log.info({ expires_at: new Date(inv.expiresAt * 1000).toISOString(), max_uses: inv.maxUses }, 'published a new invite');
    }
    await this.#publish();
  }

  /** A sender came in (through this or an older invite): counts against the current one. */
  async accepted(): Promise<void> {
    if (!this.#state) return;
    this.#state.accepted++;
    await this.#save();
    if (this.#due()) await this.refresh();
  }

  #due(): boolean {
    const s = this.#state;
    if (!s) return true;
    const halfLife = ((s.expiresAt * 1000 - s.createdAt) / 2) | 0;
    return this.#d.now() >= s.createdAt + halfLife || s.accepted >= s.maxUses * USED_UP_SHARE;
  }

  async #load(): Promise<InviteState | undefined> {
    try {
      const o = JSON.parse(await readFile(join(this.#d.dataDir, STATE_FILE), 'utf8')) as InviteState;
      return typeof o.text === 'string' && typeof o.createdAt === 'number' ? o : undefined;
    } catch {
      return undefined;
    }
  }

  async #save(): Promise<void> {
    await writeFileAtomic(join(this.#d.dataDir, STATE_FILE), JSON.stringify(this.#state, null, 2) + '\n', 0o600);
  }

  async #publish(): Promise<void> {
    const s = this.#state!;
    const doc: NotifierInfo = { format: 'parley-notifier', version: 1, ...this.#d.info, invite: s.text, inviteExpiresAt: s.expiresAt };
    const text = JSON.stringify(doc, null, 2) + '\n';
    if (text === this.#published) return;
    // public: a web server serves it
    await writeFileAtomic(this.#d.publishFile, text, 0o644);
    this.#published = text;
  }
}
