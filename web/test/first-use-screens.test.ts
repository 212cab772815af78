/**
 * What a first-time user reads and trips over, on a laptop (1280×800) and a phone (390×844):
 * invite errors in words; toasts that never cover a control or the name they talk about and
 * never send you where you are; a used invite that says, while waiting and when it expires, why
 * there may be no answer; messages grouped under date separators without gaps, read told apart
 * from delivered; offline shown inside a conversation on a phone; contrast checked by axe in
 * light and dark. Real relay, web/dist, Debian Chromium (see _harness.ts).
 */
import { Engine, MemoryStore, generateIdentity, nobleBackend } from '@parley/runtime';
import { NodeWsTransport } from '@parley/runtime/node';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '@parley/relay';
import { CONTACT_REQUEST_TTL_MS } from '@parley/generated';
import { K, decodeRecord, encodeRecord } from '@parley/runtime/engine';
import { DESKTOP, PHONE, axe, buildWeb, covered, createIdentity, launch, message, obstructed, openUser, send, shot, startStack, type User } from './_harness.ts';

let relay: RunningRelay;
let browser: Browser;
let alice: User;
let bob: User;
let carol: User;
let usedLink = '';
const users: User[] = [];

beforeAll(async () => {
  await buildWeb();
  relay = await startStack();
  browser = await launch();
}, 180_000);

afterAll(async () => {
  for (const u of users) await u.context.close().catch(() => undefined);
  await browser?.close();
  await relay?.close();
});

async function person(name: string, viewport = DESKTOP): Promise<User> {
  const u = await openUser(browser, relay.httpUrl, name, viewport);
  users.push(u);
  return u;
}

/** Someone outside the browser: the runtime's engine in this process. */
async function nodePeer(name: string): Promise<Engine> {
  const identity = await generateIdentity(nobleBackend);
  const engine = new Engine({ identity, relay: { url: relay.url, ...relay.publicKeys }, store: new MemoryStore(), transport: new NodeWsTransport(), backend: nobleBackend, displayName: name });
  const online = new Promise<void>((resolve) => engine.on('state', (s) => s.state === 'online' && resolve()));
  await engine.start();
  if (engine.state.state !== 'online') await online;
  return engine;
}

/** Rewrites one record of the app's IndexedDB store (as the engine keeps it) with `change`. */
async function rewriteRecord(u: User, key: string, change: (r: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  const bytes = await u.page.evaluate(async (k) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('parley');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const v = await new Promise<unknown>((resolve, reject) => {
      const r = db.transaction('kv').objectStore('kv').get(k);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    db.close();
    return [...(v as Uint8Array)];
  }, key);
  const next = encodeRecord(change(decodeRecord<Record<string, unknown>>(new Uint8Array(bytes), key)));
  await u.page.evaluate(
    async ([k, b]) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open('parley');
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction('kv', 'readwrite');
        tx.objectStore('kv').put(new Uint8Array(b), k);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    [key, [...next]] as const,
  );
}

describe.sequential('what a first-time user meets', () => {
  it('an invite error is a sentence a person can act on, without internal codes', async () => {
    bob = await person('Bob', PHONE);
    await createIdentity(bob);
    const warnings: string[] = [];
    bob.page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    await bob.page.getByTestId('add-contact').click();
    await bob.page.getByTestId('invite-input').fill('hello');
    await bob.page.getByRole('button', { name: 'Check invite' }).click();
    const error = bob.page.locator('.form-error');
    await error.waitFor();
    expect(await error.textContent()).toBe("This isn't a Parley invite link. Ask your contact for a new one.");
    // the code and the technical reason are kept: on the message, and in the console for logs
    expect(await error.getAttribute('data-code')).toBe('BAD_INVITE');
    await expect.poll(() => warnings.join('\n')).toMatch(/BAD_INVITE: MALFORMED: .*base64/);
    await bob.page.getByTestId('invite-input').fill(`${relay.httpUrl}/#invite=AAAA`);
    await bob.page.getByRole('button', { name: 'Check invite' }).click();
    await expect.poll(() => error.textContent()).not.toMatch(/BAD_INVITE|base64|decode/);
    await shot(bob, 'invite-error-phone');
    expect(await axe(bob.page)).toEqual([]);
  });

  it('the toast of a request covers nothing, and on the requests page does not send you there', async () => {
    alice = await person('Alice');
    await createIdentity(alice);
    await alice.page.getByTestId('add-contact').click();
    // the invite error on a laptop, as on the phone above
    await alice.page.getByTestId('invite-input').fill('hello');
    await alice.page.getByRole('button', { name: 'Check invite' }).click();
    await alice.page.locator('.form-error').getByText("This isn't a Parley invite link. Ask your contact for a new one.").waitFor();
    await shot(alice, 'invite-error-desktop');
    await alice.page.getByTestId('invite-input').fill('');
    await alice.page.getByTestId('create-invite').click();
    usedLink = await alice.page.getByTestId('invite-link').inputValue();
    await bob.page.goto(usedLink);
    await bob.page.getByTestId('send-request').click();
    await bob.page.getByTestId('awaiting-accept').waitFor();
    // on a phone too: the toast neither covers the conversation's name nor any of its controls
    await bob.page.getByTestId('toast').getByText('Request sent to Alice.').waitFor();
    expect(await covered(bob.page, '[data-testid="toast"] p')).toEqual([]);
    expect(await obstructed(bob.page, '.conversation')).toEqual([]);
    await shot(bob, 'toast-phone');
    const toast = alice.page.getByTestId('toast').getByText('Contact request from Bob. Accept it in Contact requests.');
    await toast.waitFor();
    expect(await covered(alice.page, '[data-testid="toast"] p')).toEqual([]);
    await shot(alice, 'toast-desktop');

    await alice.page.getByTestId('requests-link').click();
    await alice.page.getByTestId('requests').getByText('Bob').waitFor();
    await alice.page.getByTestId('toast').getByText(/./).waitFor({ state: 'detached', timeout: 10_000 });
    const erin = await nodePeer('Erin');
    try {
      await alice.page.goto('/add');
      await alice.page.getByTestId('create-invite').click();
      const second = await alice.page.getByTestId('invite-link').inputValue();
      await alice.page.goto('/requests');
      await alice.page.getByTestId('requests').getByText('Bob').waitFor();
      await erin.addContact(second);
      await alice.page.getByTestId('toast').getByText('Contact request from Erin: it is in the list below.').waitFor();
      expect(await alice.page.getByTestId('toast').textContent()).not.toContain('Accept it in Contact requests');
      expect(await covered(alice.page, '[data-testid="toast"] p')).toEqual([]);
      await shot(alice, 'toast-on-requests-desktop');
    } finally {
      await erin.stop();
    }
    await alice.page.getByTestId('requests').getByRole('listitem').filter({ hasText: 'Bob' }).getByTestId('accept').click();
    await alice.page.getByTestId('messages').waitFor();
    await bob.page.getByTestId('awaiting-accept').waitFor({ state: 'detached' });
  });

  it('a used invite: the requester is told the bound while waiting, and plainly when the request expired', async () => {
    carol = await person('Carol', PHONE);
    await createIdentity(carol);
    await carol.page.goto(usedLink); // Bob used it already
    await carol.page.getByTestId('send-request').click();
    const waiting = carol.page.getByTestId('awaiting-accept');
    await waiting.waitFor();
    expect(await waiting.textContent()).toMatch(/If there is no answer by .+, the request expires: maybe the invite was already used/);
    await shot(carol, 'request-waiting-phone');
    // Alice's app shows nothing: her client drops a request for a used invite and answers nothing
    await alice.page.goto('/requests');
    await alice.page.waitForTimeout(1000);
    expect(await alice.page.getByText('Carol').count()).toBe(0);

    // CONTACT_REQUEST_TTL_MS later (the record made older, as the engine stores it)
    const key = new URL(carol.page.url()).pathname.split('/').pop()!;
    await rewriteRecord(carol, K.contact(key), (r) => ({ ...r, createdAt: Date.now() - CONTACT_REQUEST_TTL_MS - 60_000 }));
    await carol.page.reload();
    await carol.page.getByTestId('app-ready').waitFor();
    const expired = carol.page.getByTestId('request-expired');
    await expired.waitFor();
    expect(await expired.textContent()).toMatch(/Your request to Alice expired without an answer\. If the invite had already been used, they never saw it\. Ask Alice for a new invite link/);
    await shot(carol, 'request-expired-phone');
    expect(await axe(carol.page)).toEqual([]);
  });

  it('messages: grouped by sender and time under a date separator, no gaps, read told apart from delivered', async () => {
    // (on a phone in a conversation the list's connection line is hidden: wait for it attached)
    await bob.page.locator('[data-testid="connection"][data-state="online"]').waitFor({ state: 'attached' });
    await bob.page.getByTestId('messages').waitFor();
    for (const t of ['first of three', 'second of three', 'third of three']) await send(bob, t);
    // Alice is on her requests page: the texts reach her app (delivered), unseen (not read)
    const delivered = message(bob, 'third of three').locator('.status-delivered');
    await delivered.waitFor();
    expect(await delivered.textContent()).toBe('Delivered'); // what a screen reader says
    expect(await delivered.locator('.status-word').count()).toBe(0); // no visible word: that is read's
    await shot(bob, 'conversation-delivered-phone');
    await alice.page.getByTestId('conversation-item').filter({ hasText: 'Bob' }).click();
    await alice.page.getByTestId('messages').waitFor();
    await message(alice, 'third of three').waitFor();
    await send(alice, 'a reply');
    await send(alice, '👍');
    await message(bob, 'a reply').waitFor();
    await message(alice, 'third of three').and(alice.page.locator('.msg-in')).waitFor();
    await message(bob, 'third of three').and(bob.page.locator('[data-status="read"]')).waitFor();

    // one group: the three sit close (nothing invisible between them), the first opens the group
    const boxes = await Promise.all(['first of three', 'second of three', 'third of three'].map((t) => message(bob, t).locator('.bubble').boundingBox()));
    for (let i = 1; i < boxes.length; i++) expect(boxes[i]!.y - (boxes[i - 1]!.y + boxes[i - 1]!.height)).toBeLessThanOrEqual(4);
    expect(await message(bob, 'first of three').getAttribute('class')).toContain('group-start');
    expect(await message(bob, 'second of three').getAttribute('class')).not.toContain('group-start');
    expect(await bob.page.getByTestId('day-separator').first().textContent()).toBe('Today');

    // read: a visible word, not only a slightly different tick
    const read = message(bob, 'third of three').locator('.status-read');
    expect(await read.textContent()).toBe('Read');
    expect(await read.locator('.status-word').isVisible()).toBe(true);
    expect(await message(alice, '👍').getAttribute('class')).toContain('msg-emoji');

    await shot(bob, 'conversation-grouped-phone');
    await shot(alice, 'conversation-grouped-desktop');
    expect(await axe(bob.page)).toEqual([]);
    expect(await axe(alice.page)).toEqual([]);
    for (const u of [alice, bob]) await u.page.emulateMedia({ colorScheme: 'dark' });
    await shot(bob, 'conversation-grouped-phone-dark');
    await shot(alice, 'conversation-grouped-desktop-dark');
    expect(await axe(bob.page)).toEqual([]);
    expect(await axe(alice.page)).toEqual([]);
    for (const u of [alice, bob]) await u.page.emulateMedia({ colorScheme: 'light' });
  });

  it('offline is shown inside a conversation on a phone, where the list is hidden', async () => {
    await bob.context.setOffline(true);
    const from = bob.errors.length;
    try {
      const notice = bob.page.getByTestId('conversation-offline');
      await notice.waitFor();
      expect(await notice.textContent()).toMatch(/Offline\. Messages you write wait and go out when you are back online\./);
      expect(await bob.page.getByTestId('connection').isVisible()).toBe(false); // the list's line is hidden on a phone
      await shot(bob, 'conversation-offline-phone');
    } finally {
      await bob.context.setOffline(false);
    }
    await bob.page.getByTestId('conversation-offline').waitFor({ state: 'detached', timeout: 20_000 });
    bob.errors.splice(from).forEach((e) => expect(e).toMatch(/ERR_INTERNET_DISCONNECTED/));
  });

  it('empty states say what to do next', async () => {
    await alice.page.goto('/requests');
    await alice.page.goto('/');
    await alice.page.getByTestId('app-ready').waitFor();
    await alice.page.getByTestId('empty-state').getByText('No conversation open').waitFor();
    await shot(alice, 'empty-desktop');
    expect(await axe(alice.page)).toEqual([]);
  });

  it('no page error happened', () => {
    expect(users.flatMap((u) => u.errors.map((e) => `${u.name}: ${e}`))).toEqual([]);
  });
});
