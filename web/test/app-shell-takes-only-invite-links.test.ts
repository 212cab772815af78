/**
 * The app shell's address handling, without a browser: only an invite link's fragment
 * (INVITE_LINK_FRAGMENT) becomes a pending invite, and only invite URLs that open the Android
 * app do; the skip link moves focus to <main> without touching the address; contact requests
 * and key changes the worker reports are announced in the live region.
 */
import { INVITE_LINK_FRAGMENT, INVITE_URI_PREFIX } from '@parley/generated';
import { describe, expect, it, vi } from 'vitest';
import { announceContactEvents } from '../src/announce.ts';
import { isInviteFragment, isInviteUrl, takeInviteFromAddress } from '../src/ui-thread/invite-links.ts';
import type { Contact } from '../src/messages/protocol.ts';
import { skipToMain } from '../src/skip-link.ts';
import { fakeClient } from './_fake-client.ts';

function fakeWindow(href: string) {
  const url = new URL(href);
  return {
    location: { href: url.href, hash: url.hash, pathname: url.pathname, search: url.search },
    history: { replaceState: vi.fn() },
  };
}

describe('invite links', () => {
  it('takes a #invite= fragment as an invite and drops it from the address', () => {
    const win = fakeWindow(`https://chat.example/c/${'a'.repeat(64)}?x=1${INVITE_LINK_FRAGMENT}AAAA`);
    const keep = vi.fn();
    expect(takeInviteFromAddress(win, keep)).toBe(true);
    expect(keep).toHaveBeenCalledWith(`https://chat.example/c/${'a'.repeat(64)}?x=1#invite=AAAA`);
    expect(win.history.replaceState).toHaveBeenCalledWith(null, '', `/c/${'a'.repeat(64)}?x=1`);
  });

  it('leaves every other fragment alone (the skip link is #main)', () => {
    for (const href of ['https://chat.example/#main', 'https://chat.example/add#', 'https://chat.example/#invitation=x', 'https://chat.example/']) {
      const win = fakeWindow(href);
      const keep = vi.fn();
      expect(takeInviteFromAddress(win, keep)).toBe(false);
      expect(keep).not.toHaveBeenCalled();
      expect(win.history.replaceState).not.toHaveBeenCalled();
    }
    expect(isInviteFragment('#main')).toBe(false);
    expect(isInviteFragment(`${INVITE_LINK_FRAGMENT}AAAA`)).toBe(true);
  });

  it('recognises invite URLs that open the app, and nothing else', () => {
    expect(isInviteUrl(`${INVITE_URI_PREFIX}AAAA`)).toBe(true);
    expect(isInviteUrl(`https://chat.example/${INVITE_LINK_FRAGMENT}AAAA`)).toBe(true);
    expect(isInviteUrl('https://chat.example/')).toBe(false);
    expect(isInviteUrl('https://chat.example/#main')).toBe(false);
    expect(isInviteUrl('parley:call/123')).toBe(false);
  });
});

describe('the skip link', () => {
  it('focuses <main> (giving it a tabindex if it has none) and keeps the default navigation from happening', () => {
    const attrs = new Map<string, string>();
    const main = { hasAttribute: (k: string) => attrs.has(k), setAttribute: (k: string, v: string) => void attrs.set(k, v), focus: vi.fn() };
    const ev = { preventDefault: vi.fn() };
    skipToMain(ev, { getElementById: (id: string) => (id === 'main' ? (main as unknown as HTMLElement) : null) });
    expect(ev.preventDefault).toHaveBeenCalledOnce();
    expect(main.focus).toHaveBeenCalledOnce();
    expect(attrs.get('tabindex')).toBe('-1');
    attrs.set('tabindex', '0');
    skipToMain(ev, { getElementById: () => main as unknown as HTMLElement });
    expect(attrs.get('tabindex')).toBe('0'); // an existing tabindex is kept
  });

  it('does nothing but prevent the jump when there is no <main>', () => {
    const ev = { preventDefault: vi.fn() };
    expect(() => skipToMain(ev, { getElementById: () => null })).not.toThrow();
    expect(ev.preventDefault).toHaveBeenCalledOnce();
  });
});

describe('announcements', () => {
  const contact = (o: Partial<Contact>) => ({ key: 'b'.repeat(64), name: 'Bob', state: 'pending', ...o }) as Contact;

  it('announces a contact request, and a key change instead of its request', () => {
    const { client, emit, listeners } = fakeClient({});
    const toast = vi.fn();
    const off = announceContactEvents(client, toast);
    emit('contact-request', { contact: contact({}), note: '' });
    expect(toast).toHaveBeenLastCalledWith(expect.stringContaining('Contact request from Bob'));
    toast.mockClear();
    emit('key-change', { contact: contact({ keyChangeOf: 'a'.repeat(64) }), previous: contact({ key: 'a'.repeat(64), name: 'Carol', state: 'accepted' }) });
    emit('contact-request', { contact: contact({ keyChangeOf: 'a'.repeat(64) }), note: '' });
    expect(toast).toHaveBeenCalledOnce();
    expect(toast.mock.calls[0]![0]).toMatch(/^Security warning: someone claims to be Carol with different keys/);
    off();
    expect(listeners('contact-request') + listeners('key-change')).toBe(0);
  });

  it('never tells you to go to the page you are on', () => {
    const { client, emit } = fakeClient({});
    const toast = vi.fn();
    let route = 'home';
    const off = announceContactEvents(client, toast, () => route);
    emit('contact-request', { contact: contact({}), note: '' });
    expect(toast).toHaveBeenLastCalledWith('Contact request from Bob. Accept it in Contact requests.');
    route = 'requests';
    emit('contact-request', { contact: contact({ name: 'Dave' }), note: '' });
    expect(toast).toHaveBeenLastCalledWith('Contact request from Dave: it is in the list below.');
    off();
  });
});
