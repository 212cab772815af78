/**
 * The contact book (spec/DESIGN.md "First contact and invites"): contacts persisted under `c/<key>`,
 * our invites in one record, first contact in both directions, and key-change detection.
 *
 * - Keys travel only in invites and in first-contact frames gated by an invite's secret.
 * - An incoming request is kept as `pending` and reported; nothing is sent back until the
 *   user accepts (unless the engine runs with `autoAccept`, for services such as the notifier).
 * - A contact whose id matches an existing contact with other keys is never merged with it:
 *   it is a new pending request (or requested contact) with `keyChangeOf` set, and a `key-change`
 *   event. The protocol's KEY_CONFLICT check is done here instead, so the new keys can be shown.
 * - The highest common protocol version is remembered per contact and never lowered.
 */
import { MessageType, PROTOCOL_VERSION, SESSION_VERSION, TAG_SIZE, decodeRatchet, type ContactAccept, type Invite } from '@parley/generated';
import { equalBytes, fromHex, toHex } from '../crypto/index.ts';
import { makeEnvelope } from '../protocol/envelope.ts';
import { createFirstContact, decodeFirstContactFrame, openFirstContact } from '../protocol/first-contact.ts';
import { idHex, sameKeys, type PublicKeys } from '../protocol/identity.ts';
import { InviteBook } from '../protocol/invite-book.ts';
import { INVITE_LINK_FRAGMENT, INVITE_URI_PREFIX, inviteBytes, inviteOwner, parseInvite } from '../protocol/invite.ts';
import {
  createFirstContactV2,
  createInviteV2,
  encodeInviteV2Bytes,
  inviteFields,
  inviteV2ToText,
  isRatchetBucketSize,
  newEphemeral,
  openFirstContactV2,
  parseInviteV2,
  type Ephemeral,
  type InviteV2,
  type RatchetState,
} from '../protocol/ratchet/index.ts';
import { InviteProblemError } from '../protocol/invite-words.ts';
import { isRequestExpired, requestExpiresAt } from './request-expiry.ts';
import { safetyNumber, safetyQr, verifySafetyQr } from '../protocol/safety.ts';
import type { IncomingRoute } from '../protocol/session.ts';
import type { CryptoBackend } from '../crypto/index.ts';
import type { Identity } from '../protocol/identity.ts';
import { snapshot, type ContactList } from './contact-list.ts';
import { EngineError } from './errors.ts';
import { MAX_PENDING_REQUESTS } from './limits.ts';
import type { Outbox } from './outbox.ts';
import type { RatchetSessions } from './ratchet-sessions.ts';
import { dropInfo, type Clock, type Emit, type PerContactState, type Send } from './parts.ts';
import { K, del, encodeRecord, getRecord } from './records.ts';
import type { Store, StoreOp } from './storage.ts';
import type { Contact } from './types.ts';

/**
 * The versions this engine speaks: 2 is a v2 session (double ratchet) with the contact. A
 * contact's `version` is 2 once a session exists (a v2 invite, or the upgrade); a contact met
 * over v1 that also speaks 2 stays at 1 until its upgrade, so a contact at 2 without a session
 * means this device lost it (session-control.ts then asks for a reset, not an upgrade).
 */
export const VERSIONS: readonly number[] = [PROTOCOL_VERSION, SESSION_VERSION];

function highestCommon(theirs: readonly number[]): number {
  const common = VERSIONS.filter((v) => theirs.includes(v));
  return common.length === 0 ? 0 : Math.max(...common);
}

export interface InviteInfo {
  /** Hex invite id (to revoke it). */
  id: string;
  /** `<linkBase>#invite=...` */
  link: string;
  /** `parley:invite/...` */
  uri: string;
  /** base64url of the invite (what link and URI carry). */
  text: string;
  /** The QR code's payload: the invite's bytes. */
  qr: Uint8Array;
  /** Seconds since the epoch. */
  expiresAt: number;
  maxUses: number;
}

export interface CreateInviteOptions {
  maxUses?: number;
  ttlSeconds?: number;
  /** The name the invite shows (default the engine's display name). */
  name?: string;
}

export interface AddContactOptions {
  /** Local name for the contact (default the invite's name). */
  name?: string;
  /** A greeting sent with the request. */
  note?: string;
}

/** What the contact book uses. */
export interface ContactBookDeps {
  identity: Identity;
  backend: CryptoBackend;
  store: Store;
  clock: Clock;
  emit: Emit;
  /** The relay this engine talks to (invites for other relays are refused). */
  relay: { url: string; x: Uint8Array; ed: Uint8Array };
  /** Base of invite links (`<base>#invite=...`). */
  linkBase: string;
  /** Our display name, proposed in contact requests and accepts. */
  displayName: string;
  /** Incoming contact requests: wait for the user (false) or accept at once (services). */
  autoAccept: boolean;
  list: ContactList;
  outbox: Pick<Outbox, 'reserve' | 'prepare' | 'commit' | 'remove' | 'ofContact'>;
  send: Pick<Send, 'pump' | 'sendDurable'>;
  /** Everything else kept per contact: removed with the contact. */
  perContact: readonly PerContactState[];
  /** v2 sessions: a first contact on a v2 invite starts one on both sides. */
  sessions: Pick<RatchetSessions, 'deps' | 'change' | 'exclusive' | 'state'>;
}

export class ContactBook {
  readonly #d: ContactBookDeps;
  readonly #list: ContactList;
  #book = new InviteBook();
  /** The one-time ephemerals (e_B) of our v2 invites, by hex invite id; erased when used up or expired. */
  readonly #ephemerals = new Map<string, Ephemeral>();

  constructor(deps: ContactBookDeps) {
    this.#d = deps;
    this.#list = deps.list;
  }

  async load(): Promise<void> {
    await this.#list.load();
    const book = await getRecord<unknown>(this.#d.store, K.invites);
    if (book !== undefined) this.#book = InviteBook.fromJSON(book);
    const stale: StoreOp[] = [];
    const nowS = Math.floor(this.#d.clock.now() / 1000);
    for (const key of await this.#d.store.list(K.inviteEphemerals)) {
      const id = key.slice(K.inviteEphemerals.length);
      const rec = this.#book.get(fromHex(id));
      const secret = await this.#d.store.get(key);
      if (!secret || !rec || rec.uses >= rec.invite.maxUses || nowS > rec.invite.expiresAt) {
        stale.push(del(key));
        secret?.fill(0);
        continue;
      }
      this.#ephemerals.set(id, { secret, publicKey: await this.#d.backend.x25519PublicKey(secret) });
    }
    if (stale.length > 0) await this.#d.store.batch(stale);
  }

  async createInvite(o: CreateInviteOptions = {}): Promise<InviteInfo> {
    const { identity, relay, clock } = this.#d;
    const { now, randomBytes } = clock;
    // v2 (spec invite_v2): the invite carries a one-time ephemeral, so the first contact starts a v2 session
    const ephemeral = await newEphemeral(this.#d.sessions.deps);
    const invite = createInviteV2({
      owner: identity,
      relay,
      name: o.name ?? this.#d.displayName,
      ...(o.maxUses !== undefined ? { maxUses: o.maxUses } : {}),
      ...(o.ttlSeconds !== undefined ? { ttlSeconds: o.ttlSeconds } : {}),
      now: () => now(),
      random: (n) => randomBytes(n),
      ephemeral: ephemeral.publicKey,
    });
    const rec = this.#book.add(inviteFields(invite));
    const id = toHex(rec.keys.inviteId);
    await this.#d.store.batch([{ op: 'put', key: K.invites, value: encodeBook(this.#book) }, { op: 'put', key: K.inviteEphemeral(id), value: ephemeral.secret }]);
    this.#ephemerals.set(id, ephemeral);
    const text = inviteV2ToText(invite);
    if (this.#d.linkBase.includes('#')) throw new RangeError('the link base must not have a fragment');
    return {
      id,
      link: this.#d.linkBase + INVITE_LINK_FRAGMENT + text,
      uri: INVITE_URI_PREFIX + text,
      text,
      qr: encodeInviteV2Bytes(invite),
      expiresAt: invite.expiresAt,
      maxUses: invite.maxUses,
    };
  }

  /** Forgets one of our invites: first contacts that use it later are dropped. */
  async revokeInvite(idHex: string): Promise<boolean> {
    const done = this.#book.revoke(fromHex(idHex));
    if (done) await this.#d.store.batch([{ op: 'put', key: K.invites, value: encodeBook(this.#book) }, ...this.#dropEphemeral(idHex)]);
    return done;
  }

  /** Parses an invite, stores the owner as `requested` and queues the first-contact frame. */
  async addFromInvite(input: string | Uint8Array, o: AddContactOptions = {}): Promise<Contact> {
    const ctx = this.#d;
    let invite: Invite;
    let v2: InviteV2 | undefined;
    try {
      const bytes = inviteBytes(input);
      if (bytes[0] === SESSION_VERSION) invite = inviteFields((v2 = parseInviteV2(bytes, ctx.clock.now())));
      else invite = parseInvite(bytes, ctx.clock.now());
    } catch (cause) {
      throw new EngineError('BAD_INVITE', `the invite is not usable: ${(cause as Error).message}`, { cause });
    }
    if (!equalBytes(invite.relayX, ctx.relay.x) || !equalBytes(invite.relayEd, ctx.relay.ed)) {
      throw new EngineError('BAD_INVITE', `the invite is for another relay (${invite.relayUrl})`, { cause: new InviteProblemError('OTHER_RELAY', 'another relay') });
    }
    const owner = inviteOwner(invite);
    if (sameKeys(owner, ctx.identity)) throw new EngineError('NOT_ALLOWED', 'the invite is your own');
    const key = toHex(owner.x);
    if (this.#list.has(key)) {
      const existing = this.#list.get(key)!;
      if (sameKeys(existing, owner)) throw new EngineError('CONTACT_EXISTS', `contact ${key} exists (${existing.state})`);
    }
    const version = highestCommon([invite.version]);
    if (version === 0) throw new EngineError('BAD_INVITE', `the invite's owner speaks version ${invite.version}`, { cause: new InviteProblemError('NEWER_VERSION', 'newer version') });
    const previous = this.#conflicting(owner);
    const contact: Contact = {
      key,
      id: idHex(owner.x),
      x: owner.x,
      ed: owner.ed,
      name: o.name ?? invite.name,
      note: o.note ?? '',
      state: 'requested',
      verified: false,
      version,
      createdAt: ctx.clock.now(),
      ...(previous ? { keyChangeOf: previous.key } : {}),
    };
    const envelope = makeEnvelope(
      { type: MessageType.contactRequest, body: { name: ctx.displayName, versions: [...VERSIONS], note: o.note ?? '' } },
      { now: ctx.clock.now, random: ctx.clock.randomBytes },
    );
    let frame: Uint8Array;
    let state: RatchetState | undefined;
    if (v2) ({ frame, state } = await createFirstContactV2({ deps: ctx.sessions.deps, sender: ctx.identity, invite: v2, envelope }));
    else frame = await createFirstContact({ backend: ctx.backend, sender: ctx.identity, invite, envelope });
    const slot = ctx.outbox.reserve(1);
    try {
      const { entry, ops } = ctx.outbox.prepare(
        // resent until the invite expires or the request does (request-expiry.ts), whichever is first
        { contact: key, msgId: toHex(envelope.msgId), type: MessageType.contactRequest, kind: 'first_contact', expiresAt: Math.min(invite.expiresAt * 1000, requestExpiresAt(contact)!) },
        frame,
      );
      // the v2 session (we are A) lands with the contact and its request
      await ctx.sessions.exclusive([key], async () => {
        const ch = state ? ctx.sessions.change(key, { state }) : undefined;
        await ctx.store.batch([this.#list.putOp(contact), ...ops, ...(ch?.ops ?? [])]);
        ch?.apply();
      });
      this.#list.set(contact);
      ctx.outbox.commit(entry);
    } finally {
      slot.release();
    }
    if (previous) ctx.emit('key-change', { contact: snapshot(contact), previous: snapshot(previous) });
    ctx.send.pump();
    return snapshot(contact);
  }

  /** A first-contact frame from the relay: checks it and keeps the request as pending. */
  async onFirstContact(route: IncomingRoute, frame: Uint8Array): Promise<void> {
    const ctx = this.#d;
    let opened;
    let state: RatchetState | undefined;
    let inviteHex: string;
    try {
      const { fc } = decodeFirstContactFrame(frame);
      inviteHex = toHex(fc.inviteId);
      // Existing contacts with this id are checked below (key change), not by the opener.
      const args = { me: ctx.identity, book: this.#book, frame, routeId: route.id, contactsWithId: [], now: ctx.clock.now() };
      // a v2 invite of ours (its ephemeral is kept), or a v2 request on one used up or expired (BAD_INVITE, as v1)
      if (this.#ephemerals.has(inviteHex) || isRatchetRequest(fc.request)) {
        // one of our v2 invites: the request is the first ratchet message and starts our session (we are B)
        opened = await openFirstContactV2({ ...args, deps: ctx.sessions.deps, ephemeralOf: (id) => this.#ephemerals.get(toHex(id)) });
        state = opened.state;
      } else {
        opened = await openFirstContact({ ...args, backend: ctx.backend });
      }
    } catch (err) {
      ctx.emit('dropped', dropInfo('first_contact', err));
      // a use may not have been recorded; nothing to persist
      return;
    }
    const { sender, request } = opened;
    const key = toHex(sender.x);
    const ops: StoreOp[] = [{ op: 'put', key: K.invites, value: encodeBook(this.#book) }];
    const rec = this.#book.get(opened.inviteId);
    // used up: its ephemeral is erased, so no later frame can start a session from it
    if (!rec || rec.uses >= rec.invite.maxUses) ops.push(...this.#dropEphemeral(inviteHex));
    // 2 only with a session: a v1 first contact from an engine that also speaks v2 upgrades later (session-control.ts)
    const spoken = highestCommon(request.versions);
    const version = spoken === 0 ? 0 : Math.min(spoken, state ? SESSION_VERSION : PROTOCOL_VERSION);
    let contact = this.#list.get(key);
    let previous: Contact | undefined;
    if (version === 0) {
      ctx.emit('dropped', { kind: 'first_contact', code: 'BAD_MESSAGE', message: 'no common protocol version' });
      await ctx.store.batch(ops);
      return;
    }
    if (contact) {
      contact.version = Math.max(contact.version, version);
      contact.note = request.note;
      if (contact.state === 'requested') contact.state = 'pending';
    } else {
      const pending = this.#list.count('pending');
      if (pending >= MAX_PENDING_REQUESTS) {
        ctx.emit('dropped', { kind: 'first_contact', code: 'BAD_MESSAGE', message: `more than ${MAX_PENDING_REQUESTS} pending requests` });
        await ctx.store.batch(ops);
        return;
      }
      previous = this.#conflicting(sender);
      contact = {
        key,
        id: idHex(sender.x),
        x: sender.x,
        ed: sender.ed,
        name: request.name,
        note: request.note,
        state: 'pending',
        verified: false,
        version,
        createdAt: ctx.clock.now(),
        ...(previous ? { keyChangeOf: previous.key } : {}),
      };
    }
    ops.push(this.#list.putOp(contact));
    const c = contact;
    await ctx.sessions.exclusive([key], async () => {
      const ch = state ? ctx.sessions.change(key, { state }) : undefined;
      await ctx.store.batch([...ops, ...(ch?.ops ?? [])]);
      ch?.apply();
    });
    this.#list.set(c);
    if (previous) ctx.emit('key-change', { contact: snapshot(contact), previous: snapshot(previous) });
    if (ctx.autoAccept && contact.state === 'pending' && !previous) {
      await this.accept(key);
      return;
    }
    ctx.emit('contact-request', { contact: snapshot(contact), note: request.note });
  }

  /**
   * Accepts a pending request: sends contact_accept (through the outbox). A request flagged as a
   * key change replaces the contact it conflicts with. On an accepted contact it sends the
   * accept again (the peer lost it, or asked again).
   */
  async accept(key: string, o: { name?: string } = {}): Promise<Contact> {
    const ctx = this.#d;
    const c = this.#list.require(key, ['pending', 'accepted']);
    if (isRequestExpired(c, ctx.clock.now())) throw new EngineError('NOT_ALLOWED', `the request expired (unanswered for longer than CONTACT_REQUEST_TTL_MS); ask them for a new one`);
    const ops: StoreOp[] = [];
    if (c.keyChangeOf) {
      const old = this.#list.get(c.keyChangeOf);
      if (old) ops.push(...(await this.removeOps(old.key)));
      delete c.keyChangeOf;
    }
    const wasPending = c.state === 'pending';
    c.state = 'accepted';
    if (o.name !== undefined) c.name = o.name;
    ops.push(this.#list.putOp(c));
    await ctx.store.batch(ops);
    await ctx.outbox.remove(ctx.outbox.ofContact(key, 'first_contact'));
    await ctx.send.sendDurable(c, { type: MessageType.contactAccept, body: { name: ctx.displayName, versions: [...VERSIONS] } });
    if (wasPending) ctx.emit('contact-accepted', { contact: snapshot(c) });
    return snapshot(c);
  }

  /** Drops a pending request; nothing is sent. */
  async reject(key: string): Promise<void> {
    this.#list.require(key, ['pending']);
    await this.remove(key);
  }

  /** Removes a contact and everything kept for it (outbox, history, replay window, transfers). */
  async remove(key: string): Promise<void> {
    this.#list.require(key);
    await this.#d.store.batch(await this.removeOps(key));
  }

  /**
   * Removes incoming requests older than CONTACT_REQUEST_TTL_MS (request-expiry.ts): they can no
   * longer be accepted, and keeping them would store a stranger's name and note for good. Each
   * removal emits 'contact-request-expired', as the requester's side does when its copy expires.
   */
  async dropExpiredRequests(): Promise<void> {
    const now = this.#d.clock.now();
    for (const c of this.#list.all()) {
      if (c.state !== 'pending' || !isRequestExpired(c, now) || !this.#list.has(c.key)) continue;
      await this.#d.store.batch(await this.removeOps(c.key));
      this.#d.emit('contact-request-expired', { contact: c });
    }
  }

  /** Store operations that remove a contact; the contact leaves memory now. */
  async removeOps(key: string): Promise<StoreOp[]> {
    const c = this.#list.require(key);
    const ops: StoreOp[] = [del(K.contact(key))];
    for (const part of this.#d.perContact) ops.push(...(await part.removeOps(c)));
    this.#list.delete(key);
    return ops;
  }

  async update(key: string, change: { name?: string; verified?: boolean }): Promise<Contact> {
    const c = this.#list.require(key);
    if (change.name !== undefined) c.name = change.name;
    if (change.verified !== undefined) c.verified = change.verified;
    await this.#d.store.put(K.contact(key), encodeRecord(c));
    return snapshot(c);
  }

  safety(key: string): { number: string; qr: Uint8Array } {
    const c = this.#list.require(key);
    return { number: safetyNumber(this.#d.identity, c), qr: safetyQr(this.#d.identity, c) };
  }

  checkSafetyQr(key: string, scanned: Uint8Array): boolean {
    return verifySafetyQr(scanned, this.#d.identity, this.#list.require(key));
  }

  /**
   * A contact_accept from a contact we asked (or any verified peer frame from it: the accept may
   * have been lost or overtaken). Returns the store operations; call `accepted` after they land.
   */
  onAccept(c: Contact, body?: ContactAccept): { ops: StoreOp[]; changed: boolean } {
    const changed = c.state === 'requested';
    if (body) {
      c.version = Math.max(c.version, Math.min(highestCommon(body.versions), this.#d.sessions.state(c.key) ? SESSION_VERSION : PROTOCOL_VERSION));
      if (c.name === '') c.name = body.name;
    }
    c.state = 'accepted';
    return { ops: [this.#list.putOp(c)], changed };
  }

  /** After an accept landed: our first-contact request is done; held messages may go. */
  async accepted(c: Contact, changed: boolean): Promise<void> {
    await this.#d.outbox.remove(this.#d.outbox.ofContact(c.key, 'first_contact'));
    if (changed) this.#d.emit('contact-accepted', { contact: snapshot(c) });
    this.#d.send.pump();
  }

  /** Erases a v2 invite's ephemeral (used up, revoked); the store operation that deletes it. */
  #dropEphemeral(idHex: string): StoreOp[] {
    const e = this.#ephemerals.get(idHex);
    if (!e) return [];
    e.secret.fill(0);
    this.#ephemerals.delete(idHex);
    return [del(K.inviteEphemeral(idHex))];
  }

  /** An existing contact with the same id as `keys` but other keys (a key change). */
  #conflicting(keys: PublicKeys): Contact | undefined {
    return this.#list.byId(idHex(keys.x)).find((c) => !sameKeys(c, keys));
  }
}

/** True if a first contact's request has the shape of a ratchet message (a v2 first contact). */
function isRatchetRequest(request: Uint8Array): boolean {
  try {
    return isRatchetBucketSize(decodeRatchet(request).body.length - TAG_SIZE);
  } catch {
    return false;
  }
}

function encodeBook(book: InviteBook): Uint8Array {
  return encodeRecord(book.toJSON());
}
