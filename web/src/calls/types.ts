/** Types shared by the call state machine (machine.ts), its glue (calls.ts) and the UI. */
import type { CallMedia } from '@parley/generated';
import type { CallMessage } from './signal.ts';

/** outgoing: ringing them; incoming: ringing here; active: accepted (media may still be connecting). */
export type CallPhase = 'outgoing' | 'incoming' | 'active' | 'ended';

/**
 * Another roster member as we see them. invited: we sent an invite (not delivered yet);
 * ringing: our invite reached their device; roster: in the roster, we know nothing yet;
 * present: in the call (accept, join or SDP from them; the inviter from the start).
 */
export type PeerStatus = 'invited' | 'ringing' | 'roster' | 'present' | 'left' | 'declined' | 'busy' | 'no-answer' | 'failed';

export interface PeerInfo {
  key: string;
  status: PeerStatus;
  /** We told them we are in the call (invite, accept or join). */
  announced: boolean;
  /** A media link exists (links.ts). */
  linked: boolean;
  connected?: boolean;
  /** Our invite's message id (its delivered receipt turns invited into ringing). */
  inviteId?: string;
  /** Left out by the roster cap (roster.ts): never linked, heard or added again in this call. */
  dropped?: boolean;
}

export interface CallInfo {
  /** Hex of the CALL_ID_SIZE-byte call id. */
  id: string;
  media: CallMedia;
  dir: 'in' | 'out';
  /** Who invited us (us, for our own calls). */
  inviter: string;
  /** X25519 keys, hex, the caller first; never more than MAX_CALL_PARTICIPANTS. */
  roster: string[];
  /** Each member's lowest position in any roster seen: the roster cap's ranking (roster.ts). */
  order: Record<string, number>;
  phase: CallPhase;
  startedAt: number;
  answeredAt?: number;
  /** The first media link connected. */
  connectedAt?: number;
  endedAt?: number;
  outcome?: CallOutcome;
  /** Every roster member but us, by key. */
  peers: Record<string, PeerInfo>;
}

/**
 * How a call ended, for the call log. Incoming: answered, missed, declined (by us), busy (we
 * were in another call). Outgoing: answered, no-answer, rejected (they declined), busy (they
 * were), cancelled (we hung up first), failed (nothing could be sent).
 */
export type CallOutcome = 'answered' | 'missed' | 'declined' | 'busy' | 'no-answer' | 'rejected' | 'cancelled' | 'failed';

export interface CallRecord {
  id: string;
  media: CallMedia;
  dir: 'in' | 'out';
  /** Who started ringing (us for outgoing calls). */
  from: string;
  /** When the call started ringing (ms since the epoch). */
  at: number;
  outcome: CallOutcome;
  /** Media time, first link connected to the end. */
  durationMs?: number;
  /** The conversations the call shows in. */
  contacts: string[];
}

/** What the machine needs from the world; every effect goes through here. */
export interface CallIo {
  /** Our X25519 key, hex. */
  me(): string;
  now(): number;
  newCallId(): Uint8Array;
  isContact(key: string): boolean;
  /** Sends through the engine (Api.sendSignal); resolves with the message id. */
  send(key: string, m: CallMessage): Promise<string>;
  /** RING at the relay (wakes an offline callee); failures are the glue's to swallow. */
  ring(key: string): void;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(t: unknown): void;
  /** Starts a media link with a present member; `offerer` per the spec's key order. */
  link(key: string, offerer: boolean): void;
  unlink(key: string): void;
  /** call_sdp and call_ice for a linked member. */
  toLink(key: string, m: CallMessage): void;
  changed(): void;
  ended(r: CallRecord): void;
  report(context: string, err: unknown): void;
}

/**
 * Why the machine refused: `in-call` (one call at a time), `no-call` (nothing to add to),
 * `empty` (nobody to call), `full` (MAX_CALL_PARTICIPANTS), `left-out` (the roster cap already
 * left this person out of this call).
 */
export class CallError extends Error {
  override readonly name = 'CallError';
  constructor(
    readonly code: 'in-call' | 'no-call' | 'empty' | 'full' | 'left-out',
    message: string,
  ) {
    super(message);
  }
}

/** Messages kept for calls not known yet (a join that overtook its invite). */
export const EARLY_MAX = 32;
/** Ended call ids remembered, so late messages for them are dropped. */
export const ENDED_MAX = 64;
/** ICE candidates kept for a member whose link is not up yet. */
export const PENDING_ICE_MAX = 64;
