/**
 * Issue 15, part 1: the global mailbox cap must count what queued frames really cost. A relay
 * in its own process is filled to MAILBOX_GLOBAL_MAX_BYTES with minimum-size frames to random
 * ids (the worst case: one frame per mailbox) over real sockets; its resident memory per
 * queued frame must be within 1.5x (either way) of the bytes charged per frame (length + entry
 * overhead).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_FRAME_SIZE } from '@parley/generated';
import { DEFAULT_LIMITS } from '../src/limits.ts';
import { ToyClient } from './helpers/toy-crypto.ts';
import { sleep } from './helpers/relay.ts';
import { randomBytes } from '../src/runtime.ts';

const CHILD = fileURLToPath(new URL('./fixtures/toy-relay-child.ts', import.meta.url));
const GLOBAL = 24 * 1024 * 1024;

let child: ChildProcess | undefined;
const clients: ToyClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  child?.kill('SIGKILL');
  child = undefined;
});

async function scrape(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line === undefined ? Number.NaN : Number(line.split(' ').pop());
}

describe('mailbox memory', () => {
  it('RSS per queued frame at the global cap is within 1.5x of the charged bytes', { timeout: 120_000 }, async () => {
    const big = 1_000_000_000;
    const limits = {
      mailboxGlobalMaxBytes: GLOBAL,
      mailboxIdentityMaxBytes: GLOBAL,
      mailboxSourceMaxBytes: GLOBAL,
      frameRate: big,
      frameBurst: big,
      maxConnectionsPerAddress: 1000,
    };
    child = fork(CHILD, [JSON.stringify(limits)], { execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ask = <T>(msg?: string) =>
      new Promise<T>((ok) => {
        child!.once('message', (m) => ok(m as T));
        if (msg !== undefined) child!.send(msg);
      });
    const { url, metricsUrl } = await ask<{ url: string; metricsUrl: string }>();
    for (let i = 0; i < 8; i++) clients.push(await new ToyClient().connect(url, { localAddress: `127.0.5.${i + 1}` }));
    await sleep(200);
    const before = (await ask<{ rss: number }>('rss')).rss;
    const deadline = Date.now() + 90_000;
    while ((await scrape(metricsUrl, 'parley_relay_drops_total{reason="mailbox_global"}')) === 0) {
      if (Date.now() > deadline) throw new Error('the mailboxes never reached the global cap');
      for (const c of clients) for (let i = 0; i < 500; i++) c.sendPeer(randomBytes(8), '');
      await sleep(50);
    }
    const frames = await scrape(metricsUrl, 'parley_relay_mailbox_frames');
    const charged = await scrape(metricsUrl, 'parley_relay_mailbox_bytes');
    const after = (await ask<{ rss: number }>('rss')).rss;
    const perFrame = (after - before) / frames;
    const chargePerFrame = MIN_FRAME_SIZE + DEFAULT_LIMITS.mailboxEntryOverhead;
    console.log(`mailbox memory: ${frames} frames, ${(charged / 2 ** 20).toFixed(1)} MiB charged, RSS +${((after - before) / 2 ** 20).toFixed(1)} MiB: ${perFrame.toFixed(0)} B per frame vs ${chargePerFrame} B charged (${(perFrame / chargePerFrame).toFixed(2)}x)`);
    expect(charged).toBeLessThanOrEqual(GLOBAL);
    expect(charged).toBeGreaterThan(GLOBAL - chargePerFrame * 2);
    // Within 1.5x either way: the cap neither under-counts memory nor charges far more than it costs.
    expect(perFrame / chargePerFrame).toBeLessThanOrEqual(1.5);
    expect(perFrame / chargePerFrame).toBeGreaterThanOrEqual(1 / 1.5);
  });
});
