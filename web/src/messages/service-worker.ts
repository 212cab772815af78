/**
 * The messages between the service worker (service-worker/sw.ts) and the open pages: what it
 * posts to a page, and the query parameter of a window it opens for a push.
 */

/** The page message that asks an open app to show the newest unread conversation. */
export const OPEN_MESSAGE = 'parley:open';
/** The page message that asks an open app to check its push subscription again. */
export const RESUBSCRIBE_MESSAGE = 'parley:resubscribe';
/** Query parameter of a window the service worker opens for a push (`/?open=message`). */
export const OPEN_PARAM = 'open';
