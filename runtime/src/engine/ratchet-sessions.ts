/**
 * v2 sessions in the engine: a `PeerSessions` that seals with the double ratchet
 * (protocol/ratchet) for every contact that has a v2 session and with the v1 pair keys for the
 * rest (contacts of engines that speak only v1, session control, and the side that has not
 * received its first ratchet message yet, so cannot send one).
 *
 * Persistence (spec/DESIGN.md, "v2 sessions"): per contact `sv/<c>` holds the state's spec
 * bytes (serializeState) and `sm/<c>` a small record: the pending offer (upgrade or reset,
 * with its ephemeral secret), when the last reset happened, and the recent ratchet frames
 * (signature prefix → message id, RECENT_RATCHET_FRAMES).
 *
 * - seal: advances the sending chain in memory and returns the new state's put; the caller
 *   writes it in the same batch as the outbox entry, and sends nothing before that batch landed
 *   (Sender runs seal + batch in one lane per contact, so batches land in seal order and the
 *   stored state is never older than a frame that left).
 * - open: computes the new state without touching the current one and holds the contact until
 *   `release`: the receive path lands the state with the message's records, then `commit`s.
 *   A message that is not recorded (store failure, deferred) is not committed, so its resend
 *   opens again; a message recorded but whose state write was overtaken is a duplicate by
 *   message id (replay window). Either way no message is lost and no sending key is reused.
 * - A ratchet frame that opened before (KEY_USED, HEADER_FAILED) and is among the recent ones is
 *   a resend whose acknowledgement was lost: reported as a duplicate to acknowledge again.
 * - v1 frames of a contact whose ratchet messages already opened are refused (DOWNGRADE) unless
 *   they carry session control.
 */
import { FrameKind, MAX_CHAIN_MESSAGES, MessageType, decodeFrame, type Envelope, type Frame } from '@parley/generated';
import { equalBytes, toHex, type CryptoBackend } from '../crypto/index.ts';
import { OpenError } from '../protocol/errors.ts';
import type { Identity } from '../protocol/identity.ts';
import { PairCache } from '../protocol/pair.ts';
import { openPeer, sealPeer } from '../protocol/peer.ts';
import {
  checkV1Message,
  isRatchetError,
  kdfChain,
  openRatchetFrame,
  parseState,
  protectionOf,
  sealRatchetFrame,
  serializeState,
  discardState,
  supersedeState,
  wipeState,
  type PendingOffer,
  type RatchetDeps,
  type RatchetState,
  type SessionPolicyState,
} from '../protocol/ratchet/index.ts';
import { EngineError } from './errors.ts';
import { RECENT_FRAME_TAG_BYTES, RECENT_RATCHET_FRAMES } from './limits.ts';
import { K, del, getRecord, putRecord } from './records.ts';
import { V1_SEAL_TAG, stateless, type DuplicateFrame, type OpenedSession, type PeerSessions, type SealedFrame } from './sessions.ts';
import type { Store, StoreOp } from './storage.ts';
import type { Contact, ConversationProtection } from './types.ts';

/** The stored record beside the state (`sm/<c>`). */
interface MetaJSON {
  recent: [string, string][];
  pending?: { op: PendingOffer['op']; secret: Uint8Array; publicKey: Uint8Array; msgId: Uint8Array; sentAt: number };
  lastResetAt?: number;
}

interface Session {
  state: RatchetState | undefined;
  pending: PendingOffer | undefined;
  lastResetAt: number | undefined;
  /** Signature prefix (hex) → message id (hex), oldest first. */
  recent: Map<string, string>;
  /** The sending chain as stored, when it is ahead of `state`'s (RATCHET_SEND_RESERVE, see `seal`). */
  reserve?: Reserve;
  /** Opened messages whose new state is not stored yet (`OpenedSession.defer`; `save` stores it). */
  unsaved?: boolean;
}

/**
 * A reservation of sending keys: the stored state's sending chain (header key `header`) is at
 * message `count`, ahead of the state in memory; the keys in between are used from memory
 * without a store write. `chain` is the chain key at `count` (a secret: wiped when replaced).
 */
interface Reserve {
  header: Uint8Array;
  count: number;
  chain: Uint8Array;
}

/** The chain `n` keys ahead of `s`'s sending chain (the derived message keys are wiped at once). */
function reserveAhead(s: RatchetState, n: number): Reserve {
  const count = Math.min(MAX_CHAIN_MESSAGES, s.sendCount + n);
  let chain: Uint8Array = s.sendChain.slice();
  for (let i = s.sendCount; i < count; i++) {
    const k = kdfChain(chain);
    k.messageKey.fill(0);
    chain.fill(0);
    chain = k.next;
  }
  return { header: s.sendHeader.slice(), count, chain };
}

function dropReserve(s: Session | undefined): void {
  s?.reserve?.chain.fill(0);
  if (s) delete s.reserve;
}

/** A change of a contact's session record (session control: upgrade, reset, offers). */
export interface SessionChange {
  /** A new state (its predecessor is wiped once the change is applied), or null to drop it. */
  state?: RatchetState | null;
  pending?: PendingOffer | null;
  lastResetAt?: number;
}

export interface RatchetSessionsDeps {
  backend: CryptoBackend;
  me: Identity;
  store: Store;
  now: () => number;
  randomBytes: (n: number) => Uint8Array;
  /** A contact's session became post-quantum through a message (its first KEM step landed). */
  protectionChanged?: (key: string) => void;
  /**
   * A received message changed what we seal under for `key` (B's first sending chain: `v1` to
   * the session's tag), after its state landed: the outbox reseals what it holds for the contact.
   */
  sealTagChanged?: (key: string) => void;
}

/** The seal tag of a state (see PeerSessions.sealTag): v1 until it has a sending chain. */
function tagOf(s: RatchetState | undefined): string {
  return s && s.sendChain.length > 0 ? `v2:${s.startedAt}` : V1_SEAL_TAG;
}

/** What the UI shows for a contact with no v2 session. */
export const V1_PROTECTION: ConversationProtection = Object.freeze({ version: 1, forwardSecrecy: false, postQuantum: false, label: 'static keys (no forward secrecy)' });

/** The protection of a v2 state, as apps show it. */
export function protectionOfState(s: RatchetState): ConversationProtection {
  const p = protectionOf(s);
  return { version: 2, forwardSecrecy: true, postQuantum: p.postQuantum, label: p.postQuantum ? 'forward secrecy · post-quantum' : 'forward secrecy' };
}

export class RatchetSessions implements PeerSessions {
  readonly #d: RatchetSessionsDeps;
  readonly #deps: RatchetDeps;
  readonly #pairs: PairCache;
  readonly #sessions = new Map<string, Session>();
  readonly #locks = new Map<string, Promise<void>>();
  /** Set by `clear` (the engine stopped): nothing seals or opens any more. */
  #closed = false;

  constructor(d: RatchetSessionsDeps) {
    this.#d = d;
    this.#deps = { backend: d.backend, random: (n) => d.randomBytes(n), now: () => d.now() };
    this.#pairs = new PairCache(d.backend, d.me);
  }

  /** The dependencies the ratchet functions take (session control uses them too). */
  get deps(): RatchetDeps {
    return this.#deps;
  }

  /** Reads every stored session (before the connection starts). */
  async load(): Promise<void> {
    const { store } = this.#d;
    for (const key of await store.list(K.sessionMetas)) {
      const c = key.slice(K.sessionMetas.length);
      const m = await getRecord<MetaJSON>(store, key);
      if (!m) continue;
      const s = this.#session(c);
      s.recent = new Map(m.recent);
      s.lastResetAt = m.lastResetAt;
      if (m.pending) s.pending = { op: m.pending.op, ephemeral: { secret: m.pending.secret, publicKey: m.pending.publicKey }, msgId: m.pending.msgId, sentAt: m.pending.sentAt };
    }
    for (const key of await store.list(K.sessions)) {
      const bytes = await store.get(key);
      if (bytes) this.#session(key.slice(K.sessions.length)).state = parseState(bytes);
    }
  }

  #session(c: string): Session {
    let s = this.#sessions.get(c);
    if (!s) this.#sessions.set(c, (s = { state: undefined, pending: undefined, lastResetAt: undefined, recent: new Map() }));
    return s;
  }

  /**
   * Runs `fn` while nothing else seals or opens for `keys` (one lane per contact; several keys
   * are taken in sorted order so two callers cannot wait for each other).
   */
  async exclusive<T>(keys: readonly string[], fn: () => Promise<T> | T): Promise<T> {
    const release = await this.#lockAll(keys);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  async #lockAll(keys: readonly string[]): Promise<() => void> {
    const unlocks: (() => void)[] = [];
    for (const k of [...new Set(keys)].sort()) unlocks.push(await this.#lock(k));
    const release = (): void => {
      for (const u of unlocks.reverse()) u();
    };
    if (this.#closed) {
      release();
      throw new EngineError('STOPPED', 'the engine stopped');
    }
    return release;
  }

  async #lock(key: string): Promise<() => void> {
    const prev = this.#locks.get(key) ?? Promise.resolve();
    let open!: () => void;
    const mine = new Promise<void>((r) => (open = r));
    const tail = prev.then(() => mine);
    this.#locks.set(key, tail);
    await prev;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      open();
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    };
  }

  /** The contact's v2 state, if any (read-only: steps copy it). */
  state(key: string): RatchetState | undefined {
    return this.#sessions.get(key)?.state;
  }

  /** What session control decides with (the library's rules in protocol/ratchet/control.ts). */
  policy(key: string): SessionPolicyState {
    const s = this.#sessions.get(key);
    return { session: s?.state, pending: s?.pending, lastResetAt: s?.lastResetAt };
  }

  sealTag(key: string): string {
    return tagOf(this.#sessions.get(key)?.state);
  }

  /** What the contact's conversation has: v1 static keys, or v2 forward secrecy (and post-quantum). */
  protection(key: string): ConversationProtection {
    const s = this.#sessions.get(key)?.state;
    return s ? protectionOfState(s) : V1_PROTECTION;
  }

  /**
   * The store operations of a change of `key`'s session record, and `apply` to make it current
   * once they landed. Call inside `exclusive([key])`.
   */
  change(key: string, ch: SessionChange): { ops: StoreOp[]; apply(): void } {
    const cur = this.#session(key);
    const next: Session = {
      state: ch.state === undefined ? cur.state : (ch.state ?? undefined),
      pending: ch.pending === undefined ? cur.pending : (ch.pending ?? undefined),
      lastResetAt: ch.lastResetAt ?? cur.lastResetAt,
      recent: ch.state === undefined ? cur.recent : new Map(),
      ...(cur.reserve ? { reserve: cur.reserve } : {}),
      ...(cur.unsaved ? { unsaved: true } : {}),
    };
    const ops: StoreOp[] = [this.#metaOp(key, next)];
    if (ch.state !== undefined) ops.push(next.state ? this.#stateOp(key, next.state) : del(K.session(key)));
    return {
      ops,
      apply: () => {
        const old = this.#session(key);
        if (ch.state !== undefined && old.state) supersedeState(old.state, next.state);
        if (ch.state !== undefined && old.reserve && !(next.state && equalBytes(old.reserve.header, next.state.sendHeader))) {
          dropReserve(old);
          delete next.reserve;
        }
        if (ch.pending !== undefined && old.pending && old.pending !== next.pending) old.pending.ephemeral.secret.fill(0);
        this.#sessions.set(key, next);
      },
    };
  }

  /**
   * The put of `s` as it is stored: with the contact's reservation, if `s` is still on the
   * reserved chain, as the chain at the reservation's end (re-armed: after a crash the next
   * message may be the first of its chain to arrive, so it carries the chain's KEM block).
   */
  #stateOp(key: string, s: RatchetState): StoreOp {
    const r = this.#sessions.get(key)?.reserve;
    if (r && s.sendChain.length !== 0 && r.count > s.sendCount && equalBytes(r.header, s.sendHeader)) {
      return { op: 'put', key: K.session(key), value: serializeState({ ...s, sendChain: r.chain, sendCount: r.count, kemRearm: 1 }) };
    }
    return { op: 'put', key: K.session(key), value: serializeState(s) };
  }

  #metaOp(key: string, s: Session): StoreOp {
    const m: MetaJSON = { recent: [...s.recent] };
    if (s.pending) m.pending = { op: s.pending.op, secret: s.pending.ephemeral.secret, publicKey: s.pending.ephemeral.publicKey, msgId: s.pending.msgId, sentAt: s.pending.sentAt };
    if (s.lastResetAt !== undefined) m.lastResetAt = s.lastResetAt;
    return putRecord(K.sessionMeta(key), m);
  }

  /**
   * Seals with the ratchet when the contact's session can send; with the v1 pair keys otherwise
   * and always for session control (spec: control travels in peer frames).
   */
  async seal(c: Contact, envelope: Envelope, opts: { reserve?: number } = {}): Promise<SealedFrame> {
    const { backend, me } = this.#d;
    if (envelope.type !== MessageType.session) {
      const unlock = await this.#lockAll([c.key]);
      try {
        const s = this.#sessions.get(c.key);
        const state = s?.state;
        if (s && state && state.sendChain.length > 0) {
          const r = await sealRatchetFrame({ deps: this.#deps, sender: me, recipient: c, state, envelope, pair: await this.#pairs.get(c) });
          const was = protectionOf(state).postQuantum;
          s.state = r.state;
          supersedeState(state, r.state);
          if (!was && protectionOf(r.state).postQuantum) this.#d.protectionChanged?.(c.key);
          // A key inside the stored reservation: the stored state is already past it (no write).
          const res = s.reserve;
          const tag = tagOf(r.state);
          if (res && r.state.sendCount <= res.count && equalBytes(res.header, r.state.sendHeader)) return { frame: r.frame, ops: [], tag };
          dropReserve(s);
          if (opts.reserve !== undefined && opts.reserve > 0) {
            // Bulk senders reserve the next keys. The reservation counts only once it is stored
            // (written here, in the lane): if the write fails, the next seal tries again, and no
            // frame sealed under it leaves before.
            const reserve = reserveAhead(r.state, opts.reserve);
            s.reserve = reserve;
            try {
              await this.#d.store.batch([this.#stateOp(c.key, r.state)]);
            } catch (err) {
              if (s.reserve === reserve) dropReserve(s);
              throw err;
            }
            return { frame: r.frame, ops: [], tag };
          }
          return { frame: r.frame, ops: [this.#stateOp(c.key, r.state)], tag };
        }
      } finally {
        unlock();
      }
    }
    return { frame: await sealPeer({ backend, sender: me, recipient: c, envelope, pair: await this.#pairs.get(c) }), ops: [], tag: V1_SEAL_TAG };
  }

  async open(candidates: readonly Contact[], frame: Uint8Array): Promise<OpenedSession | DuplicateFrame> {
    const { backend, me } = this.#d;
    const f: Frame = decodeFrame(frame);
    if (f.kind === FrameKind.peer) {
      const o = await openPeer({ backend, me, candidates, frame: f, pairs: this.#pairs });
      checkV1Message(this.#sessions.get(o.sender.key)?.state, o.envelope.type);
      return stateless(o);
    }
    if (f.kind !== FrameKind.ratchet) throw new OpenError('BAD_KIND', `kind ${f.kind} where a peer or ratchet frame was expected`);
    const release = await this.#lockAll(candidates.map((c) => c.key));
    let opened;
    try {
      opened = await openRatchetFrame({ deps: this.#deps, me, candidates: candidates.map((contact) => ({ contact, state: this.#sessions.get(contact.key)?.state })), frame: f, pairs: this.#pairs });
    } catch (err) {
      release();
      if (isRatchetError(err, 'KEY_USED') || isRatchetError(err, 'HEADER_FAILED')) {
        const tag = toHex(f.sig.subarray(0, RECENT_FRAME_TAG_BYTES));
        for (const c of candidates) {
          const msgId = this.#sessions.get(c.key)?.recent.get(tag);
          if (msgId !== undefined) return { duplicate: true, sender: c, msgId };
        }
      }
      throw err;
    }
    const key = opened.sender.key;
    const s = this.#session(key);
    const tag = toHex(f.sig.subarray(0, RECENT_FRAME_TAG_BYTES));
    const msgHex = toHex(opened.envelope.msgId);
    // this frame added to the recent ones (oldest dropped): a copy for the stored record, in place
    // at commit (copying RECENT_RATCHET_FRAMES entries per chunk was most of a chunk's garbage)
    const withThis = (m: Map<string, string>): Map<string, string> => {
      m.delete(tag);
      m.set(tag, msgHex);
      for (const k of m.keys()) {
        if (m.size <= RECENT_RATCHET_FRAMES) break;
        m.delete(k);
      }
      return m;
    };
    let ops: StoreOp[] | undefined;
    const stateOp = () => this.#stateOp(key, opened.state);
    const metaOp = () => this.#metaOp(key, { ...s, state: opened.state, recent: withThis(new Map(s.recent)) });
    let committed = false;
    const commit = (unsaved: boolean, taken = true): void => {
      if (committed) return;
      committed = true;
      if (this.#closed) {
        discardState(opened.state, this.#sessions.get(key)?.state);
        release();
        return;
      }
      const old = this.#session(key);
      const was = old.state && protectionOf(old.state).postQuantum;
      const tagWas = tagOf(old.state);
      if (old.state) supersedeState(old.state, opened.state);
      const cur: Session = { ...old, state: opened.state, recent: taken ? withThis(old.recent) : old.recent };
      if (unsaved) cur.unsaved = true;
      if (cur.reserve && !equalBytes(cur.reserve.header, opened.state.sendHeader)) dropReserve(cur);
      this.#sessions.set(key, cur);
      release();
      if (was === false && protectionOf(opened.state).postQuantum) this.#d.protectionChanged?.(key);
      if (tagWas !== tagOf(opened.state)) this.#d.sealTagChanged?.(key);
    };
    return {
      sender: opened.sender,
      envelope: opened.envelope,
      plaintext: opened.plaintext,
      // built when read: a chunk's open is deferred (`defer`) and never stores them, so it does
      // not pay for serialising the state and the recent frames per chunk
      get ops(): StoreOp[] {
        return (ops ??= [stateOp(), metaOp()]);
      },
      commit: () => commit(false),
      defer: () => commit(true),
      skip: () => commit(true, false),
      release: () => {
        if (!committed) {
          committed = true;
          discardState(opened.state, this.#sessions.get(key)?.state);
        }
        release();
      },
    };
  }

  /**
   * Stores the contact's session if opens were committed without their state (`defer`: file
   * chunks, whose group stores it). Until then the stored state is behind by those messages: a
   * crash before this makes the receiver keep their keys as skipped ones (spec/DESIGN.md,
   * "Bulk messages and the ratchet"). Runs in the contact's lane, so no older state overtakes it.
   */
  async save(key: string): Promise<void> {
    await this.exclusive([key], async () => {
      const s = this.#sessions.get(key);
      if (!s?.unsaved || !s.state) return;
      s.unsaved = false;
      try {
        await this.#d.store.batch([this.#stateOp(key, s.state), this.#metaOp(key, s)]);
      } catch (err) {
        s.unsaved = true;
        throw err;
      }
    });
  }

  /** Contacts whose session has opens not stored yet (Engine.stop stores them). */
  unsaved(): string[] {
    return [...this.#sessions].filter(([, s]) => s.unsaved).map(([k]) => k);
  }

  /** The contact's session goes with it; its keys are wiped now. */
  removeOps(c: Contact): StoreOp[] {
    const s = this.#sessions.get(c.key);
    dropReserve(s);
    if (s?.state) wipeState(s.state);
    s?.pending?.ephemeral.secret.fill(0);
    this.#sessions.delete(c.key);
    this.#pairs.forget(c);
    return [del(K.session(c.key)), del(K.sessionMeta(c.key))];
  }

  /**
   * The engine stopped: no more seals or opens; each session's keys are wiped as soon as a
   * step still running on it (a seal, or an open until its release) is done with them, so it
   * never continues on zeroed keys (it would store a wrong state).
   */
  clear(): void {
    this.#closed = true;
    for (const [key, s] of this.#sessions) {
      void this.#lock(key).then((unlock) => {
        if (s.state) wipeState(s.state);
        dropReserve(s);
        s.pending?.ephemeral.secret.fill(0);
        unlock();
      });
    }
    this.#sessions.clear();
    this.#pairs.clear();
  }
}
