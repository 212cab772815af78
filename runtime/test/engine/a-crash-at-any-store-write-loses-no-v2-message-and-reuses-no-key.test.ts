/**
 * Crash safety of v2 sessions (through the real relay, FileStores): the process "dies" at each
 * store write in turn (the k-th batch throws and every later call fails, so nothing after it is
 * persisted), the engine is restarted on what reached the disk, and the conversation goes on.
 * At every k: every message is shown exactly once, and no frame is refused for a used or
 * unknown key (a reused sending key, or a receiving state that went backwards, would show as
 * KEY_USED / HEADER_FAILED / DECRYPT_FAILED, and the message would be lost).
 */
import { join } from 'node:path';
import { MessageType, RESEND_INTERVAL_MS } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/node/file-store.ts';
import { crashingStore } from './_dying-store.ts';
import { recordingRelays } from './_recording-relay.ts';
import { befriend, until, waitFor, type TestPeer } from './_setup.ts';

const { recordingRelay, client, stop, dir } = recordingRelays();

const BAD = new Set(['KEY_USED', 'HEADER_FAILED', 'DECRYPT_FAILED', 'NO_SESSION', 'DOWNGRADE']);
const badDrops = (p: TestPeer) => p.of('dropped').filter((d) => BAD.has(d.code));

async function scenario(side: 'receiver' | 'sender', k: number): Promise<void> {
  const r = await recordingRelay();
  let clock = Date.now();
  const now = () => clock;
  const a0 = await client(r, { name: 'alice', now });
  const b0 = await client(r, { name: 'bob', now });
  const { aSeesB, bSeesA } = await befriend(a0, b0);
  const [aKey, bKey] = [bSeesA.key, aSeesB.key];
  // restart the side that will crash on a crashing store over its own folder
  const victim = side === 'receiver' ? b0 : a0;
  await stop(victim);
  const crashing = crashingStore(await FileStore.open(join(dir(victim), 'state'), { fsync: false }), k);
  const v1 = await client(r, { identity: victim.identity, dir: dir(victim), store: crashing, name: side, now });
  let a = side === 'sender' ? v1 : a0;
  let b = side === 'receiver' ? v1 : b0;
  const shownAtB: string[] = [];
  const shownAtA: string[] = [];
  const track = (p: TestPeer, into: string[]) => p.engine.on('message', (m) => m.type === MessageType.text && into.push(m.body.text));
  track(a, shownAtA);
  track(b, shownAtB);
  crashing.arm();
  // a short exchange during which the victim writes at least five times (send, status, receive, acknowledge)
  const sentTexts: string[] = [];
  const send = async (from: TestPeer, key: string, t: string) => {
    try {
      await from.engine.sendText(key, t);
      sentTexts.push(t);
    } catch {
      // a crash in the send's own batch: the app is told, nothing was stored
    }
  };
  await send(a, bKey, 'm1');
  await until(() => crashing.dead || (shownAtB.includes('m1') && a.engine.outboxSize === 0), 10_000, 'crash or m1 delivered');
  if (!crashing.dead) {
    await send(b, aKey, 'r0');
    await until(() => crashing.dead || (shownAtA.includes('r0') && b.engine.outboxSize === 0), 10_000, 'crash or r0 delivered');
  }
  expect(crashing.dead, `${side}: the ${k}-th write came`).toBe(true);
  await new Promise((res) => setTimeout(res, 50));
  // the "process" is gone: restart it on what reached the disk
  await stop(v1);
  await (crashing.inner as FileStore).close();
  const v2 = await client(r, { identity: victim.identity, dir: dir(victim), name: side, now });
  if (side === 'receiver') track((b = v2), shownAtB);
  else track((a = v2), shownAtA);
  const a2 = a;
  // what was not acknowledged is resent (RESEND_INTERVAL_MS later), by both
  clock += RESEND_INTERVAL_MS + 1;
  await a.engine.maintain();
  await b.engine.maintain();
  if (sentTexts.includes('m1')) await until(() => shownAtB.includes('m1'), 10_000, 'm1 shown');
  if (sentTexts.includes('r0')) await until(() => shownAtA.includes('r0'), 10_000, 'r0 shown');
  // the conversation goes on with the same session both ways
  // A chain's first message lost with the crash (a receipt: never resent) makes the next ones
  // KEM_MISSING at the receiver, which nudges the sender to re-arm its chain: they open on their
  // resend, RESEND_INTERVAL_MS later (the clock is moved on when a message has not come by then).
  const say = async (from: TestPeer, to: TestPeer, key: string, t: string) => {
    const shown = waitFor(to.engine, 'message', (m) => m.type === MessageType.text && m.body.text === t, 20_000);
    await from.engine.sendText(key, t);
    let arrived = false;
    void shown.then(() => (arrived = true), () => undefined);
    for (let round = 0; round < 3 && !arrived; round++) {
      await new Promise((res) => setTimeout(res, 1_500));
      if (arrived) break;
      clock += RESEND_INTERVAL_MS + 1;
      await from.engine.maintain();
    }
    await shown;
  };
  await say(a2, b, bKey, 'm2');
  await say(b, a2, aKey, 'r1');
  await say(a2, b, bKey, 'm3');
  expect(shownAtB, `${side} crash at batch ${k}`).toEqual([...sentTexts.filter((t) => t === 'm1'), 'm2', 'm3']);
  expect(shownAtA, `${side} crash at batch ${k}`).toEqual([...sentTexts.filter((t) => t === 'r0'), 'r1']);
  expect([...badDrops(a2), ...badDrops(b), ...badDrops(a0), ...badDrops(b0)], `${side} crash at batch ${k}`).toEqual([]);
  // KEM_MISSING (a refusal with no state change) is allowed: it is how a lost chain start shows
  expect(a2.engine.protection(bKey).version).toBe(2);
  await stop(a2);
  await stop(b);
}

describe('a crash at any store write', () => {
  for (const side of ['receiver', 'sender'] as const) {
    it(`of the ${side}: nothing lost, shown once, no key used twice (the k-th write fails, k = 1..5)`, async () => {
      for (let k = 1; k <= 5; k++) await scenario(side, k);
    }, 120_000);
  }
});
