/** Mailbox secrets in isolation: token checks, rotation, removal, TTL and the count bound. */
import { describe, expect, it } from 'vitest';
import { MailboxSecrets } from '../src/vouch.ts';
import { mailboxToken, mailboxTokenKey } from '../src/runtime.ts';

const bytes = (fill: number, n = 32) => new Uint8Array(n).fill(fill);
const contact = { x: bytes(1), ed: bytes(2) };
const tokenFor = (secret: Uint8Array) => mailboxToken(mailboxTokenKey(secret), contact);

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('MailboxSecrets', () => {
  it('accepts the token of the registered secret for the presenter\'s keys only', () => {
    const s = new MailboxSecrets({ ttlMs: 1000, maxSecrets: 10 });
    s.register('bob', 'bob-keys', bytes(7));
    expect(s.check('bob', contact.x, contact.ed, tokenFor(bytes(7)))).toBe(true);
    expect(s.check('bob', contact.x, bytes(3), tokenFor(bytes(7)))).toBe(false); // another key pair
    expect(s.check('carol', contact.x, contact.ed, tokenFor(bytes(7)))).toBe(false); // another id
    expect(s.check('bob', contact.x, contact.ed, tokenFor(bytes(8)))).toBe(false); // another secret
  });

  it('checks every holder of an id; a new secret revokes the old tokens; all-zero removes it', () => {
    const s = new MailboxSecrets({ ttlMs: 1000, maxSecrets: 10 });
    s.register('bob', 'bob-1', bytes(7));
    s.register('bob', 'bob-2', bytes(9)); // a second key pair holding the id
    expect(s.check('bob', contact.x, contact.ed, tokenFor(bytes(9)))).toBe(true);
    s.register('bob', 'bob-1', bytes(11));
    expect(s.check('bob', contact.x, contact.ed, tokenFor(bytes(7)))).toBe(false);
    expect(s.check('bob', contact.x, contact.ed, tokenFor(bytes(11)))).toBe(true);
    s.register('bob', 'bob-1', bytes(0));
    expect(s.check('bob', contact.x, contact.ed, tokenFor(bytes(11)))).toBe(false);
    expect(s.size).toBe(1);
  });

  it('forgets a secret MAILBOX_TTL_MS after its holder was last seen', () => {
    const c = clock();
    const s = new MailboxSecrets({ ttlMs: 1000, maxSecrets: 10 }, c.now);
    s.register('bob', 'bob-keys', bytes(7));
    c.advance(900);
    s.touch('bob-keys'); // the session ended now
    c.advance(999);
    expect(s.check('bob', contact.x, contact.ed, tokenFor(bytes(7)))).toBe(true);
    c.advance(1);
    expect(s.check('bob', contact.x, contact.ed, tokenFor(bytes(7)))).toBe(false);
    s.sweep();
    expect(s.size).toBe(0);
  });

  it('holds at most maxSecrets; the oldest go first', () => {
    const s = new MailboxSecrets({ ttlMs: 1000, maxSecrets: 2 });
    s.register('a', 'a', bytes(1));
    s.register('b', 'b', bytes(2));
    s.register('c', 'c', bytes(3));
    expect(s.size).toBe(2);
    expect(s.check('a', contact.x, contact.ed, tokenFor(bytes(1)))).toBe(false);
    expect(s.check('c', contact.x, contact.ed, tokenFor(bytes(3)))).toBe(true);
  });
});
