/**
 * wschat shows what protects each conversation: two people who meet through an invite get a v2
 * session (forward secrecy, post-quantum after the first round trip), seen in `contact list`,
 * `contact list --json` (`protection`) and the bridge's `contacts` result; and when one side
 * lost its session state, the reset that follows is announced (a NOTICE line in `listen`, a
 * `session-reset` event in `listen --json`).
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningRelay } from '@parley/relay';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventSchema } from '../src/bridge/schema.ts';
import { World, befriend, json, pair } from './_harness.ts';

const w = new World();
afterAll(() => w.cleanup());
afterEach(() => w.stopAll());

interface Listed {
  name: string;
  protection: { version: number; forwardSecrecy: boolean; postQuantum: boolean; label: string };
}

describe('wschat and v2 sessions', () => {
  let relay: RunningRelay;
  let a: string;
  let b: string;

  beforeAll(async () => {
    relay = await w.relay();
    ({ a, b } = await pair(w, relay));
    await befriend(w, a, b);
  });

  it('contact list (text and --json) and the bridge show the protection of each conversation', async () => {
    const listed = json(await w.ok(['contact', 'list', '--home', a, '--json'])).contacts as Listed[];
    expect(listed).toEqual([expect.objectContaining({ name: 'bob', protection: expect.objectContaining({ version: 2, forwardSecrecy: true }) })]);
    // messages both ways (each run connects, sends, and takes what waited for it)
    await w.ok(['send', 'bob', 'hi bob', '--home', a]);
    await w.ok(['send', 'alice', 'hi alice', '--home', b]);
    await w.ok(['send', 'bob', 'and again', '--home', a]);
    const text = (await w.ok(['contact', 'list', '--home', b])).stdout;
    expect(text).toMatch(/alice .*accepted .*(forward secrecy · post-quantum|forward secrecy)$/m);
    const bridge = w.start(['bridge', '--home', a]);
    bridge.send(JSON.stringify({ type: 'contacts', ref: 'c1' }));
    const result = await bridge.until(() => bridge.events.find((e) => e.type === 'result' && e.ref === 'c1'), 'contacts result');
    expect(EventSchema.safeParse(result).success).toBe(true);
    const contacts = (result.data as { contacts: Listed[] }).contacts;
    expect(contacts[0]!.protection).toMatchObject({ version: 2, forwardSecrecy: true });
    bridge.child.stdin!.end();
    await bridge.exited;
  });

  it('a session reset after one side lost its state prints a notice on both sides', async () => {
    // alice's session records are gone (a restored backup without them): her next start asks for a reset
    const state = join(a, 'state');
    for (const f of await readdir(state)) if (/^(sv|sm)%2F/.test(f)) await rm(join(state, f));
    const bob = w.start(['listen', '--home', b]);
    await bob.until(() => bob.stderr.includes('listening'), 'bob listening');
    const alice = w.start(['listen', '--home', a, '--json']);
    const reset = await alice.until(() => alice.events.find((e) => e.type === 'session-reset'), 'session-reset at alice');
    expect(EventSchema.safeParse(reset).success).toBe(true);
    expect(reset).toMatchObject({ by: 'us', contact: { name: 'bob' }, protection: { version: 2, forwardSecrecy: true } });
    const notice = await bob.until(() => bob.lines.find((l) => l.startsWith('NOTICE: the secure session with alice')), 'notice at bob');
    expect(notice).toMatch(/their device lost or restored its state/);
    await alice.stop();
    await bob.stop();
    const listed = json(await w.ok(['contact', 'list', '--home', a, '--json'])).contacts as Listed[];
    expect(listed[0]!.protection.version).toBe(2);
  });
});
