/**
 * The call screen as a first-time user meets it, on a phone (390×844) and a laptop (1280×800):
 * the incoming screen says voice or video; turning the camera on during a voice call shows our
 * own preview (whatever the order of element and stream); nothing covers a control at 360 to
 * 430 px (every control hit-tested, obstructed()); the camera button's words and icon say the
 * same thing; a camera that fails is said in a toast seen above the call; an ended call shows
 * one state. Screenshots at 390×844 and 1280×800.
 * Same stack as calls-e2e.test.ts (_calls-harness.ts), without TURN.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, PHONE, axe, buildWeb, covered, createIdentity, obstructed, shot, type User } from './_harness.ts';
import { befriend, mediaFlows, openCallUser, openChat, startCallStack, type CallStack } from './_calls-harness.ts';

let stack: CallStack;
let alice: User;
let bob: User;

const phase = (u: User, p: string) => u.page.locator(`[data-testid="call"][data-phase="${p}"]`);

/** Our preview shows frames: a stream is attached and the video has a size. */
async function selfViewPlays(p: Page): Promise<void> {
  await expect
    .poll(() => p.getByTestId('call-self').evaluate((v) => ({ stream: (v as HTMLVideoElement).srcObject !== null, w: (v as HTMLVideoElement).videoWidth })), { timeout: 10_000 })
    .toMatchObject({ stream: true, w: expect.any(Number) });
  await expect.poll(() => p.getByTestId('call-self').evaluate((v) => (v as HTMLVideoElement).videoWidth), { timeout: 10_000 }).toBeGreaterThan(0);
}

beforeAll(async () => {
  await buildWeb();
  stack = await startCallStack({ turn: false });
  alice = await openCallUser(stack, 'Alice', DESKTOP);
  bob = await openCallUser(stack, 'Bob', PHONE);
  await Promise.all([createIdentity(alice), createIdentity(bob)]);
  await befriend(alice, bob);
}, 180_000);

afterAll(async () => {
  for (const u of [alice, bob]) await u?.context.close().catch(() => undefined);
  await stack?.close();
});

describe.sequential('the call screen', () => {
  it('a voice call rings as a voice call; the camera turned on later shows our preview; nothing covers a control on a phone', async () => {
    await openChat(alice, 'Bob');
    await bob.page.getByTestId('messages').waitFor(); // on a phone befriend() left Bob in the conversation
    await alice.page.getByTestId('call-audio').click();
    await phase(bob, 'incoming').waitFor();
    expect(await bob.page.getByTestId('call-kind').textContent()).toBe('Incoming voice call');
    expect(await bob.page.getByTestId('call-kind').locator('svg').getAttribute('data-icon')).toBe('phone');
    expect(await obstructed(bob.page, '[data-testid="call"]')).toEqual([]);
    await shot(bob, 'call-incoming-voice-phone');
    await bob.page.getByTestId('call-accept').click();
    await phase(bob, 'active').waitFor();
    await phase(alice, 'active').waitFor();

    // camera off: the button offers to turn it on, with the camera icon (the one drawn)
    const camera = bob.page.getByTestId('call-camera');
    expect((await camera.textContent())?.trim()).toBe('Turn camera on');
    expect(await camera.locator('svg').getAttribute('data-icon')).toBe('video');
    await camera.click();
    await selfViewPlays(bob.page); // the element came first, the stream after getUserMedia
    expect((await camera.textContent())?.trim()).toBe('Turn camera off');
    expect(await camera.locator('svg').getAttribute('data-icon')).toBe('videoOff');
    await mediaFlows(alice, 1);

    for (const width of [360, 390, 430]) {
      await bob.page.setViewportSize({ width, height: PHONE.height });
      expect(await covered(bob.page, '[data-testid="call-self"]'), `${width} px`).toEqual([]);
      // and nothing else covers a control or pushes one off screen (tiles, preview, header)
      expect(await obstructed(bob.page, '[data-testid="call"]'), `${width} px`).toEqual([]);
    }
    await bob.page.setViewportSize(PHONE);
    await shot(bob, 'call-camera-on-phone');
    await shot(alice, 'call-active-desktop');
    expect(await axe(bob.page)).toEqual([]);

    // off and on again: the preview comes back with the stream (element and stream again in turn)
    await camera.click();
    await bob.page.getByTestId('call-self').waitFor({ state: 'detached' });
    await camera.click();
    await selfViewPlays(bob.page);

    // a camera that fails (the browser refuses it): the toast says so above the call screen,
    // where it is seen, and covers no control
    await camera.click();
    await bob.page.getByTestId('call-self').waitFor({ state: 'detached' });
    await bob.page.evaluate(() => {
      const md = navigator.mediaDevices;
      const real = md.getUserMedia.bind(md);
      (window as unknown as { realGum: typeof real }).realGum = real;
      md.getUserMedia = (c) => (c?.video ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError')) : real(c));
    });
    try {
      await camera.click();
      // in words a person can act on, not the browser's "Permission denied"
      await bob.page.getByTestId('toast').getByText('Camera: the browser is not allowed to use it; allow it for this site in the browser’s settings').waitFor();
      const seen = await bob.page.getByTestId('toast').evaluate((t) => {
        const r = t.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit !== null && t.contains(hit);
      });
      expect(seen).toBe(true);
      expect(await obstructed(bob.page, '[data-testid="call"]')).toEqual([]);
      expect((await camera.textContent())?.trim()).toBe('Turn camera on');
      await shot(bob, 'call-toast-phone');
    } finally {
      await bob.page.evaluate(() => {
        navigator.mediaDevices.getUserMedia = (window as unknown as { realGum: MediaDevices['getUserMedia'] }).realGum;
      });
    }
  });

  it('an ended call shows one state: its outcome and length, nothing still connecting', async () => {
    await alice.page.getByTestId('call-hangup').click();
    await phase(bob, 'ended').waitFor();
    const text = (await bob.page.getByTestId('call').textContent()) ?? '';
    expect(text).toMatch(/Call ended · \d+:\d\d/);
    expect(text).not.toMatch(/Connecting|Calling|Ringing/);
    await shot(bob, 'call-ended-phone');
    await bob.page.getByTestId('call').waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('a video call says so, and our preview shows from the start', async () => {
    await alice.page.getByTestId('call-video').click();
    await phase(bob, 'incoming').waitFor();
    expect(await bob.page.getByTestId('call-kind').textContent()).toBe('Incoming video call');
    expect(await bob.page.getByTestId('call-kind').locator('svg').getAttribute('data-icon')).toBe('video');
    expect(await obstructed(bob.page, '[data-testid="call"]')).toEqual([]);
    await bob.page.getByTestId('call-accept').click();
    await phase(alice, 'active').waitFor();
    await selfViewPlays(alice.page); // a video call: the stream may come before the element
    await selfViewPlays(bob.page);
    expect(await covered(alice.page, '[data-testid="call-self"]')).toEqual([]);
    expect(await obstructed(alice.page, '[data-testid="call"]')).toEqual([]);
    expect(await obstructed(bob.page, '[data-testid="call"]')).toEqual([]);
    await shot(alice, 'call-video-desktop');
    await shot(bob, 'call-video-phone');
    await bob.page.getByTestId('call-hangup').click();
    // the ended screen on a laptop: one state too
    await phase(alice, 'ended').waitFor();
    const text = (await alice.page.getByTestId('call').textContent()) ?? '';
    expect(text).toMatch(/Call ended · \d+:\d\d/);
    expect(text).not.toMatch(/Connecting|Calling|Ringing/);
    await shot(alice, 'call-ended-desktop');
    await alice.page.getByTestId('call').waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('on a laptop too, the incoming screen says voice call and covers no control', async () => {
    await bob.page.getByTestId('call-audio').click();
    await phase(alice, 'incoming').waitFor();
    expect(await alice.page.getByTestId('call-kind').textContent()).toBe('Incoming voice call');
    expect(await obstructed(alice.page, '[data-testid="call"]')).toEqual([]);
    await shot(alice, 'call-incoming-voice-desktop');
    await alice.page.getByTestId('call-decline').click();
    await alice.page.getByTestId('call').waitFor({ state: 'detached', timeout: 15_000 });
    await bob.page.getByTestId('call').waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('no page error happened', () => {
    const errors = [alice, bob].flatMap((u) => u.errors.map((e) => `${u.name}: ${e}`)).filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|WebSocket/.test(e));
    expect(errors).toEqual([]);
  });
});
