/**
 * The session layer: every peer frame is sealed and opened through a `PeerSessions`. It is the
 * one place that knows which keys protect a conversation.
 *
 * v1 (`PairSessions`): static-static. Each pair of identities has fixed pair keys (spec
 * derivations.pair_key, one X25519 per contact, cached in a PairCache); there is no per-message
 * state, so sealing and opening need no store writes.
 *
 * v2 plugs in here: a ratcheting implementation keeps a session per (contact, device), advances
 * it on every seal and open, and returns the store operations of the new chain state with the
 * sealed frame or the opened envelope, so they land in the same batch as the outbox entry or the
 * replay-window entry (nothing is acted on before its state is stored). Removing a contact drops
 * its sessions through `removeOps` (PerContactState). See the engine README, "Where v2 plugs in".
 */
import type { Envelope } from '@parley/generated';
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

export interface PeerSessions extends PerContactState {
  /** Seals a peer frame to `c` (route zero: the relay session masks it at send time). */
  seal(c: Contact, envelope: Envelope): Promise<Uint8Array>;
  /**
   * Opens a peer frame from one of `candidates` (the contacts whose id the route unmasked to),
   * in the spec's receive order; throws OpenError (or CodecError) with the step that failed.
   */
  open(candidates: readonly Contact[], frame: Uint8Array): Promise<OpenedFrame>;
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

  async seal(c: Contact, envelope: Envelope): Promise<Uint8Array> {
    return sealPeer({ backend: this.#backend, sender: this.#me, recipient: c, envelope, pair: await this.#pairs.get(c) });
  }

  open(candidates: readonly Contact[], frame: Uint8Array): Promise<OpenedFrame> {
    return openPeer({ backend: this.#backend, me: this.#me, candidates, frame, pairs: this.#pairs });
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
