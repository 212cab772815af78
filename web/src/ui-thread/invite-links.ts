/**
 * Which addresses carry an invite. Only these reach the worker as a pending invite: any other
 * fragment (the skip link's `#main`, an anchor in a bookmark) or app link is not an invite, and
 * treating it as one would send the user to add-contact with "This is not a Parley invite".
 */
import { INVITE_LINK_FRAGMENT, INVITE_URI_PREFIX } from '@parley/generated';

/** A page's `location.hash` that is an invite link's fragment (`#invite=...`). */
export function isInviteFragment(hash: string): boolean {
  return hash.startsWith(INVITE_LINK_FRAGMENT);
}

/** A URL that opened the Android app and carries an invite: `parley:invite/...` or a link with `#invite=...`. */
export function isInviteUrl(url: string): boolean {
  return url.startsWith(INVITE_URI_PREFIX) || url.includes(INVITE_LINK_FRAGMENT);
}

/**
 * Takes an invite out of the page's address: hands the whole link to `keep` (for the worker to
 * check) and drops the fragment, whose secret should not stay in the address bar or history.
 * Returns false, changing nothing, when the fragment is not an invite.
 */
export function takeInviteFromAddress(win: { location: Pick<Location, 'hash' | 'href' | 'pathname' | 'search'>; history: Pick<History, 'replaceState'> }, keep: (link: string) => void): boolean {
  if (!isInviteFragment(win.location.hash)) return false;
  keep(win.location.href);
  win.history.replaceState(null, '', win.location.pathname + win.location.search);
  return true;
}
