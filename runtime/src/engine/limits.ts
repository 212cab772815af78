/**
 * The engine's own bounds, each with what it defends against. Wire limits (sizes, rates,
 * OUTBOX_MAX_MESSAGES, RESEND_INTERVAL_MS, RECONNECT_*_MS ...) come from @parley/generated.
 */

/** Incoming file transfers one contact may have open at once: bounds the disk a contact can fill. */
export const MAX_INCOMING_TRANSFERS_PER_CONTACT = 4;

/** Pending incoming contact requests kept at once: bounds what a multi-use invite flood stores. */
export const MAX_PENDING_REQUESTS = 256;

/** Default wait for TURN credentials before rejecting with TIMEOUT. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Pause sending while the socket holds more unsent bytes than this (backpressure). */
export const SEND_HIGH_WATER_BYTES = 1 << 20;

/** Share of the relay's advertised frame and byte rates the engine uses, leaving headroom. */
export const RATE_HEADROOM = 0.9;

/** Stale replay-window entries tolerated in the store before they are cleaned up. */
export const REPLAY_CLEANUP_SLACK = 1024;

/** Read receipts waiting for a connection, per contact: bounds what markRead stores offline. */
export const MAX_PENDING_READ_IDS = 4096;

/**
 * Read receipts are never acknowledged, so one sent just before the connection died may be
 * lost. Those sent within this long before a reconnect are sent once more after it (the sender
 * ignores a repeat). Bounds both the repeat traffic and how long the ids are kept.
 */
export const READ_RESEND_WINDOW_MS = 5 * 60_000;

/**
 * v2: the ratchet frames of a contact remembered after they opened (a prefix of the signature and
 * the message id). A resent frame whose acknowledgement was lost can no longer be opened (its
 * message key is erased), so it is recognised here and acknowledged again instead of being
 * dropped and resent forever. Covers several sender windows of unacknowledged frames.
 */
export const RECENT_RATCHET_FRAMES = 256;

/** v2: bytes of a frame's signature that name it among the recent frames (unique per frame). */
export const RECENT_FRAME_TAG_BYTES = 16;

/**
 * Ended incoming transfers remembered per contact (file-ended.ts), so chunks their sender still
 * resends are acknowledged; about 100 bytes each.
 */
export const ENDED_TRANSFERS_PER_CONTACT = 256;
