/**
 * The invites a user has handed out, and what first contacts have used of them: uses (a
 * single-use invite is consumed by its first accepted first contact), a per-invite rate of
 * INVITE_FIRST_CONTACTS_PER_MINUTE (defends the owner against request floods from anyone holding
 * a multi-use invite), and the gate tags already accepted (a replayed first-contact frame fails
 * the gate). Serializable to JSON for persistence.
 *
 * A gate tag is recorded only when its frame passed every check (`recordUse`), so a relay that
 * tampers with a copy of a genuine frame cannot burn its tag.
 */
import { GATE_TAG_SIZE, INVITE_FIRST_CONTACTS_PER_MINUTE, type Invite } from '@parley/generated';
import { fromHex, toHex } from '../crypto/index.ts';
import { abytes, aint, astring } from './_assert.ts';
import { OpenError } from './errors.ts';
import { inviteKeys, inviteToText, parseInvite, type InviteKeys } from './invite.ts';

/** The window of INVITE_FIRST_CONTACTS_PER_MINUTE. */
const MINUTE_MS = 60_000;

export interface InviteRecord {
  readonly invite: Invite;
  readonly keys: InviteKeys;
  /** First contacts accepted so far. */
  uses: number;
  /** Times (ms) of the first contacts accepted in the last minute. */
  recent: number[];
  /** Hex of the gate tags of accepted first contacts. */
  readonly seenTags: Set<string>;
}

export interface InviteBookJSON {
  format: 'parley-invite-book';
  version: 1;
  invites: { invite: string; uses: number; recent: number[]; seenTags: string[] }[];
}

export class InviteBook {
  readonly #byId = new Map<string, InviteRecord>();

  /** Adds an invite of ours (as created by createInvite). */
  add(invite: Invite): InviteRecord {
    const keys = inviteKeys(invite.secret);
    const rec: InviteRecord = { invite, keys, uses: 0, recent: [], seenTags: new Set() };
    this.#byId.set(toHex(keys.inviteId), rec);
    return rec;
  }

  /** The record of an invite id, if it is ours and not revoked. */
  get(inviteId: Uint8Array): InviteRecord | undefined {
    return this.#byId.get(toHex(inviteId));
  }

  /** Forgets an invite: later first contacts with it fail with BAD_INVITE UNKNOWN. */
  revoke(inviteId: Uint8Array): boolean {
    const rec = this.get(inviteId);
    if (rec === undefined) return false;
    rec.keys.gateKey.fill(0);
    rec.keys.psk.fill(0);
    return this.#byId.delete(toHex(inviteId));
  }

  get size(): number {
    return this.#byId.size;
  }

  /**
   * The first check of a first contact: the invite is ours, not expired, not used up, and under
   * its rate. Throws OpenError BAD_INVITE (UNKNOWN, EXPIRED, USED_UP, RATE).
   */
  checkLive(inviteId: Uint8Array, nowMs: number): InviteRecord {
    const rec = this.get(inviteId);
    if (rec === undefined) throw new OpenError('BAD_INVITE', 'no live invite has this id', { reason: 'UNKNOWN' });
    if (Math.floor(nowMs / 1000) > rec.invite.expiresAt) throw new OpenError('BAD_INVITE', 'the invite has expired', { reason: 'EXPIRED' });
    if (rec.uses >= rec.invite.maxUses) throw new OpenError('BAD_INVITE', `the invite is used up (${rec.uses} of ${rec.invite.maxUses})`, { reason: 'USED_UP' });
    pruneRecent(rec, nowMs);
    if (rec.recent.length >= INVITE_FIRST_CONTACTS_PER_MINUTE) {
      throw new OpenError('BAD_INVITE', `more than ${INVITE_FIRST_CONTACTS_PER_MINUTE} first contacts in a minute`, { reason: 'RATE' });
    }
    return rec;
  }

  /** True if a first contact with this gate tag was already accepted. */
  tagSeen(rec: InviteRecord, gateTag: Uint8Array): boolean {
    return rec.seenTags.has(toHex(gateTag));
  }

  /** Records an accepted first contact: one use, its time, its gate tag. */
  recordUse(rec: InviteRecord, gateTag: Uint8Array, nowMs: number): void {
    rec.uses++;
    rec.recent.push(nowMs);
    rec.seenTags.add(toHex(gateTag));
  }

  toJSON(): InviteBookJSON {
    return {
      format: 'parley-invite-book',
      version: 1,
      invites: [...this.#byId.values()].map((r) => ({ invite: inviteToText(r.invite), uses: r.uses, recent: [...r.recent], seenTags: [...r.seenTags] })),
    };
  }

  /** Restores a book (expired invites included: checkLive refuses them). */
  static fromJSON(json: unknown): InviteBook {
    const o = json as Partial<InviteBookJSON> | null;
    if (typeof o !== 'object' || o === null || o.format !== 'parley-invite-book' || o.version !== 1 || !Array.isArray(o.invites)) {
      throw new TypeError('not a parley-invite-book version 1 object');
    }
    const book = new InviteBook();
    for (const item of o.invites) {
      const rec = book.add(parseInvite(astring(item.invite, 'invite'), 0)); // expiry is checkLive's
      rec.uses = aint(item.uses, 'uses', 0, rec.invite.maxUses);
      if (!Array.isArray(item.recent) || !Array.isArray(item.seenTags)) throw new TypeError('recent and seenTags must be arrays');
      for (const t of item.recent) rec.recent.push(aint(t, 'recent', 0, Number.MAX_SAFE_INTEGER));
      for (const t of item.seenTags) rec.seenTags.add(toHex(abytes(fromHex(astring(t, 'seenTags')), 'seen tag', GATE_TAG_SIZE)));
    }
    return book;
  }
}

function pruneRecent(rec: InviteRecord, nowMs: number): void {
  while (rec.recent.length > 0 && rec.recent[0]! <= nowMs - MINUTE_MS) rec.recent.shift();
}
