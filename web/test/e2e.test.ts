/**
 * The web app end to end: web/dist built once, a real relay on 127.0.0.1 (port 0) serving it,
 * headless Debian Chromium (playwright-core) with one browser context per person. Tests run in
 * order and share the people they create. Screenshots go to web/test/screenshots/.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FILE_CHUNK_SIZE } from '@parley/generated';
import { Engine, MemoryStore, generateIdentity, idHex, nobleBackend, toHex, type Identity } from '@parley/runtime';
import { NodeWsTransport } from '@parley/runtime/node';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '@parley/relay';
import { K, encodeRecord } from '@parley/runtime/engine';
import { DESKTOP, PHONE, axe, buildWeb, createIdentity, launch, message, openUser, send, shot, startStack, waitOnline, writeQrVideo, type User } from './_harness.ts';

let relay: RunningRelay;
let browser: Browser;
let alice: User;
let bob: User;
const users: User[] = [];
const ICON = fileURLToPath(new URL('../public/icons/icon-192.png', import.meta.url));

beforeAll(async () => {
  await buildWeb();
  relay = await startStack();
  browser = await launch();
}, 120_000);

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

/**
 * The only errors tolerated while a context is offline: Chromium's own lines for a refused fetch
 * of the relay's document or a refused WebSocket, should the page report them (their timing
 * decides; runs usually see none). Matched exactly, so any other failure surfaces.
 */
const OFFLINE_ERRORS = [
  /^console: Failed to load resource: net::ERR_INTERNET_DISCONNECTED \(http:\/\/127\.0\.0\.1:\d+\/\.well-known\/parley\.json\)$/,
  /^console: WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/' failed: Error in connection establishment: net::ERR_INTERNET_DISCONNECTED /,
];
/** Runs `fn` with `u` offline (`fn` goes back online); takes the errors logged meanwhile out of `u.errors` and checks each is an expected one. */
async function offline(u: User, fn: () => Promise<void>): Promise<void> {
  const from = u.errors.length;
  await u.context.setOffline(true);
  await fn();
  const seen = u.errors.splice(from);
  expect(seen.filter((e) => !OFFLINE_ERRORS.some((re) => re.test(e)))).toEqual([]);
}

/** Someone outside the browser: the runtime's engine in this process, with its own identity. */
async function nodePeer(name: string): Promise<{ engine: Engine; identity: Identity }> {
  const identity = await generateIdentity(nobleBackend);
  const engine = new Engine({ identity, relay: { url: relay.url, ...relay.publicKeys }, store: new MemoryStore(), transport: new NodeWsTransport(), backend: nobleBackend, displayName: name });
  const online = new Promise<void>((resolve) => engine.on('state', (s) => s.state === 'online' && resolve()));
  await engine.start();
  if (engine.state.state !== 'online') await online;
  return { engine, identity };
}

const focused = (u: User) => u.page.evaluate(() => ({ id: document.activeElement?.id ?? '', label: document.activeElement?.getAttribute('aria-label') ?? '', text: document.activeElement?.textContent?.trim() ?? '', tag: document.activeElement?.tagName ?? '' }));

describe.sequential('web app end to end', () => {
  it('two people exchange an invite link and chat both ways with receipts', async () => {
    alice = await person('Alice');
    bob = await person('Bob', PHONE);
    await alice.page.goto('/');
    await shot(alice, 'onboarding');
    expect(await axe(alice.page)).toEqual([]);
    await createIdentity(alice);
    await createIdentity(bob);

    await alice.page.getByTestId('add-contact').click();
    await alice.page.getByTestId('create-invite').click();
    const link = await alice.page.getByTestId('invite-link').inputValue();
    expect(link).toMatch(new RegExp(`^${relay.httpUrl}/#invite=`));
    await shot(alice, 'invite');
    expect(await axe(alice.page)).toEqual([]);

    // Bob opens the link: the app keeps the invite, drops the fragment, and shows who invited.
    await bob.page.goto(link);
    await bob.page.getByTestId('invite-preview').waitFor();
    expect(bob.page.url()).not.toContain('#invite=');
    expect(await axe(bob.page)).toEqual([]);
    await bob.page.getByTestId('send-request').click();
    await bob.page.getByTestId('awaiting-accept').waitFor();

    // Alice is told (live region) and sees a request (never auto-accepted), and accepts it.
    await alice.page.getByTestId('toast').getByText('Contact request from Bob').waitFor();
    await alice.page.getByTestId('requests-link').click();
    await alice.page.getByTestId('requests').getByText('Bob').waitFor();
    await shot(alice, 'requests');
    expect(await axe(alice.page)).toEqual([]);
    await alice.page.getByTestId('accept').click();
    await alice.page.getByTestId('messages').waitFor();
    await bob.page.getByTestId('awaiting-accept').waitFor({ state: 'detached' });

    await send(bob, 'Hello Alice');
    await message(alice, 'Hello Alice').waitFor();
    await message(bob, 'Hello Alice').and(bob.page.locator('[data-status="read"]')).waitFor();
    await send(alice, 'Hi Bob');
    await message(bob, 'Hi Bob').waitFor();
    await message(alice, 'Hi Bob').and(alice.page.locator('[data-status="read"]')).waitFor();
    await shot(alice, 'conversation-desktop');
    await shot(bob, 'conversation-phone');
    expect(await axe(alice.page)).toEqual([]);
    expect(await axe(bob.page)).toEqual([]);
  });

  it('sends an image shown inline and a file offered as a download', async () => {
    await bob.page.getByTestId('file-input').setInputFiles(ICON);
    const img = alice.page.getByTestId('image');
    await img.waitFor();
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth), { timeout: 10_000 }).toBe(192);
    await bob.page.getByTestId('image').waitFor();
    await bob.page.getByTestId('file-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('parley notes\n') });
    const dl = alice.page.getByTestId('download').filter({ hasText: 'notes.txt' });
    await dl.waitFor();
    const [download] = await Promise.all([alice.page.waitForEvent('download'), dl.click()]);
    expect(download.suggestedFilename()).toBe('notes.txt');
    expect(await readFile(await download.path(), 'utf8')).toBe('parley notes\n');
    await shot(alice, 'files');
    expect(await axe(alice.page)).toEqual([]); // a conversation with an image and a file
  });

  it('edits and deletes a message on both sides', async () => {
    await message(alice, 'Hi Bob').hover();
    await message(alice, 'Hi Bob').getByRole('button', { name: 'Edit' }).click();
    await alice.page.getByLabel('Edit message').fill('Hi Bob, edited');
    await alice.page.getByLabel('Edit message').press('Enter');
    await message(bob, 'Hi Bob, edited').getByText('edited ·').waitFor();

    await send(alice, 'to be deleted');
    await message(bob, 'to be deleted').waitFor();
    await message(alice, 'to be deleted').hover();
    await message(alice, 'to be deleted').getByRole('button', { name: 'Delete' }).click();
    await message(alice, 'to be deleted').getByRole('button', { name: 'Delete for both' }).click();
    await expect.poll(() => message(bob, 'to be deleted').count()).toBe(0);
    await expect.poll(() => bob.page.getByText('This message was deleted').count()).toBe(1);
  });

  it('counts messages that arrive while the reader is elsewhere, in the list and the title, until read', async () => {
    await alice.page.getByRole('link', { name: 'Settings', exact: true }).click();
    await alice.page.getByRole('heading', { name: 'Settings' }).waitFor();
    await send(bob, 'are you there?');
    await send(bob, 'hello?');
    const bobItem = alice.page.getByTestId('conversation-item').filter({ hasText: 'Bob' });
    await expect.poll(() => bobItem.getByTestId('unread').textContent(), { timeout: 10_000 }).toBe('2 unread');
    await expect.poll(() => alice.page.title()).toBe('(2) Parley');
    await shot(alice, 'unread');
    await bobItem.click();
    await message(alice, 'hello?').waitFor();
    await bobItem.getByTestId('unread').waitFor({ state: 'detached' });
    await expect.poll(() => alice.page.title()).toBe('Parley');
    await message(bob, 'hello?').and(bob.page.locator('[data-status="read"]')).waitFor();
  });

  it('a reload keeps the identity and the history; by keyboard alone, skip to the content and send', async () => {
    await alice.page.reload();
    await alice.page.getByTestId('app-ready').waitFor();
    await waitOnline(alice);
    await message(alice, 'Hello Alice').waitFor();
    await message(alice, 'Hi Bob, edited').waitFor();
    await alice.page.getByTestId('image').waitFor();

    // The first Tab reaches the skip link; Enter moves focus into <main>, and nothing else:
    // no route change, no fragment, no invite screen.
    const before = alice.page.url();
    await alice.page.keyboard.press('Tab');
    expect(await focused(alice)).toMatchObject({ tag: 'A', text: 'Skip to content' });
    await alice.page.keyboard.press('Enter');
    expect((await focused(alice)).id).toBe('main');
    await alice.page.evaluate(() => new Promise((r) => setTimeout(r, 200))); // a hashchange would have landed by now
    expect(alice.page.url()).toBe(before);
    expect(await alice.page.getByTestId('invite-input').count()).toBe(0);
    await alice.page.getByTestId('messages').waitFor();

    // From there, Tab to the message box, type, Tab to Send, Enter.
    for (let i = 0; i < 60 && (await focused(alice)).label !== 'Message'; i++) await alice.page.keyboard.press('Tab');
    expect((await focused(alice)).label).toBe('Message');
    await alice.page.keyboard.type('sent by keyboard');
    await alice.page.keyboard.press('Tab');
    expect(await focused(alice)).toMatchObject({ tag: 'BUTTON', text: 'Send' });
    await alice.page.keyboard.press('Enter');
    await message(bob, 'sent by keyboard').waitFor();
    expect((await focused(alice)).label).toBe('Message'); // focus back in the box for the next one
  });

  it('while one side is offline, messages wait as pending and a big file shows its progress; both arrive after reconnecting', async () => {
    const big = randomBytes(FILE_CHUNK_SIZE * 6 + 1234); // 7 chunks
    await offline(alice, async () => {
      await alice.page.locator('[data-testid="connection"][data-state="offline"]').waitFor();
      await send(alice, 'written offline');
      await message(alice, 'written offline').and(alice.page.locator('[data-status="queued"]')).waitFor();
      await shot(alice, 'offline-pending');
      // Bob's chunks reach the relay but no device acknowledges them: the bar stays until Alice is back.
      await bob.page.getByTestId('file-input').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: big });
      await bob.page.getByTestId('progress').waitFor();
      await shot(bob, 'file-progress');
      expect(await message(bob, 'written offline').count()).toBe(0);
      await alice.context.setOffline(false);
      await waitOnline(alice, 20_000);
    });
    await message(bob, 'written offline').waitFor({ timeout: 20_000 });
    await message(alice, 'written offline').and(alice.page.locator('[data-status="read"]')).waitFor();
    const dl = alice.page.getByTestId('download').filter({ hasText: 'big.bin' });
    await dl.waitFor({ timeout: 20_000 });
    await bob.page.getByTestId('progress').waitFor({ state: 'detached', timeout: 20_000 });
    const [download] = await Promise.all([alice.page.waitForEvent('download'), dl.click()]);
    expect((await readFile(await download.path())).equals(big)).toBe(true);
  });

  it('the app shell loads offline from the service worker', async () => {
    await alice.page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    });
    await offline(alice, async () => {
      await alice.page.reload();
      await alice.page.getByTestId('app-ready').waitFor();
      await message(alice, 'written offline').waitFor();
      await alice.page.locator('[data-testid="connection"][data-state="offline"]').waitFor();
      await shot(alice, 'offline-shell');
      await alice.context.setOffline(false);
      await waitOnline(alice, 20_000);
    });
  });

  it('a passphrase-locked identity opens only with the passphrase', async () => {
    const carol = await person('Carol');
    await createIdentity(carol, 'correct horse battery');
    await carol.page.reload();
    await carol.page.getByRole('heading', { name: 'Unlock Parley' }).waitFor();
    expect(await carol.page.getByTestId('app-ready').count()).toBe(0);
    expect(await axe(carol.page)).toEqual([]);
    await carol.page.getByLabel('Passphrase').fill('wrong passphrase');
    await carol.page.getByRole('button', { name: 'Unlock' }).click();
    await carol.page.getByTestId('unlock-error').waitFor({ timeout: 30_000 });
    expect(await carol.page.getByTestId('unlock-error').textContent()).toContain('Wrong passphrase');
    await shot(carol, 'unlock');
    await carol.page.getByLabel('Passphrase').fill('correct horse battery');
    await carol.page.getByRole('button', { name: 'Unlock' }).click();
    await carol.page.getByTestId('app-ready').waitFor({ timeout: 30_000 });
    await waitOnline(carol);
  });

  it('contact details show the same safety number on both sides; settings are accessible', async () => {
    await alice.page.getByTestId('contact-details').click();
    const a = await alice.page.getByTestId('safety-number').textContent();
    await bob.page.getByTestId('contact-details').click();
    const b = await bob.page.getByTestId('safety-number').textContent();
    expect(a).toBeTruthy();
    expect(a).toBe(b);
    await alice.page.getByTestId('verify').click();
    await alice.page.getByRole('button', { name: 'Remove verified mark' }).waitFor();
    await shot(alice, 'contact-details');
    expect(await axe(alice.page)).toEqual([]);
    await alice.page.goto('/settings');
    await alice.page.getByRole('heading', { name: 'Settings' }).waitFor();
    await alice.page.getByLabel('Dark').check();
    await shot(alice, 'settings-dark');
    expect(await axe(alice.page)).toEqual([]);
    await alice.page.goto('/');
    await alice.page.getByTestId('conversations').waitFor();
    await shot(alice, 'conversations-dark');
    expect(await axe(alice.page)).toEqual([]);
  });

  it('a request claiming a contact with other keys shows the key-change warning and is never accepted silently', async () => {
    // Alice knew "Erin" under keys that share the new Erin's id (the id is the first bytes of the
    // X25519 key) but differ: written into her store as the engine keeps contacts, then reloaded.
    const { engine: erin, identity } = await nodePeer('Erin');
    try {
      const oldX = identity.x.slice();
      oldX[31] = oldX[31]! ^ 1;
      const oldEd = identity.ed.slice();
      oldEd[0] = oldEd[0]! ^ 1;
      const old = { key: toHex(oldX), id: idHex(oldX), x: oldX, ed: oldEd, name: 'Erin', note: '', state: 'accepted', verified: true, version: 1, createdAt: Date.now() - 60_000 };
      await alice.page.evaluate(
        async ([key, bytes]) => {
          const db = await new Promise<IDBDatabase>((resolve, reject) => {
            const r = indexedDB.open('parley');
            r.onsuccess = () => resolve(r.result);
            r.onerror = () => reject(r.error);
          });
          await new Promise<void>((resolve, reject) => {
            const tx = db.transaction('kv', 'readwrite');
            tx.objectStore('kv').put(new Uint8Array(bytes), key);
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error);
          });
          db.close();
        },
        [K.contact(old.key), [...encodeRecord(old)]] as const,
      );
      await alice.page.goto('/add');
      await alice.page.getByTestId('app-ready').waitFor();
      const erinItem = alice.page.getByTestId('conversation-item').filter({ hasText: 'Erin' });
      await erinItem.waitFor();
      await waitOnline(alice);
      await alice.page.getByTestId('create-invite').click();
      const link = await alice.page.getByTestId('invite-link').inputValue();

      const asked = await erin.addContact(link, { note: 'new phone' });
      const warning = alice.page.getByTestId('key-change');
      await warning.waitFor();
      expect(await warning.textContent()).toContain('claims to be Erin');
      await alice.page.getByTestId('toast').getByText(/^Security warning: someone claims to be Erin/).waitFor();
      await shot(alice, 'key-change');
      expect(await axe(alice.page)).toEqual([]);

      await warning.getByRole('button', { name: 'Review request' }).click();
      const request = alice.page.getByTestId('requests').getByRole('listitem').filter({ hasText: 'new phone' });
      await request.getByText(/^Keys changed: this request uses the id of Erin/).waitFor();
      expect(await axe(alice.page)).toEqual([]); // Requests, with the warning

      // Nothing was accepted: Erin's side still waits, and Alice's old Erin is still the contact.
      await new Promise((r) => setTimeout(r, 300));
      expect(erin.contact(asked.key)?.state).toBe('requested');
      expect(await alice.page.getByTestId('conversation-item').filter({ hasText: 'Erin' }).count()).toBe(1);
      await request.getByRole('button', { name: 'Reject' }).click();
      await warning.waitFor({ state: 'detached' });
      await erinItem.waitFor();
      expect(erin.contact(asked.key)?.state).not.toBe('accepted');
    } finally {
      await erin.stop();
    }
  });

  it("adds a contact by scanning the invite's QR code with the camera", async () => {
    await alice.page.goto('/add');
    await alice.page.getByTestId('create-invite').click();
    const link = await alice.page.getByTestId('invite-link').inputValue();
    const dir = await mkdtemp(join(tmpdir(), 'parley-qr-'));
    await writeQrVideo(link, join(dir, 'qr.y4m'));
    const camera = await launch([`--use-file-for-fake-video-capture=${join(dir, 'qr.y4m')}`]);
    try {
      const dave = await openUser(camera, relay.httpUrl, 'Dave', PHONE);
      await dave.context.grantPermissions(['camera']);
      await createIdentity(dave);
      await dave.page.getByTestId('add-contact').click();
      await dave.page.getByRole('button', { name: 'Scan QR code' }).click();
      await dave.page.getByTestId('invite-preview').waitFor({ timeout: 20_000 });
      await shot(dave, 'scanned-invite');
      expect(await axe(dave.page)).toEqual([]); // add-contact after a scan
      await dave.page.getByTestId('send-request').click();
      await dave.page.getByTestId('awaiting-accept').waitFor();
      await alice.page.goto('/requests');
      await alice.page.getByTestId('requests').getByText('Dave').waitFor();
    } finally {
      await camera.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a conversation shows its protection (v2: forward secrecy, post-quantum after a round trip), and a session reset is announced', async () => {
    // Frank (an engine outside the browser) invites Alice; later his device asks for a new session
    const { engine: frank } = await nodePeer('Frank');
    try {
      const invite = await frank.createInvite({ name: 'Frank' });
      const request = new Promise<string>((resolve) => frank.on('contact-request', ({ contact }) => resolve(contact.key)));
      await alice.page.goto(invite.link);
      await alice.page.getByTestId('invite-preview').waitFor();
      await alice.page.getByTestId('send-request').click();
      const aliceKey = await request;
      await frank.acceptContact(aliceKey);
      await alice.page.getByTestId('awaiting-accept').waitFor({ state: 'detached' });
      await alice.page.getByTestId('protection').getByText(/forward secrecy/).waitFor();
      // a round trip: both directions then descend from a root step with an ML-KEM secret
      const reply = new Promise<void>((resolve) => frank.on('message', (m) => m.contact.key === aliceKey && resolve()));
      await frank.sendText(aliceKey, 'Hi Alice, Frank here');
      await message(alice, 'Hi Alice, Frank here').waitFor();
      await send(alice, 'Hi Frank');
      await reply;
      await alice.page.getByTestId('protection').getByText('forward secrecy · post-quantum').waitFor();
      const reset = new Promise<string>((resolve) => frank.on('session-reset', ({ by }) => resolve(by)));
      await frank.resetSession(aliceKey);
      await alice.page.getByTestId('toast').getByText('The secure session with Frank was reset').waitFor();
      expect(await reset).toBe('us');
      await shot(alice, 'session-reset-notice');
    } finally {
      await frank.stop();
    }
  });

  it('no page error or CSP violation happened', async () => {
    const manifest = JSON.parse(await readFile(fileURLToPath(new URL('../dist/manifest.webmanifest', import.meta.url)), 'utf8'));
    expect(manifest.icons.length).toBeGreaterThan(0);
    // Errors logged while offline were checked (and taken out) by offline(); anything else is a failure.
    expect(users.flatMap((u) => u.errors.map((e) => `${u.name}: ${e}`))).toEqual([]);
  });
});
