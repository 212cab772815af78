/**
 * How clients reach the notifier: several invites with many uses, published in `notifier.json`
 * together with the notifier's public keys, its VAPID key and what registrations it takes
 * (README "Reaching the notifier").
 *
 * A client adds the notifier as a contact with one of the invites, picked at random (a
 * first-contact frame, gated by the invite's secret; the engine accepts it at once,
 * `autoAccept`), then sends its registration as an ordinary peer message. The protocol bounds
 * an invite to MAX_INVITE_USES uses and INVITE_FIRST_CONTACTS_PER_MINUTE first contacts a
 * minute; `invites` of them take `invites` times as many. (Every device comes back from a new
 * push identity each time its wake tag rotates, WAKE_TAG_ROTATE_MS, so the sign-ups a day must
 * exceed the registrations the notifier keeps: see limits.ts `invites`.) A first contact over
 * the rate is dropped and the client's outbox sends it again later.
 *
 * Each invite is replaced when half its life has passed, or when its estimated uses reach half
 * its maximum: the engine does not say which invite a sender used, so each invite counts the
 * senders accepted while it was published, divided by the number of invites (clients pick at
 * random; the margin covers chance and clients holding an older `notifier.json`). A replaced
 * invite stays valid until it expires, so such a client still gets through; then it is revoked,
 * which keeps the engine's invite book (its seen gate tags) bounded.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InviteInfo } from '@parley/runtime';
import { NOTIFIER_INFO_VERSION, type NotifierInfo } from './client.ts';
import { writeFileAtomic } from './files.ts';
import type { Logger } from './logger.ts';

export type { NotifierInfo };

/** Replace an invite once its estimated uses reach this share of its maximum. */
export const ESTIMATED_USE_SHARE = 0.5;
const STATE_FILE = 'invite.json';

export interface InviteSlot {
  text: string;
  id: string;
  createdAt: number;
  /** Seconds since the epoch. */
  expiresAt: number;
  maxUses: number;
  /** Senders accepted (through any invite) since it was published. */
  accepted: number;
}

interface StateFile {
  version: 2;
  /** The published invites. */
  slots: InviteSlot[];
  /** Replaced invites, still valid: revoked once they expire. */
  retired: { id: string; expiresAt: number }[];
}

export interface InviteDeps {
  dataDir: string;
  publishFile: string;
  info: Omit<NotifierInfo, 'format' | 'version' | 'invites'>;
  createInvite(o: { maxUses: number; ttlSeconds: number; name: string }): Promise<InviteInfo>;
  revokeInvite(id: string): Promise<boolean>;
  /** How many invites to publish. */
  count: number;
  maxUses: number;
  ttlS: number;
  now: () => number;
  log: Logger;
}

export class InvitePublisher {
  readonly #d: InviteDeps;
  #state: StateFile | undefined;
  #published: string | undefined;
  #serial: Promise<unknown> = Promise.resolve();

  constructor(deps: InviteDeps) {
    this.#d = deps;
  }

  /** The published invites. */
  get current(): InviteSlot[] {
    return (this.#state?.slots ?? []).map((s) => ({ ...s }));
  }

  /** Invites replaced but not yet expired (and so not yet revoked). */
  get retired(): number {
    return this.#state?.retired.length ?? 0;
  }

  /** Loads the state, replaces the invites that are due, revokes expired ones, and (re)writes notifier.json. */
  refresh(): Promise<void> {
    return this.#one(() => this.#refresh());
  }

  /** A sender came in (through one of the invites, or an older one): counts against every published invite. */
  accepted(): Promise<void> {
    return this.#one(async () => {
      const st = (this.#state ??= await this.#load());
      for (const s of st.slots) s.accepted++;
      if (st.slots.some((s) => this.#due(s))) await this.#refresh();
      else await this.#save();
    });
  }

  async #refresh(): Promise<void> {
    const d = this.#d;
    const st = (this.#state ??= await this.#load());
    const nowS = Math.floor(d.now() / 1000);
    const keep: InviteSlot[] = [];
    for (const s of st.slots) {
      if (keep.length < d.count && !this.#due(s)) keep.push(s);
      else st.retired.push({ id: s.id, expiresAt: s.expiresAt });
    }
    let created = 0;
    while (keep.length < d.count) {
      const inv = await d.createInvite({ maxUses: d.maxUses, ttlSeconds: d.ttlS, name: 'Parley notifier' });
      keep.push({ text: inv.text, id: inv.id, createdAt: d.now(), expiresAt: inv.expiresAt, maxUses: inv.maxUses, accepted: 0 });
      created++;
    }
    st.slots = keep;
    const expired = st.retired.filter((r) => r.expiresAt < nowS);
    for (const r of expired) await d.revokeInvite(r.id);
    st.retired = st.retired.filter((r) => r.expiresAt >= nowS);
    if (created > 0 || expired.length > 0) {
      await this.#save();
      d.log.info({ published: created, revoked: expired.length, live: keep.length + st.retired.length }, 'invites replaced');
    }
    await this.#publish();
  }

  #due(s: InviteSlot): boolean {
    const halfLife = ((s.expiresAt * 1000 - s.createdAt) / 2) | 0;
    return this.#d.now() >= s.createdAt + halfLife || s.accepted / this.#d.count >= s.maxUses * ESTIMATED_USE_SHARE;
  }

  async #load(): Promise<StateFile> {
    let o: Partial<StateFile> & Partial<InviteSlot>;
    try {
      o = JSON.parse(await readFile(join(this.#d.dataDir, STATE_FILE), 'utf8')) as typeof o;
    } catch {
      return { version: 2, slots: [], retired: [] };
    }
    if (o.version === 2 && Array.isArray(o.slots) && Array.isArray(o.retired)) return { version: 2, slots: o.slots.filter(isSlot), retired: o.retired.filter((r) => typeof r?.id === 'string' && typeof r.expiresAt === 'number') };
    // the single invite of the first format: still valid until it expires
    if (typeof o.id === 'string' && typeof o.expiresAt === 'number') return { version: 2, slots: [], retired: [{ id: o.id, expiresAt: o.expiresAt }] };
    return { version: 2, slots: [], retired: [] };
  }

  async #save(): Promise<void> {
    await writeFileAtomic(join(this.#d.dataDir, STATE_FILE), JSON.stringify(this.#state, null, 2) + '\n', 0o600);
  }

  async #publish(): Promise<void> {
    const doc: NotifierInfo = {
      format: 'parley-notifier',
      version: NOTIFIER_INFO_VERSION,
      ...this.#d.info,
      invites: this.#state!.slots.map((s) => ({ invite: s.text, expiresAt: s.expiresAt })),
    };
    const text = JSON.stringify(doc, null, 2) + '\n';
    if (text === this.#published) return;
    // public: a web server serves it
    await writeFileAtomic(this.#d.publishFile, text, 0o644);
    this.#published = text;
  }

  #one<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#serial.then(fn, fn);
    this.#serial = p.catch(() => undefined);
    return p;
  }
}

function isSlot(s: unknown): s is InviteSlot {
  const o = s as Partial<InviteSlot> | null;
  return typeof o === 'object' && o !== null && typeof o.text === 'string' && typeof o.id === 'string' && typeof o.createdAt === 'number' && typeof o.expiresAt === 'number' && typeof o.maxUses === 'number' && typeof o.accepted === 'number';
}
