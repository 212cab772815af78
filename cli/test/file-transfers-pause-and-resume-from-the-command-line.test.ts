/**
 * `wschat file pause` and `file resume` (issue 19): a transfer left by an earlier `file send`
 * that is paused sends no new chunk when a later command connects, even across restarts; once
 * resumed, the next command that connects completes it, and the receiver saves the whole file.
 * A transfer that is not ours cannot be paused. Real relay, real wschat processes.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FILE_CHUNK_SIZE } from '@parley/generated';
import { World, befriend, json, pair, type LongRun } from './_harness.ts';

/** More chunks than one window (85): the rest waits for acknowledgements. */
const CHUNKS = 200;
const STEP_MS = 120_000;

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

const held = (l: LongRun): number => Math.max(0, ...l.events.filter((e) => e.type === 'file-progress' && e.direction === 'in').map((e) => e.chunks as number));

describe('wschat file pause and resume', () => {
  it('a paused transfer sends nothing more when alice connects again; resumed, it completes', async () => {
    const w = (world = new World());
    const relay = await w.relay();
    const { a, b } = await pair(w, relay);
    const bob = await befriend(w, a, b);
    const bytes = randomBytes(CHUNKS * FILE_CHUNK_SIZE - 321);
    const file = join(await w.root(), 'video.bin');
    await writeFile(file, bytes);
    // bob is away: one window of chunks goes to his mailbox, then no progress and the command gives up
    const sent = await w.run(['file', 'send', bob.id, file, '--json', '--timeout', '3', '--home', a]);
    expect(sent.code).toBe(9);
    const fileId = sent.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.type === 'file-progress')?.fileId as string;
    expect(fileId).toMatch(/^[0-9a-f]{32}$/);

    const paused = json(await w.ok(['file', 'pause', bob.id, fileId, '--json', '--home', a]));
    expect(paused.paused).toMatchObject({ fileId });

    // bob takes what is in his mailbox; alice connects: nothing more is sent
    const listen = w.start(['listen', '--json', '--home', b]);
    const alice = w.start(['listen', '--json', '--home', a]);
    await listen.until(() => held(listen) > 0, 'bob holding the chunks of the first window', STEP_MS);
    let last = -1;
    for (let i = 0; i < 10 && held(listen) !== last; i++) {
      last = held(listen);
      await new Promise((res) => setTimeout(res, 3_000));
    }
    expect(held(listen)).toBeLessThan(CHUNKS);
    expect(listen.events.some((e) => e.type === 'file')).toBe(false);
    await alice.stop();

    const resumed = json(await w.ok(['file', 'resume', bob.id, fileId, '--json', '--home', a]));
    expect(resumed.resumed).toMatchObject({ fileId });
    w.start(['listen', '--json', '--home', a]);
    const got = await listen.event('file', (x) => x.size === bytes.length && typeof x.path === 'string', STEP_MS);
    expect((await readFile(got.path as string)).equals(bytes)).toBe(true);
  }, 300_000);

  it('refuses a file id that is no transfer of ours', async () => {
    const w = (world = new World());
    const relay = await w.relay();
    const { a, b } = await pair(w, relay);
    const bob = await befriend(w, a, b);
    const r = await w.run(['file', 'pause', bob.id, '00112233445566778899aabbccddeeff', '--home', a]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no outgoing transfer/);
  }, 120_000);
});
