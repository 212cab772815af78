/**
 * Two identities bootstrapped from the relay's /.well-known/parley.json exchange an invite,
 * chat both ways (send + listen --json), B, offline, gets A's messages when it comes back, and a
 * 5 MiB file arrives intact (chunked, digest checked by the receiving engine) with progress.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_CHUNK_SIZE } from '@parley/generated';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { relayFingerprint } from '../../relay/src/index.ts';
import { World, json, pair } from './_harness.ts';

const w = new World();
afterAll(() => w.cleanup());
// a failed test must not leave a process holding a home's lock for the next one
afterEach(() => w.stopAll());

describe('wschat between two people', () => {
  let relayUrl: string;
  let fingerprint: string;
  let a: string;
  let b: string;

  beforeAll(async () => {
    const relay = await w.relay();
    relayUrl = relay.url;
    fingerprint = relayFingerprint(relay.publicKeys.x, relay.publicKeys.ed);
    ({ a, b } = await pair(w, relay));
  });

  it('init pins the relay from /.well-known with files 0600, and whoami shows id, invite and QR', async () => {
    for (const f of ['identity.json', 'config.json']) expect((await stat(join(a, f))).mode & 0o777).toBe(0o600);
    expect((await stat(a)).mode & 0o777).toBe(0o700);
    const config = JSON.parse(await readFile(join(a, 'config.json'), 'utf8'));
    expect(config.relay).toMatchObject({ url: relayUrl, fingerprint });
    const again = await w.run(['init', '--home', a, '--relay', relayUrl]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds an identity/);

    const who = await w.ok(['whoami', '--home', a]);
    expect(who.stdout).toMatch(/^id: +[0-9a-f]{16} \(alice\)$/m);
    expect(who.stdout).toContain(`fingerprint ${fingerprint}`);
    expect(who.stdout).toMatch(/invite: http:\/\/127\.0\.0\.1:\d+\/#invite=[A-Za-z0-9_-]+/);
    expect(who.stdout).toMatch(/[█▀▄]{20,}/); // the QR code
    const identity = JSON.parse(await readFile(join(a, 'identity.json'), 'utf8'));
    expect(who.stdout).not.toContain(identity.seed);
    expect(who.stdout).not.toContain(identity.x25519);
  });

  it('exchange invites: A adds B, B sees and accepts the request (never on its own)', async () => {
    const link = json(await w.ok(['whoami', '--home', b, '--json'])).link as string;
    const added = await w.ok(['contact', 'add', link, '--home', a, '--json']);
    expect(json(added).contact).toMatchObject({ name: 'bob', state: 'requested', verified: false });

    const requests = json(await w.ok(['requests', '--home', b, '--json'])).requests as { name: string; id: string }[];
    expect(requests.map((r) => r.name)).toEqual(['alice']);
    // still pending: nothing accepted it
    const listed = json(await w.ok(['contact', 'list', '--home', b, '--json'])).contacts as { state: string }[];
    expect(listed.map((c) => c.state)).toEqual(['pending']);

    const accepted = await w.ok(['requests', 'accept', requests[0]!.id.slice(0, 6), '--home', b]);
    expect(accepted.stdout).toMatch(/alice \([0-9a-f]{16}\) is now a contact/);
  });

  it('chat both ways with send and listen --json, with delivery', async () => {
    const listenB = w.start(['listen', '--home', b, '--json']);
    const sent = await w.ok(['send', 'bob', 'hello', 'bob', '--home', a, '--wait', 'delivered', '--json']);
    expect(json(sent)).toMatchObject({ to: { name: 'bob' }, status: 'delivered' });
    const msg = await listenB.event('message', (e) => e.text === 'hello bob');
    expect(msg).toMatchObject({ id: json(sent).id, from: { name: 'alice' } });
    expect(await listenB.stop()).toBe(0);

    const listenA = w.start(['listen', '--home', a, '--json']);
    await w.ok(['send', 'alice', '-', '--home', b], { input: 'hi alice\nfrom stdin\n' });
    const back = await listenA.event('message', () => true);
    expect(back).toMatchObject({ text: 'hi alice\nfrom stdin', from: { name: 'bob' } });
    expect(await listenA.stop()).toBe(0);
  });

  it('B offline receives what A sent meanwhile, in order, when it comes back', async () => {
    const texts = ['while away 1', 'while away 2'];
    for (const t of texts) await w.ok(['send', 'bob', t, '--home', a]);
    const r = await w.ok(['listen', '--home', b, '--json', '--count', '2']);
    const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'message').map((e) => e.text);
    expect(got).toEqual(texts);
  });

  it('chat: lines go both ways, with ✓ when delivered and ✓✓ when read', async () => {
    const chatA = w.start(['chat', 'bob', '--home', a]);
    const chatB = w.start(['chat', 'alice', '--home', b]);
    await chatA.until(() => chatA.lines.some((l) => l.startsWith('— chatting with bob')), "A's chat to open");
    await chatB.until(() => chatB.lines.some((l) => l.startsWith('— chatting with alice')), "B's chat to open");
    chatA.send('are you there?');
    // B's chat shows it and marks it read: A sees ✓ then ✓✓
    await chatB.until(() => chatB.lines.includes('alice: are you there?'), "alice's line in B's chat");
    await chatA.until(() => chatA.lines.includes('  ✓ are you there?'), 'the delivery mark');
    await chatA.until(() => chatA.lines.includes('  ✓✓ are you there?'), 'the read mark');
    chatB.send('yes!');
    await chatA.until(() => chatA.lines.includes('bob: yes!'), "bob's answer");
    chatB.send('/quit');
    expect(await chatB.exited).toBe(0);
    expect(await chatA.end()).toBe(0);
  });

  it('contact verify shows the same safety number on both sides and marks verified', async () => {
    const no = await w.ok(['contact', 'verify', 'bob', '--home', a], { input: 'n\n' });
    expect(no.stdout).toContain('Not marked verified.');
    const sb = json(await w.ok(['contact', 'verify', 'alice', '--home', b, '--json']));
    expect(sb).toMatchObject({ name: 'alice', verified: false, safetyNumber: expect.stringMatching(/^[0-9 ]+$/) });
    const sa = json(await w.ok(['contact', 'verify', 'bob', '--home', a, '--yes', '--json']));
    expect(sa).toMatchObject({ name: 'bob', verified: true, safetyNumber: sb.safetyNumber });
  });

  it('a 5 MiB file arrives intact with progress events on both sides', async () => {
    const content = randomBytes(5 * 1024 * 1024);
    const path = join(await w.root(), 'report.bin');
    await writeFile(path, content);
    const listen = w.start(['listen', '--home', b, '--json']);
    const sent = await w.ok(['file', 'send', 'bob', path, '--home', a, '--json', '--timeout', '60']);
    const lines = sent.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const result = lines.at(-1)!;
    expect(result).toMatchObject({ type: 'result', name: 'report.bin', size: content.length, status: 'delivered' });
    const outProgress = lines.filter((l) => l.type === 'file-progress');
    expect(outProgress.length).toBeGreaterThan(1);
    expect(outProgress.at(-1)).toMatchObject({ chunks: Math.ceil(content.length / FILE_CHUNK_SIZE), bytes: content.length });

    const file = await listen.event('file', (e) => e.name === 'report.bin', 60_000);
    expect(file).toMatchObject({ from: { name: 'alice' }, size: content.length, fileId: result.fileId, path: join(b, 'downloads', 'report.bin') });
    expect((await stat(file.path as string)).mode & 0o777).toBe(0o600);
    expect(Buffer.compare(await readFile(file.path as string), content)).toBe(0);
    const progress = listen.events.filter((e) => e.type === 'file-progress' && e.direction === 'in');
    expect(progress.length).toBeGreaterThan(10);
    const bytes = progress.map((e) => e.bytes as number);
    expect(bytes).toEqual([...bytes].sort((x, y) => x - y));
    expect(progress.at(-1)).toMatchObject({ bytes: content.length, size: content.length });
    expect(await listen.stop()).toBe(0);
  });
});
