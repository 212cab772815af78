/**
 * The web app end to end: web/dist built once, a real relay on 127.0.0.1 (port 0) serving it,
 * headless Debian Chromium (playwright-core) with one browser context per person. Tests run in
 * order and share the people they create. Screenshots go to web/test/screenshots/.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '../../relay/src/index.ts';
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
    await bob.page.getByTestId('send-request').click();
    await bob.page.getByTestId('awaiting-accept').waitFor();

    // Alice sees a request (never auto-accepted) and accepts it.
    await alice.page.getByTestId('requests-link').click();
    await alice.page.getByTestId('requests').getByText('Bob').waitFor();
    await shot(alice, 'requests');
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

  it('a reload keeps the identity and the history', async () => {
    await alice.page.reload();
    await alice.page.getByTestId('app-ready').waitFor();
    await waitOnline(alice);
    await message(alice, 'Hello Alice').waitFor();
    await message(alice, 'Hi Bob, edited').waitFor();
    await alice.page.getByTestId('image').waitFor();
  });

  it('messages written offline wait as pending and are delivered after reconnecting', async () => {
    await alice.context.setOffline(true);
    await alice.page.locator('[data-testid="connection"][data-state="offline"]').waitFor();
    await send(alice, 'written offline');
    await message(alice, 'written offline').and(alice.page.locator('[data-status="queued"]')).waitFor();
    await shot(alice, 'offline-pending');
    await new Promise((r) => setTimeout(r, 500));
    expect(await message(bob, 'written offline').count()).toBe(0);
    await alice.context.setOffline(false);
    await waitOnline(alice, 20_000);
    await message(bob, 'written offline').waitFor({ timeout: 20_000 });
    await message(alice, 'written offline').and(alice.page.locator('[data-status="read"]')).waitFor();
  });

  it('the app shell loads offline from the service worker', async () => {
    await alice.page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    });
    await alice.context.setOffline(true);
    await alice.page.reload();
    await alice.page.getByTestId('app-ready').waitFor();
    await message(alice, 'written offline').waitFor();
    await alice.page.locator('[data-testid="connection"][data-state="offline"]').waitFor();
    await shot(alice, 'offline-shell');
    await alice.context.setOffline(false);
    await waitOnline(alice, 20_000);
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
      await dave.page.getByTestId('send-request').click();
      await dave.page.getByTestId('awaiting-accept').waitFor();
      await alice.page.goto('/requests');
      await alice.page.getByTestId('requests').getByText('Dave').waitFor();
    } finally {
      await camera.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('no page error or CSP violation happened', async () => {
    const manifest = JSON.parse(await readFile(fileURLToPath(new URL('../dist/manifest.webmanifest', import.meta.url)), 'utf8'));
    expect(manifest.icons.length).toBeGreaterThan(0);
    const errors = users.flatMap((u) => u.errors.map((e) => `${u.name}: ${e}`)).filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|WebSocket/.test(e));
    expect(errors).toEqual([]);
  });
});
