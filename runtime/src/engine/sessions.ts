/**
 * The session layer: every peer frame is sealed and opened through a `PeerSessions`. It is the
 * one place that knows which keys protect a conversation.
 *
 * v1 (`PairSessions`): static-static. Each pair of identities has fixed pair keys (spec
 * derivations.pair_key, one X25519 per contact, cached in a PairCache); there is no per-message
 * state, so sealing and opening need no store writes.
 *
 * v2 (`RatchetSessions`, ratchet-sessions.ts): a double ratchet per contact, advanced on every
 * seal and open. `seal` returns the store operations of the new chain state with the sealed frame
 * and `open` with the opened envelope, so they land in the same batch as the outbox entry or the
 * message's records (nothing is acted on before its state is stored). Removing a contact drops
 * its session through `removeOps` (PerContactState). See the engine README, "v2 sessions".
 */
import type { Envelope, Frame } from '@parley/generated';
import type { CryptoBackend } from '../crypto/index.ts';
import type { Identity } from '../protocol/identity.ts';
import { PairCache } from '../protocol/pair.ts';
import { openPeer, sealPeer } from '../protocol/peer.ts';
import type { StoreOp } from './storage.ts';
import type { Contact } from './types.ts';
import type { PerContactState } from './parts.ts';

export interface OpenedFrame {
  /** The candidate whose signature verified. */
  sender: Contact;
  envelope: Envelope;
  /** The decrypted, padded envelope bytes (kept for messages held for ordering). */
  plaintext: Uint8Array;
}

/** A sealed frame and the store operations of the session state that sealed it (v1: none). */
export interface SealedFrame {
  frame: Uint8Array;
  /** Write these in the same batch as the frame's outbox entry (or before an ephemeral send). */
  ops: StoreOp[];
  /** The seal tag of the session that sealed it (see PeerSessions.sealTag). */
  tag: string;
}

/** The seal tag of v1 peer frames (static pair keys). */
export const V1_SEAL_TAG = 'v1';

/**
 * An opened frame as the receive path handles it: `ops` (the session's new state) land in the
 * message's batch; `commit` after they landed makes the new state current; `release` ends the
 * open either way (without a commit the state stays as it was, so a resend of the same frame
 * opens again). Until `release`, nothing else seals or opens for this contact.
 */
export interface OpenedSession extends OpenedFrame {
  ops: StoreOp[];
  commit(): void;
  /**
   * Like `commit`, without landing `ops`: the session stores its state later (`save`), once
   * per group of file chunks instead of once per chunk (v2 only; see RatchetSessions.save).
   */
  defer?(): void;
  /**
   * Keeps the session's step but not the message (v2 only): the new state becomes current, stored
   * later like `defer`, and the frame is not counted among those taken (a copy of it is refused,
   * never acknowledged). For a message dropped unrecorded whose resend is sealed anew (a file
   * chunk deferred): the step may be its chain's first, the one carrying the KEM block, and
   * without it the chain's later messages could not open (KEM_MISSING) until a new chain starts.
   */
  skip?(): void;
  release(): void;
}

/** A frame this contact sent before and we already took (its key is used): acknowledge `msgId` again. */
export interface DuplicateFrame {
  duplicate: true;
  sender: Contact;
  /** Hex of the message id recorded for it. */
  msgId: string;
}

/** How a frame is sealed: `reserve` keys of the sending chain at once (bulk senders, RATCHET_SEND_RESERVE). */
export interface SealOptions {
  reserve?: number;
}

export interface PeerSessions extends PerContactState {
  /** Seals a frame to `c` (route zero: the relay session masks it at send time). */
  seal(c: Contact, envelope: Envelope, opts?: SealOptions): Promise<SealedFrame>;
  /**
   * Names what a message (other than session control) to `key` is sealed under now: `v1` (pair
   * keys) or the v2 session's start (`v2:<started_at>`, unique per contact: a reset must be
   * newer). A frame sealed under another tag may be refused by the contact (DOWNGRADE,
   * HEADER_FAILED, NO_SESSION), so the outbox reseals it (outbox.ts).
   */
  sealTag(key: string): string;
  /**
   * Opens a peer or ratchet frame from one of `candidates` (the contacts whose id the route
   * unmasked to), in the spec's receive order; throws OpenError, RatchetError (or CodecError)
   * with the step that failed.
   */
  open(candidates: readonly Contact[], frame: Uint8Array): Promise<OpenedSession | DuplicateFrame>;
  /** Wipes every key held in memory (the engine stopped). */
  clear(): void;
}

/** v1 sessions: static pair keys per contact (spec peer frames). */
export class PairSessions implements PeerSessions {
  readonly #backend: CryptoBackend;
  readonly #me: Identity;
  readonly #pairs: PairCache;

  constructor(backend: CryptoBackend, me: Identity) {
    this.#backend = backend;
    this.#me = me;
    this.#pairs = new PairCache(backend, me);
  }

  async seal(c: Contact, envelope: Envelope): Promise<SealedFrame> {
    return { frame: await sealPeer({ backend: this.#backend, sender: this.#me, recipient: c, envelope, pair: await this.#pairs.get(c) }), ops: [], tag: V1_SEAL_TAG };
  }

  sealTag(): string {
    return V1_SEAL_TAG;
  }

  async open(candidates: readonly Contact[], frame: Uint8Array | Frame): Promise<OpenedSession> {
    return stateless(await openPeer({ backend: this.#backend, me: this.#me, candidates, frame, pairs: this.#pairs }));
  }

  /** Pair keys are derived, not stored: nothing to delete, the cached keys are wiped. */
  removeOps(c: Contact): StoreOp[] {
    this.#pairs.forget(c);
    return [];
  }

  clear(): void {
    this.#pairs.clear();
  }
}

/** An opened v1 frame: no session state to store. */
export function stateless(o: OpenedFrame): OpenedSession {
  return { ...o, ops: [], commit: () => undefined, release: () => undefined };
}
