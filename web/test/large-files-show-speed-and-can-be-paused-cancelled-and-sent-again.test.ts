/**
 * Large file transfers in the web app (issue 19): between two browser profiles (a desktop and a
 * phone width) through a real relay on 127.0.0.1 serving web/dist, the sender pauses a file of
 * several MB (the receiver's bar stops; a reload still shows it paused), resumes it, both sides show its speed and time left,
 * and it arrives with the right bytes. A second file is cancelled by the receiver; the sender sees
 * it cancelled (and the receiver still does after a reload) and sends it again, and that copy arrives whole.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '@parley/relay';
import { DESKTOP, PHONE, axe, buildWeb, createIdentity, launch, message, openUser, send, shot, startStack, type User } from './_harness.ts';

let relay: RunningRelay;
let browser: Browser;
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

/** Alice invites Bob, Bob asks, Alice accepts: both end in the conversation. */
async function befriend(alice: User, bob: User): Promise<void> {
  await alice.page.getByTestId('add-contact').click();
  await alice.page.getByTestId('create-invite').click();
  const link = await alice.page.getByTestId('invite-link').inputValue();
  await bob.page.goto(link);
  await bob.page.getByTestId('send-request').click();
  await alice.page.getByTestId('requests-link').click();
  await alice.page.getByTestId('accept').click();
  await alice.page.getByTestId('messages').waitFor();
  await bob.page.getByTestId('awaiting-accept').waitFor({ state: 'detached' });
  await send(bob, 'files coming');
  await message(alice, 'files coming').waitFor();
}

const fileMessage = (u: User, name: string) => u.page.getByTestId('message').filter({ hasText: name });
const progressValue = async (u: User, name: string) => Number(await fileMessage(u, name).getByTestId('progress').getAttribute('value'));

async function downloaded(u: User, name: string): Promise<Buffer> {
  const dl = fileMessage(u, name).getByTestId('download').first();
  await dl.waitFor({ timeout: 120_000 });
  const [download] = await Promise.all([u.page.waitForEvent('download'), dl.click()]);
  return readFile(await download.path());
}

/**
 * The only errors tolerated while a context is offline (as in e2e.test.ts): Chromium's own lines
 * for a refused fetch of the relay's document or a refused WebSocket, matched exactly.
 */
const OFFLINE_ERRORS = [
  /^console: Failed to load resource: net::ERR_INTERNET_DISCONNECTED \(http:\/\/127\.0\.0\.1:\d+\/\.well-known\/parley\.json\)$/,
  /^console: WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/' failed: Error in connection establishment: net::ERR_INTERNET_DISCONNECTED /,
];

/**
 * Bob offers `name` while Alice is offline and pauses it (nothing can be delivered yet, so the
 * pause surely lands mid-transfer); Alice comes back and receives what was in flight, no more.
 * Returns the value of Alice's bar once it stopped moving.
 */
async function sendPausedWhileAway(alice: User, bob: User, name: string, bytes: Buffer): Promise<number> {
  const from = alice.errors.length;
  await alice.context.setOffline(true);
  await alice.page.locator('[data-testid="connection"][data-state="offline"]').waitFor();
  await bob.page.getByTestId('file-input').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: bytes });
  // nothing delivered yet: a large transfer says it is waiting
  await fileMessage(bob, name).getByTestId('time-left').getByText('waiting').waitFor({ timeout: 30_000 });
  await bob.page.getByRole('button', { name: `Pause ${name}` }).click();
  await fileMessage(bob, name).getByTestId('file-status').getByText('paused').waitFor();
  await alice.context.setOffline(false);
  await alice.page.locator('[data-testid="connection"][data-state="online"]').waitFor({ timeout: 30_000 });
  expect(alice.errors.splice(from).filter((e) => !OFFLINE_ERRORS.some((re) => re.test(e)))).toEqual([]);
  await fileMessage(alice, name).getByTestId('progress').waitFor({ timeout: 30_000 });
  // once what was in flight has landed, the receiver's bar stops
  let still = -1;
  for (let i = 0; i < 20 && still < 0; i++) {
    const before = await progressValue(alice, name);
    await alice.page.waitForTimeout(1500);
    if ((await progressValue(alice, name)) === before) still = before;
  }
  expect(still).toBeGreaterThanOrEqual(0);
  expect(still).toBeLessThan(100);
  await alice.page.waitForTimeout(1500);
  expect(await progressValue(alice, name)).toBe(still);
  return still;
}

describe.sequential('large files in the web app', () => {
  let alice: User;
  let bob: User;

  it('a file of several MB pauses, resumes showing speed and time left on both sides, and arrives whole', async () => {
    alice = await person('Alice');
    bob = await person('Bob', PHONE);
    await createIdentity(alice);
    await createIdentity(bob);
    await befriend(alice, bob);

    const big = randomBytes(32 * 1024 * 1024);
    await sendPausedWhileAway(alice, bob, 'video.bin', big);
    await shot(bob, 'file-transfer-paused-phone');
    expect(await axe(bob.page)).toEqual([]);

    // a reload of the sender's page still shows it paused, with its Resume button
    await bob.page.reload();
    await bob.page.getByTestId('app-ready').waitFor();
    await fileMessage(bob, 'video.bin').getByTestId('file-status').getByText('paused').waitFor();
    await bob.page.getByRole('button', { name: 'Resume video.bin' }).click();
    // a speed in words and a time left, not only a bar, on both sides while it moves
    const rate = /^\d+(\.\d)? (KB|MB)\/s · (\d+ s left|\d+ min left|\d+ h \d+ min left)$/;
    const bobRate = fileMessage(bob, 'video.bin').getByTestId('transfer-rate');
    const aliceRate = fileMessage(alice, 'video.bin').getByTestId('transfer-rate');
    const seen = (l: typeof bobRate) => expect.poll(async () => (await l.textContent({ timeout: 500 }).catch(() => '')) ?? '', { timeout: 30_000, interval: 100 }).toMatch(rate);
    await Promise.all([seen(aliceRate), seen(bobRate)]);
    await shot(alice, 'file-transfer-desktop');
    expect(await axe(alice.page)).toEqual([]);

    expect((await downloaded(alice, 'video.bin')).equals(big)).toBe(true);
    await fileMessage(bob, 'video.bin').getByTestId('progress').waitFor({ state: 'detached', timeout: 30_000 });
    expect(await fileMessage(bob, 'video.bin').getByRole('button', { name: /^(Pause|Resume|Cancel) video\.bin$/ }).count()).toBe(0); // no controls once done
  }, 300_000);

  it('the receiver cancels a transfer, the sender sees it cancelled and sends it again', async () => {
    const second = randomBytes(16 * 1024 * 1024 + 999);
    await sendPausedWhileAway(alice, bob, 'second.bin', second);
    await alice.page.getByRole('button', { name: 'Cancel second.bin' }).click();
    await fileMessage(alice, 'second.bin').getByTestId('file-status').getByText('cancelled').waitFor();
    await fileMessage(bob, 'second.bin').getByTestId('file-status').getByText('cancelled').waitFor({ timeout: 30_000 });
    await shot(bob, 'file-cancelled-phone');
    expect(await axe(bob.page)).toEqual([]);
    expect(await fileMessage(alice, 'second.bin').getByTestId('download').count()).toBe(0);
    // a reload still says why it ended (the history keeps the reason), not just "failed"
    await alice.page.reload();
    await fileMessage(alice, 'second.bin').getByTestId('file-status').getByText('cancelled').waitFor({ timeout: 30_000 });

    await bob.page.getByRole('button', { name: 'Send again: second.bin' }).click();
    await expect.poll(() => fileMessage(alice, 'second.bin').count(), { timeout: 30_000 }).toBe(2);
    expect((await downloaded(alice, 'second.bin')).equals(second)).toBe(true);
  }, 300_000);

  it('no page error happened', () => {
    expect(users.flatMap((u) => u.errors)).toEqual([]);
  });
});
