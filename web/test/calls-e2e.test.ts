/**
 * Voice and video calls end to end: web/dist, a real relay on 127.0.0.1 with TURN configured,
 * a real coturn, and headless Debian Chromium with fake camera and microphone, all WebRTC
 * traffic on loopback (see _calls-harness.ts). Alice, Bob and Carol are mutual contacts.
 * Covered: ringing, media both ways, the quality indicator reaching "good", the microphone
 * picker, decline/missed, late delivery, TURN only, a mesh by adding someone and one started
 * from the group-call picker.
 * Media flow is read from each page's getStats through window.parleyCallDebug.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axe, buildWeb, createIdentity, shot, type User } from './_harness.ts';
import { befriend, callPhase, inbound, mediaFlows, openCallUser, openChat, setNetwork, startCallStack, until, type CallStack } from './_calls-harness.ts';

let stack: CallStack;
let alice: User;
let bob: User;
let carol: User;
const users: User[] = [];

const call = (u: User) => u.page.getByTestId('call');
const phase = (u: User, p: string) => u.page.locator(`[data-testid="call"][data-phase="${p}"]`);
const logEntry = (u: User, outcome: string) => u.page.locator(`[data-testid="call-log"][data-outcome="${outcome}"]`);
const relayOnly = (p: Page, on: boolean) => p.evaluate((v) => (v ? localStorage.setItem('parley:calls:relay-only', '1') : localStorage.removeItem('parley:calls:relay-only')), on);

/** `u`'s inbound audio bytes keep growing (from every link). */
async function audioGrows(u: User): Promise<void> {
  const first = await inbound(u);
  await until(`${u.name}: growing audio`, async () => {
    const s = await inbound(u);
    return Object.keys(first).length > 0 && Object.keys(first).every((k) => (s[k]?.audio ?? 0) > first[k]!.audio) ? true : undefined;
  });
}

async function ended(...us: User[]): Promise<void> {
  for (const u of us) await call(u).waitFor({ state: 'detached', timeout: 10_000 });
}

beforeAll(async () => {
  await buildWeb();
  stack = await startCallStack({ turn: true });
  for (const name of ['Alice', 'Bob', 'Carol']) {
    users.push(await openCallUser(stack, name));
  }
  [alice, bob, carol] = users as [User, User, User];
  await Promise.all(users.map((u) => createIdentity(u)));
  await befriend(alice, bob);
  await befriend(alice, carol);
  await befriend(bob, carol);
}, 150_000);

afterAll(async () => {
  for (const u of users) await u.context.close().catch(() => undefined);
  await stack?.close();
});

describe.sequential('calls end to end', () => {
  it('a 1:1 video call rings with a tone, connects, media flows both ways, and hanging up ends it on both sides', async () => {
    await openChat(alice, 'Bob');
    await openChat(bob, 'Alice');
    const framesBefore = stack.frames.length;
    await alice.page.getByTestId('call-video').click();
    await phase(alice, 'outgoing').waitFor();
    await phase(bob, 'incoming').waitFor();
    await bob.page.locator('[data-testid="call-tone"][data-tone="playing"]').waitFor({ timeout: 5000 });
    await alice.page.getByTestId('call-status').getByText('Ringing…').waitFor(); // the invite's delivered receipt
    await shot(bob, 'call-incoming');
    expect(await axe(bob.page)).toEqual([]);
    await bob.page.getByTestId('call-accept').click();
    await phase(alice, 'active').waitFor();
    await phase(bob, 'active').waitFor();
    const [a, b] = await Promise.all([mediaFlows(alice, 1), mediaFlows(bob, 1)]);
    expect(Object.values(a)[0]!.video).toBeGreaterThan(0);
    expect(Object.values(b)[0]!.audio).toBeGreaterThan(0);
    // invite, accept, offer, answer, candidates and their receipts all went through the relay
    expect(stack.frames.length - framesBefore).toBeGreaterThan(8);
    await alice.page.locator('[data-testid="call-peer"][data-connected="true"]').waitFor();
    // getStats gives the selected pair's RTT within seconds; on loopback it is good, never unknown.
    await expect.poll(() => alice.page.getByTestId('call-quality').getAttribute('data-quality'), { timeout: 10_000 }).toBe('good');
    await expect.poll(() => alice.page.getByTestId('call-status').textContent(), { timeout: 5000 }).toMatch(/^\d+:\d\d$/);

    // The microphone picker lists Chromium's fake microphone; choosing one swaps the track on the
    // link (replaceTrack) and Bob keeps receiving Alice's audio; mute survives the swap.
    const mics = await alice.page.getByTestId('call-mic').locator('option').allTextContents();
    expect(mics.length).toBeGreaterThan(0);
    await alice.page.getByTestId('call-mic').selectOption({ index: mics.length - 1 });
    await audioGrows(bob);
    await alice.page.getByTestId('call-mute').click();
    expect(await alice.page.getByTestId('call-mute').getAttribute('aria-pressed')).toBe('true');
    await alice.page.getByTestId('call-mic').selectOption({ index: 0 });
    await expect.poll(() => alice.page.getByTestId('call-mute').getAttribute('aria-pressed')).toBe('true');
    await alice.page.getByTestId('call-camera').click();
    await alice.page.getByTestId('call-self').waitFor({ state: 'detached' });
    await alice.page.getByTestId('call-camera').click();
    await alice.page.getByTestId('call-self').waitFor();
    await shot(alice, 'call-active');
    expect(await axe(alice.page)).toEqual([]);

    await alice.page.getByTestId('call-hangup').click();
    await ended(alice, bob);
    await logEntry(alice, 'answered').waitFor();
    await logEntry(bob, 'answered').waitFor();
  });

  it('a declined call and a missed call show in both conversations', async () => {
    await alice.page.getByTestId('call-audio').click();
    await phase(bob, 'incoming').waitFor();
    await bob.page.getByTestId('call-decline').click();
    await alice.page.locator('[data-testid="call"][data-outcome="rejected"]').waitFor();
    await ended(alice, bob);
    await logEntry(alice, 'rejected').waitFor();
    await logEntry(bob, 'declined').waitFor();

    await alice.page.getByTestId('call-audio').click();
    await phase(bob, 'incoming').waitFor();
    await alice.page.getByTestId('call-hangup').click();
    await ended(alice, bob);
    await logEntry(bob, 'missed').waitFor();
    await logEntry(alice, 'cancelled').waitFor();
    expect(await logEntry(bob, 'missed').textContent()).toContain('Missed call');
    await shot(bob, 'call-missed');
  });

  it('a callee that comes online while the caller rings gets the invite and rings', async () => {
    await setNetwork(bob, false);
    await bob.page.locator('[data-testid="connection"][data-state="offline"]').waitFor();
    await alice.page.getByTestId('call-audio').click();
    await phase(alice, 'outgoing').waitFor();
    await alice.page.waitForTimeout(1000);
    expect(await alice.page.getByTestId('call-status').textContent()).toBe('Calling…');
    await setNetwork(bob, true);
    await phase(bob, 'incoming').waitFor({ timeout: 20_000 });
    await alice.page.getByTestId('call-status').getByText('Ringing…').waitFor();
    await bob.page.getByTestId('call-decline').click();
    await ended(alice, bob);
  });

  it('the same call through TURN only (iceTransportPolicy relay) connects with relay candidates', async () => {
    await relayOnly(alice.page, true);
    await relayOnly(bob.page, true);
    try {
      await alice.page.getByTestId('call-video').click();
      await phase(bob, 'incoming').waitFor();
      await bob.page.getByTestId('call-accept').click();
      const [a, b] = await Promise.all([mediaFlows(alice, 1), mediaFlows(bob, 1)]);
      for (const s of [a, b]) expect(Object.values(s)[0]).toMatchObject({ localType: 'relay', remoteType: 'relay' });
      await bob.page.getByTestId('call-hangup').click();
      await ended(alice, bob);
    } finally {
      await relayOnly(alice.page, false);
      await relayOnly(bob.page, false);
    }
  });

  it('a three-person mesh: Alice adds Carol to her call with Bob; everyone receives the other two; Carol leaves and the others go on', async () => {
    await alice.page.getByTestId('call-video').click();
    await phase(bob, 'incoming').waitFor();
    await bob.page.getByTestId('call-accept').click();
    await phase(alice, 'active').waitFor();
    await alice.page.getByTestId('call-add').click();
    await alice.page.getByTestId('call-add-pick').selectOption({ label: 'Carol' });
    await alice.page.getByTestId('call-add-invite').click();
    await phase(carol, 'incoming').waitFor();
    await carol.page.getByTestId('call-accept').click();
    const all = await Promise.all([alice, bob, carol].map((u) => mediaFlows(u, 2, 30_000)));
    for (const s of all) expect(Object.keys(s)).toHaveLength(2);
    await until('three tiles', async () => ((await bob.page.locator('[data-testid="call-peer"][data-connected="true"]').count()) === 2 ? true : undefined));
    await shot(bob, 'call-group');

    await carol.page.getByTestId('call-hangup').click();
    await call(carol).waitFor({ state: 'detached' });
    await until('Carol gone', async () => (Object.keys(await inbound(alice)).length === 1 && Object.keys(await inbound(bob)).length === 1 ? true : undefined));
    expect([await callPhase(alice), await callPhase(bob)]).toEqual(['active', 'active']);
    await Promise.all([mediaFlows(alice, 1), mediaFlows(bob, 1)]);
    await alice.page.getByTestId('call-hangup').click();
    await ended(alice, bob);
  });

  it('a group call started from the picker: Alice calls Bob and Carol at once, both ring with the whole roster, the mesh forms', async () => {
    await openChat(alice, 'Bob');
    await alice.page.getByTestId('call-group').click();
    const picker = alice.page.getByTestId('call-group-picker');
    await picker.waitFor();
    expect(await picker.locator('[data-testid="call-group-pick"]:checked').count()).toBe(1); // Bob, this conversation
    await picker.getByLabel('Carol').check();
    expect(await axe(alice.page)).toEqual([]);
    await alice.page.keyboard.press('Escape'); // closes, the button has the focus back
    await picker.waitFor({ state: 'hidden' });
    expect(await alice.page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('call-group');
    await alice.page.keyboard.press('Enter');
    await picker.getByLabel('Carol').check();
    await picker.getByTestId('call-group-video').click();
    for (const u of [bob, carol]) {
      await phase(u, 'incoming').waitFor();
      await u.page.getByText('Incoming video call with 1 other').waitFor();
    }
    await bob.page.getByTestId('call-accept').click();
    await carol.page.getByTestId('call-accept').click();
    const all = await Promise.all([alice, bob, carol].map((u) => mediaFlows(u, 2, 30_000)));
    for (const s of all) expect(Object.keys(s)).toHaveLength(2);
    await alice.page.getByTestId('call-hangup').click();
    await bob.page.getByTestId('call-hangup').click();
    await ended(alice, bob, carol);
  });

  it('the relay saw only ordinary encrypted frames: no SDP or ICE text in anything it forwarded', () => {
    expect(stack.frames.length).toBeGreaterThan(50);
    const text = stack.frames.map((f) => f.bytes.toString('latin1'));
    for (const needle of ['v=0\r\no=', 'a=ice-ufrag', 'a=fingerprint', 'candidate:', 'm=audio', 'typ host', 'typ relay', 'UDP/TLS/RTP/SAVPF']) {
      expect(text.filter((t) => t.includes(needle)).length, needle).toBe(0);
    }
  });

  it('no page error happened', () => {
    const errors = users.flatMap((u) => u.errors.map((e) => `${u.name}: ${e}`)).filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|WebSocket/.test(e));
    expect(errors).toEqual([]);
  });
});
