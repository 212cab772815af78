/**
 * Call setup benchmark (`benchCalls()`, in the web section of `npm run bench`): the time from
 * the callee's click on Accept to the first inbound media (the first inbound-rtp
 * bytesReceived > 0, polled with getStats every POLL_MS), on both sides, for a Parley video call
 * between two Chromium contexts on loopback, direct (host candidates) and through a real coturn
 * (iceTransportPolicy 'relay'). Median of RUNS calls each.
 *
 * Baseline, same run, same browser: two bare RTCPeerConnections in one page, signalling by
 * direct function calls (no relay, no encryption, no outbox), from createOffer to the first
 * inbound byte. The ratio is Parley's extra cost: accept → call_accept through the relay →
 * offer and answer as durable encrypted messages → trickled candidates → DTLS → first packet.
 */
import { createHmac } from 'node:crypto';
import type { Page } from 'playwright-core';
import { buildWeb, createIdentity, type User } from '../test/_harness.ts';
import { befriend, openCallUser, openChat, startCallStack, type CallStack } from '../test/_calls-harness.ts';

const RUNS = 5;
const POLL_MS = 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const relayOnly = (p: Page, on: boolean) => p.evaluate((v) => (v ? localStorage.setItem('parley:calls:relay-only', '1') : localStorage.removeItem('parley:calls:relay-only')), on);

/** Resolves in the page with Date.now() at the first inbound byte (polling getStats). */
function firstMedia(p: Page, timeoutMs = 20_000): Promise<number> {
  return p.evaluate(
    async ({ poll, timeoutMs }) => {
      const d = (window as unknown as { parleyCallDebug: { stats(): Promise<Record<string, { bytesReceived: number }>> } }).parleyCallDebug;
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        const s = await d.stats();
        if (Object.values(s).some((v) => v.bytesReceived > 0)) return Date.now();
        await new Promise((r) => setTimeout(r, poll));
      }
      throw new Error('no inbound media');
    },
    { poll: POLL_MS, timeoutMs },
  );
}

async function parleySetup(caller: User, callee: User, turn: boolean): Promise<{ callee: number; caller: number }> {
  await relayOnly(caller.page, turn);
  await relayOnly(callee.page, turn);
  const out = { callee: [] as number[], caller: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    await caller.page.getByTestId('call-video').click();
    await callee.page.locator('[data-testid="call"][data-phase="incoming"]').waitFor();
    const callerFirst = firstMedia(caller.page);
    const calleeFirst = callee.page.evaluate(() => {
      const at = Date.now();
      (document.querySelector('[data-testid="call-accept"]') as HTMLButtonElement).click();
      return at;
    });
    const acceptedAt = await calleeFirst;
    const [a, b] = await Promise.all([callerFirst, firstMedia(callee.page)]);
    out.caller.push(a - acceptedAt);
    out.callee.push(b - acceptedAt);
    await caller.page.getByTestId('call-hangup').click();
    for (const u of [caller, callee]) await u.page.getByTestId('call').waitFor({ state: 'detached' });
  }
  await relayOnly(caller.page, false);
  await relayOnly(callee.page, false);
  return { callee: median(out.callee), caller: median(out.caller) };
}

/** Two RTCPeerConnections in one page, signalled directly: createOffer → first inbound byte. */
async function bareSetup(p: Page, turn: { url: string; username: string; credential: string } | undefined): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    times.push(
      await p.evaluate(
        async ({ turn, poll }) => {
          const cfg: RTCConfiguration = turn ? { iceServers: [{ urls: turn.url, username: turn.username, credential: turn.credential }], iceTransportPolicy: 'relay' } : {};
          const a = new RTCPeerConnection(cfg);
          const b = new RTCPeerConnection(cfg);
          a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
          b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
          const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
          for (const t of media.getTracks()) a.addTrack(t, media);
          const t0 = performance.now();
          await a.setLocalDescription(await a.createOffer());
          await b.setRemoteDescription(a.localDescription!);
          await b.setLocalDescription(await b.createAnswer());
          await a.setRemoteDescription(b.localDescription!);
          for (;;) {
            let bytes = 0;
            (await b.getStats()).forEach((r) => r.type === 'inbound-rtp' && (bytes += r.bytesReceived));
            if (bytes > 0) break;
            if (performance.now() - t0 > 20_000) throw new Error('bare: no media');
            await new Promise((r) => setTimeout(r, poll));
          }
          const ms = performance.now() - t0;
          a.close();
          b.close();
          for (const t of media.getTracks()) t.stop();
          return ms;
        },
        { turn, poll: POLL_MS },
      ),
    );
  }
  return median(times);
}

export async function benchCalls(): Promise<{ title: string; rows: Record<string, string | number>[]; note?: string }[]> {
  await buildWeb();
  const stack: CallStack = await startCallStack({ turn: true });
  try {
    const [caller, callee] = [await openCallUser(stack, 'Caller'), await openCallUser(stack, 'Callee')];
    await Promise.all([createIdentity(caller), createIdentity(callee)]);
    await befriend(caller, callee);
    await openChat(caller, 'Callee');
    await openChat(callee, 'Caller');
    // coturn REST credentials for the bare baseline, made like the relay makes them.
    const username = `${Math.floor(Date.now() / 1000) + 600}:bench`;
    const creds = { username, credential: createHmac('sha1', stack.turn!.secret).update(username).digest('base64') };
    const direct = await parleySetup(caller, callee, false);
    const relayed = await parleySetup(caller, callee, true);
    const bareDirect = await bareSetup(caller.page, undefined);
    const bareTurn = await bareSetup(caller.page, { url: stack.turn!.url, ...creds });
    const row = (path: string, p: { callee: number; caller: number }, bare: number) => ({
      path,
      'callee ms': Math.round(p.callee),
      'caller ms': Math.round(p.caller),
      'bare WebRTC ms': Math.round(bare),
      'callee vs bare': p.callee / bare,
    });
    return [
      {
        title: 'web: call setup, accept to first inbound media (127.0.0.1, Chromium, video)',
        note: `median of ${RUNS} calls per path; getStats polled every ${POLL_MS} ms; baseline: two RTCPeerConnections in one page signalled directly (createOffer to the first inbound byte); audio and 640x480 video from Chromium's fake devices`,
        rows: [row('direct (host candidates on lo)', direct, bareDirect), row('TURN only (coturn on lo, relay policy)', relayed, bareTurn)],
      },
    ];
  } finally {
    await stack.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('../../bench/table.ts');
  for (const table of await benchCalls()) console.log(renderTable(table));
}
