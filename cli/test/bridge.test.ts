/**
 * `wschat bridge` between two agents: messages round-trip with receipts, malformed lines get
 * error events and the bridge keeps running, unacknowledged messages come back as backlog,
 * files go with progress (all of them, even when stdin ends at once), receipts name only ids
 * the agent was given, and nothing it writes contains a key or a seed.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_CHUNK_SIZE } from '@parley/generated';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningRelay } from '@parley/relay';
import { CLI_CASE_TIMEOUT_MS, World, json, pair, type LongRun } from './_harness.ts';

vi.setConfig({ testTimeout: CLI_CASE_TIMEOUT_MS });

const w = new World();
afterAll(() => w.cleanup());
afterEach(() => w.stopAll());

async function secretsOf(home: string): Promise<string[]> {
  const id = JSON.parse(await readFile(join(home, 'identity.json'), 'utf8'));
  return [id.seed, id.x25519, id.ed25519];
}

function expectNoSecrets(p: LongRun, secrets: string[]): void {
  const all = p.lines.join('\n') + p.stderr;
  for (const s of secrets) expect(all).not.toContain(s);
}

describe('wschat bridge', () => {
  let a: string;
  let b: string;
  let relay: RunningRelay;
  beforeAll(async () => {
    relay = await w.relay();
    ({ a, b } = await pair(w, relay));
  });

  it('invite, add, accept, then messages round-trip with receipts', async () => {
    const ba = w.start(['bridge', '--home', a]);
    const bb = w.start(['bridge', '--home', b]);
    const readyA = await ba.event('ready');
    expect(readyA).toMatchObject({ name: 'alice', id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    await bb.event('ready');

    bb.send(JSON.stringify({ type: 'invite', ref: 'inv' }));
    const link = ((await bb.event('result', (e) => e.ref === 'inv')).data as { link: string }).link;
    ba.send(JSON.stringify({ type: 'add', invite: link, ref: 'add' }));
    expect((await ba.event('result', (e) => e.ref === 'add')).data).toMatchObject({ contact: { name: 'bob', state: 'requested' } });
    const request = await bb.event('contact-request');
    expect(request).toMatchObject({ contact: { name: 'alice' }, keyChange: false });
    bb.send(JSON.stringify({ type: 'accept', contact: (request.contact as { id: string }).id, ref: 'acc' }));
    await bb.event('result', (e) => e.ref === 'acc');
    await ba.event('contact-accepted');

    ba.send(JSON.stringify({ type: 'send', to: 'bob', text: 'ping from agent A', ref: 's1' }));
    const id = ((await ba.event('result', (e) => e.ref === 's1')).data as { id: string }).id;
    const msg = await bb.event('message', (e) => e.id === id);
    expect(msg).toMatchObject({ text: 'ping from agent A', from: { name: 'alice' } });
    bb.send(JSON.stringify({ type: 'read', ids: [id], ref: 'r1' }));
    await bb.event('result', (e) => e.ref === 'r1');
    await ba.event('receipt', (e) => e.status === 'delivered' && (e.ids as string[]).includes(id));
    await ba.event('receipt', (e) => e.status === 'read' && (e.ids as string[]).includes(id));

    bb.send(JSON.stringify({ type: 'send', to: 'alice', text: 'pong', ref: 's2' }));
    await ba.event('message', (e) => e.text === 'pong');

    ba.send(JSON.stringify({ type: 'contacts', ref: 'c' }));
    // after a round trip the v2 session is post-quantum in both directions
    const protection = { version: 2, forwardSecrecy: true, postQuantum: true, label: 'forward secrecy · post-quantum' };
    expect((await ba.event('result', (e) => e.ref === 'c')).data).toEqual({ contacts: [{ id: expect.any(String), name: 'bob', state: 'accepted', verified: false, protection }] });

    expectNoSecrets(ba, [...(await secretsOf(a)), ...(await secretsOf(b))]);
    expectNoSecrets(bb, [...(await secretsOf(a)), ...(await secretsOf(b))]);
    expect(await ba.end()).toBe(0);
    expect(await bb.end()).toBe(0);
  });

  it('rejects malformed lines with error events and keeps running', async () => {
    const p = w.start(['bridge', '--home', a]);
    await p.event('ready');
    p.send('this is not json');
    p.send(JSON.stringify({ type: 'launch', ref: 'x1' }));
    p.send(JSON.stringify({ type: 'send', to: 'bob', ref: 'x2' }));
    p.send(JSON.stringify({ type: 'send', to: 'bob', text: 'a', extra: 1, ref: 'x3' }));
    p.send(JSON.stringify({ type: 'send', to: 'nobody', text: 'a', ref: 'x4' }));
    p.send(JSON.stringify({ type: 'ack', ids: ['00'.repeat(16)], ref: 'x5' }));
    p.send(JSON.stringify({ type: 'file', to: 'bob', path: '/no/such/file', ref: 'x6' }));
    p.send('x'.repeat(300 * 1024));
    p.send(JSON.stringify({ type: 'contacts', ref: 'alive' }));
    await p.event('result', (e) => e.ref === 'alive');
    const errors = p.events.filter((e) => e.type === 'error');
    expect(errors.map((e) => [e.ref, e.code])).toEqual([
      [undefined, 'BAD_JSON'],
      ['x1', 'BAD_COMMAND'],
      ['x2', 'BAD_COMMAND'],
      ['x3', 'BAD_COMMAND'],
      ['x4', 'UNKNOWN_CONTACT'],
      ['x5', 'UNKNOWN_ID'],
      ['x6', 'FILE_ERROR'],
      [undefined, 'LINE_TOO_LONG'],
    ]);
    expect(p.child.exitCode).toBeNull();
    expect(await p.end()).toBe(0);
  });

  it('sends unacknowledged messages again as backlog, and not once acknowledged', async () => {
    await w.ok(['send', 'alice', 'remember me', '--home', b]);
    const first = w.start(['bridge', '--home', a]);
    const m = await first.event('message', (e) => e.text === 'remember me');
    expect(await first.end()).toBe(0);

    const second = w.start(['bridge', '--home', a]);
    const again = await second.event('message', (e) => e.id === m.id);
    expect(again.backlog).toBe(true);
    // everything not acknowledged comes again ("pong" from the first test too); acknowledge it all
    const ids = second.events.filter((e) => e.type === 'message').map((e) => e.id);
    expect(second.events.filter((e) => e.type === 'message').every((e) => e.backlog === true)).toBe(true);
    second.send(JSON.stringify({ type: 'ack', ids, ref: 'ack' }));
    expect((await second.event('result', (e) => e.ref === 'ack')).data).toEqual({ count: ids.length });
    expect(await second.end()).toBe(0);

    const third = w.start(['bridge', '--home', a]);
    third.send(JSON.stringify({ type: 'contacts', ref: 'done' }));
    await third.event('result', (e) => e.ref === 'done');
    expect(third.events.filter((e) => e.type === 'message')).toEqual([]);
    expect(await third.end()).toBe(0);
  });

  it('a file piped in, then end of input: every chunk reaches the relay before the bridge exits', async () => {
    // ~43 chunks; bob is not running, so the relay must hold all of them when alice's bridge is gone
    const content = randomBytes(2 * 1024 * 1024 + 1234);
    const path = join(await w.root(), 'piped.bin');
    await writeFile(path, content);
    const r = await w.run(['bridge', '--home', a], { input: JSON.stringify({ type: 'file', to: 'bob', path, ref: 'f' }) + '\n' });
    expect(r.code).toBe(0);
    const result = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.type === 'result' && e.ref === 'f');
    const { fileId } = result!.data as { fileId: string };

    const listen = w.start(['listen', '--home', b, '--json']);
    const file = await listen.event('file', (e) => e.fileId === fileId, 30_000);
    expect(Buffer.compare(await readFile(file.path as string), content)).toBe(0);
    expect(await listen.stop()).toBe(0);
  });

  it('a file between two bridges: presence, file-progress both ways, and receipts only for ids given out', async () => {
    const ba = w.start(['bridge', '--home', a]);
    await ba.event('ready');
    const bb = w.start(['bridge', '--home', b]);
    await bb.event('ready');
    await ba.event('presence', (e) => (e.from as { name: string }).name === 'bob' && e.state === 'online');

    const content = randomBytes(7 * FILE_CHUNK_SIZE + 10);
    const chunks = 8;
    const path = join(await w.root(), 'between.bin');
    await writeFile(path, content);
    ba.send(JSON.stringify({ type: 'send', to: 'bob', text: 'a file follows', ref: 't' }));
    ba.send(JSON.stringify({ type: 'file', to: 'bob', path, name: 'between.bin', mime: 'application/octet-stream', ref: 'f' }));
    const { id, fileId } = (await ba.event('result', (e) => e.ref === 'f')).data as { id: string; fileId: string };

    const file = await bb.event('file', (e) => e.fileId === fileId);
    expect(file).toMatchObject({ id, name: 'between.bin', mime: 'application/octet-stream', size: content.length, from: { name: 'alice' } });
    expect(Buffer.compare(await readFile(file.path as string), content)).toBe(0);
    const inProgress = bb.events.filter((e) => e.type === 'file-progress' && e.fileId === fileId);
    expect(inProgress.at(-1)).toMatchObject({ direction: 'in', contact: { name: 'alice' }, chunks, totalChunks: chunks, bytes: content.length, size: content.length });

    // alice: progress until bob confirmed every chunk, and the offer delivered
    await ba.event('file-progress', (e) => e.fileId === fileId && e.direction === 'out' && e.chunks === chunks && e.sent === chunks);
    await ba.event('receipt', (e) => e.status === 'delivered' && (e.ids as string[]).includes(id));
    ba.send(JSON.stringify({ type: 'history', contact: 'bob', ref: 'h' }));
    const items = ((await ba.event('result', (e) => e.ref === 'h')).data as { items: { id: string }[] }).items;
    const given = new Set(items.map((i) => i.id));
    const named = ba.events.filter((e) => e.type === 'receipt').flatMap((e) => e.ids as string[]);
    expect(named.length).toBeGreaterThanOrEqual(3); // the text's and the offer's sent, the offer's delivered at least
    // the engine also confirms the chunks; their ids were never given out and must not show
    expect(named.filter((n) => !given.has(n))).toEqual([]);

    bb.send(JSON.stringify({ type: 'ack', ids: [file.id], ref: 'ack' }));
    await bb.event('result', (e) => e.ref === 'ack');
    expect(await bb.end()).toBe(0);
    await ba.event('presence', (e) => (e.from as { name: string }).name === 'bob' && e.state === 'offline');
    expect(await ba.end()).toBe(0);
  });

  // last: it closes the relay
  it('end of input with the relay gone: an error event says what stays queued, exit 9 (timeout)', async () => {
    const p = w.start(['bridge', '--home', a, '--timeout', '2']);
    await p.event('ready');
    await relay.close();
    await p.event('state', (e) => e.state === 'offline');
    p.send(JSON.stringify({ type: 'send', to: 'bob', text: 'nobody carries this now', ref: 's' }));
    await p.event('result', (e) => e.ref === 's');
    expect(await p.end()).toBe(9);
    expect(p.events.at(-1)).toMatchObject({ type: 'error', code: 'TIMEOUT', message: expect.stringMatching(/1 message\(s\) and 0 file transfer\(s\) had not reached the relay/) });
  });
});

describe('wschat bridge started after things happened while it was away', () => {
  it('reports the acceptance and the receipts the relay held, not only the messages', async () => {
    const relay = await w.relay();
    const home = await w.home('carol');
    const dave = await w.home('dave');
    await Promise.all([
      w.ok(['init', '--home', home, '--name', 'carol', '--relay', relay.httpUrl]),
      w.ok(['init', '--home', dave, '--name', 'dave', '--relay', relay.httpUrl]),
    ]);
    // carol asks, then dave accepts while carol runs nothing: the acceptance waits at the relay
    const link = json(await w.ok(['whoami', '--home', dave, '--json'])).link as string;
    await w.ok(['contact', 'add', link, '--home', home]);
    await w.ok(['requests', 'accept', 'carol', '--home', dave]);
    // carol's bridge gets the acceptance during its first sync, before it reads any line
    const first = w.start(['bridge', '--home', home]);
    await first.event('contact-accepted', (e) => (e.contact as { name: string }).name === 'dave');
    first.send(JSON.stringify({ type: 'send', to: 'dave', text: 'read me later', ref: 's' }));
    const id = ((await first.event('result', (e) => e.ref === 's')).data as { id: string }).id;
    await first.event('receipt', (e) => e.status === 'sent' && (e.ids as string[]).includes(id));
    expect(await first.end()).toBe(0);
    // dave reads it while carol is away; the delivered and read receipts wait at the relay
    const reader = w.start(['bridge', '--home', dave]);
    await reader.event('message', (e) => e.id === id);
    reader.send(JSON.stringify({ type: 'read', ids: [id], ref: 'r' }));
    await reader.event('result', (e) => e.ref === 'r');
    expect(await reader.end()).toBe(0);
    const second = w.start(['bridge', '--home', home]);
    await second.event('receipt', (e) => e.status === 'read' && (e.ids as string[]).includes(id));
    expect(second.events.some((e) => e.type === 'receipt' && e.status === 'delivered' && (e.ids as string[]).includes(id))).toBe(true);
    expect(await second.end()).toBe(0);
  });
});
