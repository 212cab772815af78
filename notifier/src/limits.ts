/**
 * Every bound the notifier enforces, with the reason it exists. Defaults come from the spec
 * (`spec/protocol.yaml` constants, imported from @parley/generated) where the spec names one;
 * the rest are notifier-local and marked so. An operator may override any of them (config.ts);
 * `validateLimits` rejects values that cannot work.
 */
import { CALL_RING_TIMEOUT_MS, INVITE_FIRST_CONTACTS_PER_MINUTE, MAILBOX_TTL_MS, MAX_INVITE_USES, REPLAY_WINDOW_MS, RINGS_PER_MINUTE, WAKE_MIN_INTERVAL_MS } from '@parley/generated';
import { MAX_PUBLISHED_INVITES } from './client.ts';

export interface Limits {
  /** One message push per tag per interval: a sender cannot make a device buzz without pause. */
  wakeMinIntervalMs: number;
  /** Call pushes per tag per minute (token bucket): callers ring through, but cannot flood. */
  callWakesPerMinute: number;
  /** Notifier-local: registrations kept in all; beyond it the oldest are forgotten (bounds disk and memory). */
  maxRegistrations: number;
  /** Notifier-local: registrations one sender may hold (a device holds one, two while its tag rotates). */
  maxRegistrationsPerSender: number;
  /**
   * Notifier-local: senders (contacts, each with engine state on disk) kept in all. At the cap the
   * senders holding no registration go first, the longest idle first; if every sender holds one,
   * a new sender is removed at once. Default 1.5 × maxRegistrations: every registration has one
   * sender, so all senders that hold one fit, with room for those between their first contact
   * and their registration and for recently idle ones.
   */
  maxSenders: number;
  /** A registration not renewed for this long is forgotten: nothing waits longer at the relay (MAILBOX_TTL_MS). */
  registrationTtlMs: number;
  /** A sender with no registration and no message for this long is removed with its engine state (REPLAY_WINDOW_MS: its old frames are refused anyway). */
  senderTtlMs: number;
  /** Notifier-local: one push request (Web Push or FCM, token exchange included) may take this long. */
  pushTimeoutMs: number;
  /** Notifier-local: pushes in flight at once: bounds sockets and memory under a burst of wakes. */
  maxConcurrentPushes: number;
  /** Notifier-local: pushes waiting for a slot; wakes beyond it are dropped (the relay wakes again later). */
  maxQueuedPushes: number;
  /** Web Push TTL / FCM ttl of a message push, seconds: as long as the relay holds the frame. */
  messageTtlS: number;
  /** Web Push TTL / FCM ttl of a call push, seconds: a ring is useless once it is missed. */
  callTtlS: number;
  /** Uses of each invite the notifier publishes (MAX_INVITE_USES, the protocol's maximum). */
  inviteMaxUses: number;
  /**
   * Notifier-local: lifetime of a published invite; a new one is published after half of it.
   * Short, because the engine remembers every used gate tag of a live invite (up to
   * MAX_INVITE_USES each) and rewrites that book on every first contact: at ~100,000 sign-ups a
   * day, 30-day invites would keep millions of tags; 2 days keeps a few hundred invites' worth.
   */
  inviteTtlS: number;
  /**
   * Notifier-local: invites published at once (clients pick one at random). Each takes
   * INVITE_FIRST_CONTACTS_PER_MINUTE first contacts a minute and every device signs up again from
   * a new push identity when its wake tag rotates (daily), so invites × 14,400 sign-ups a day must
   * exceed maxRegistrations: 16 give 230,400, 2.3 times the default 100,000.
   */
  invites: number;
}

/** First contacts a day that `invites` invites accept: the notifier's sign-up capacity. */
export function signUpsPerDay(invites: number): number {
  return invites * INVITE_FIRST_CONTACTS_PER_MINUTE * 24 * 60;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  wakeMinIntervalMs: WAKE_MIN_INTERVAL_MS,
  callWakesPerMinute: RINGS_PER_MINUTE,
  maxRegistrations: 100_000,
  maxRegistrationsPerSender: 4,
  maxSenders: 150_000,
  registrationTtlMs: MAILBOX_TTL_MS,
  senderTtlMs: REPLAY_WINDOW_MS,
  pushTimeoutMs: 10_000,
  maxConcurrentPushes: 32,
  maxQueuedPushes: 4096,
  messageTtlS: Math.floor(MAILBOX_TTL_MS / 1000),
  callTtlS: Math.floor(CALL_RING_TIMEOUT_MS / 1000),
  inviteMaxUses: MAX_INVITE_USES,
  inviteTtlS: 2 * 24 * 3600,
  invites: 16,
});

/** Inclusive ranges each limit may take. */
export const LIMIT_RANGES: { readonly [K in keyof Limits]: readonly [number, number] } = {
  wakeMinIntervalMs: [0, 24 * 3600_000],
  callWakesPerMinute: [1, 600],
  maxRegistrations: [1, 10_000_000],
  maxRegistrationsPerSender: [1, 64],
  maxSenders: [1, 10_000_000],
  registrationTtlMs: [60_000, 365 * 24 * 3600_000],
  senderTtlMs: [60_000, 365 * 24 * 3600_000],
  pushTimeoutMs: [100, 120_000],
  maxConcurrentPushes: [1, 1024],
  maxQueuedPushes: [0, 1_000_000],
  messageTtlS: [0, 28 * 24 * 3600],
  callTtlS: [0, 3600],
  inviteMaxUses: [1, MAX_INVITE_USES],
  inviteTtlS: [120, 365 * 24 * 3600],
  invites: [1, MAX_PUBLISHED_INVITES],
};

/** Throws RangeError naming the first limit outside its range. */
export function validateLimits(l: Limits): void {
  for (const key of Object.keys(LIMIT_RANGES) as (keyof Limits)[]) {
    const [lo, hi] = LIMIT_RANGES[key];
    const v = l[key];
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${key} must be a whole number in [${lo}, ${hi}], got ${v}`);
  }
}
