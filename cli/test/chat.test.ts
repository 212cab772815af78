/**
 * Two identities bootstrapped from the relay's /.well-known/parley.json exchange an invite,
 * chat both ways (send + listen --json), B, offline, gets A's messages when it comes back, and a
 * 5 MiB file arrives intact (chunked, digest checked by the receiving engine) with progress,
 * while one whose digest does not match is refused. Also the contact chores: init from an
 * invite, an invite on stdin, reject, remove, verify.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONTACT_REQUEST_TTL_MS, FILE_ACK_GROUP_CHUNKS, FILE_CHUNK_SIZE, FILE_ID_SIZE, HASH_SIZE, MessageType, WELL_KNOWN_PATH } from '@parley/generated';
import { pickBackend } from '@parley/runtime/crypto';
import { Engine, MemoryStore } from '@parley/runtime/engine';
import { NodeWsTransport } from '@parley/runtime/node';
import { generateIdentity } from '@parley/runtime/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { relayFingerprint, type RunningRelay } from '@parley/relay';
import { EventSchema } from '../src/bridge/schema.ts';
import { CLI_CASE_TIMEOUT_MS, World, json, pair } from './_harness.ts';

vi.setConfig({ testTimeout: CLI_CASE_TIMEOUT_MS });

const w = new World();
afterAll(() => w.cleanup());
// a failed test must not leave a process holding a home's lock for the next one
afterEach(() => w.stopAll());

describe('wschat between two people', () => {
  let relay: RunningRelay;
  let relayUrl: string;
  let fingerprint: string;
  let a: string;
  let b: string;

  beforeAll(async () => {
    relay = await w.relay();
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

  it('chat: /file then /quit at once still sends every chunk; a missing file is one clear line', async () => {
    const content = randomBytes(2 * 1024 * 1024 + 77);
    const path = join(await w.root(), 'from-chat.bin');
    await writeFile(path, content);
    const chatA = w.start(['chat', 'bob', '--home', a]);
    await chatA.until(() => chatA.lines.some((l) => l.startsWith('— chatting with bob')), "A's chat to open");
    chatA.send(`/file ${join(await w.root(), 'missing.bin')}`);
    await chatA.until(() => chatA.lines.some((l) => /^wschat: no such file: .*missing\.bin$/.test(l)), 'the missing-file line');
    chatA.send(`/file ${path}`);
    chatA.send('/quit');
    expect(await chatA.exited).toBe(0);
    // bob was not running: the relay holds every chunk, or the file never completes
    const listen = w.start(['listen', '--home', b, '--json']);
    const file = await listen.event('file', (e) => e.name === 'from-chat.bin', 30_000);
    expect(Buffer.compare(await readFile(file.path as string), content)).toBe(0);
    expect(await listen.stop()).toBe(0);
  });

  it('contact verify shows the same safety number on both sides and marks verified', async () => {
    const no = await w.ok(['contact', 'verify', 'bob', '--home', a], { input: 'n\n' });
    expect(no.stdout).toContain('Not marked verified.');
    const sb = json(await w.ok(['contact', 'verify', 'alice', '--home', b, '--json']));
    expect(sb).toMatchObject({ name: 'alice', verified: false, safetyNumber: expect.stringMatching(/^[0-9 ]+$/) });
    const sa = json(await w.ok(['contact', 'verify', 'bob', '--home', a, '--yes', '--json']));
    expect(sa).toMatchObject({ name: 'bob', verified: true, safetyNumber: sb.safetyNumber });
    // answered at the prompt
    const yes = await w.ok(['contact', 'verify', 'alice', '--home', b], { input: 'y\n' });
    expect(yes.stdout).toContain('[y/N]');
    expect(yes.stdout).toMatch(/alice \([0-9a-f]{16}\) is verified\./);
    expect(json(await w.ok(['contact', 'list', '--home', b, '--json'])).contacts).toEqual([expect.objectContaining({ name: 'alice', verified: true })]);
  });

  it('a 5 MiB file arrives intact with progress events on both sides', async () => {
    const content = randomBytes(5 * 1024 * 1024);
    const path = join(await w.root(), 'report.bin');
    await writeFile(path, content);
    const listen = w.start(['listen', '--home', b, '--json']);
    const sent = await w.ok(['file', 'send', 'bob', path, '--home', a, '--json', '--timeout', '60']);
    const lines = sent.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // the bridge's events: every line passes its schema
    for (const l of lines) expect(EventSchema.safeParse(l).success, JSON.stringify(l)).toBe(true);
    const result = lines.at(-1)!;
    expect(result).toMatchObject({ type: 'result', cmd: 'file', ok: true, data: { id: expect.stringMatching(/^[0-9a-f]{32}$/), fileId: expect.stringMatching(/^[0-9a-f]{32}$/), status: 'delivered' } });
    const { fileId } = result.data as { fileId: string };
    const outProgress = lines.filter((l) => l.type === 'file-progress');
    expect(outProgress.length).toBeGreaterThan(1);
    const chunks = Math.ceil(content.length / FILE_CHUNK_SIZE);
    expect(outProgress.every((l) => l.direction === 'out' && l.fileId === fileId && (l.contact as { name: string }).name === 'bob')).toBe(true);
    expect(outProgress.at(-1)).toMatchObject({ chunks, sent: chunks, totalChunks: chunks, bytes: content.length, size: content.length });

    const file = await listen.event('file', (e) => e.name === 'report.bin', 60_000);
    expect(file).toMatchObject({ from: { name: 'alice' }, size: content.length, fileId, path: join(b, 'downloads', 'report.bin') });
    expect((await stat(file.path as string)).mode & 0o777).toBe(0o600);
    expect(Buffer.compare(await readFile(file.path as string), content)).toBe(0);
    const progress = listen.events.filter((e) => e.type === 'file-progress' && e.direction === 'in');
    // one event per group made durable (FILE_ACK_GROUP_CHUNKS chunks, or fewer when
    // FILE_ACK_DELAY_MS passes first): a faster link gives fewer, never fewer than this
    expect(progress.length).toBeGreaterThanOrEqual(Math.ceil(chunks / FILE_ACK_GROUP_CHUNKS));
    const bytes = progress.map((e) => e.bytes as number);
    expect(bytes).toEqual([...bytes].sort((x, y) => x - y));
    expect(progress.at(-1)).toMatchObject({ bytes: content.length, size: content.length });
    expect(await listen.stop()).toBe(0);
  });

  it('a file whose digest does not match is refused (file-failed corrupt) and never saved', async () => {
    // the sender is an engine in this process that offers a file with a wrong digest: no wschat
    // would send one, the receiving wschat must still refuse it. The receiver is a home of its own:
    // bob's may still hold a file of an earlier test that no reader has handled (its backlog).
    const erin = await w.home('erin');
    await w.ok(['init', '--home', erin, '--name', 'erin', '--relay', relay.httpUrl]);
    const mallory = new Engine({
      identity: await generateIdentity(await pickBackend()),
      relay: { url: relay.url, x: relay.publicKeys.x, ed: relay.publicKeys.ed },
      store: new MemoryStore(),
      transport: new NodeWsTransport(),
      displayName: 'mallory',
    });
    const requested = new Promise<string>((resolve) => mallory.on('contact-request', (r) => resolve(r.contact.key)));
    await mallory.start();
    try {
      const invite = await mallory.createInvite({});
      await w.ok(['contact', 'add', invite.link, '--home', erin]);
      const key = await requested;
      // erin's bridge sees everything from `ready` on (what arrives while a command syncs at its
      // start is stored, but only messages and files come back as backlog)
      const bridge = w.start(['bridge', '--home', erin]);
      await bridge.event('ready');
      await mallory.acceptContact(key);
      const fileId = randomBytes(FILE_ID_SIZE);
      const content = randomBytes(2 * FILE_CHUNK_SIZE + 5);
      const chunkCount = Math.ceil(content.length / FILE_CHUNK_SIZE);
      await mallory.sendRaw(key, { type: MessageType.fileOffer, body: { fileId, name: 'evil.bin', mime: '', size: content.length, chunkSize: FILE_CHUNK_SIZE, chunkCount, digest: randomBytes(HASH_SIZE) } });
      for (let index = 0; index < chunkCount; index++) {
        await mallory.sendRaw(key, { type: MessageType.fileChunk, body: { fileId, index, data: content.subarray(index * FILE_CHUNK_SIZE, (index + 1) * FILE_CHUNK_SIZE) } });
      }
      const failed = await bridge.event('file-failed', (e) => e.fileId === fileId.toString('hex'));
      expect(failed).toMatchObject({ direction: 'in', reason: 'corrupt', contact: { name: 'mallory' } });
      // every chunk arrived (progress), yet no file event and nothing saved
      expect(bridge.events.filter((e) => e.type === 'file-progress' && e.fileId === fileId.toString('hex')).at(-1)).toMatchObject({ chunks: chunkCount, totalChunks: chunkCount });
      expect(bridge.events.filter((e) => e.type === 'file')).toEqual([]);
      expect(await bridge.end()).toBe(0);
      // the folder is made with the first file saved: erin's holds none, or none of mallory's
      const saved = await readdir(join(erin, 'downloads')).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
      expect(saved.filter((f) => f.startsWith('evil'))).toEqual([]);
    } finally {
      await mallory.stop();
    }
  });

  it('init --relay prints the fingerprint it pinned: the relay\'s', async () => {
    const r = await w.ok(['init', '--home', await w.home('gina'), '--name', 'gina', '--relay', relay.httpUrl]);
    expect(r.stdout).toContain(`Relay fingerprint: ${fingerprint}\n`);
    expect(r.stdout).toContain(`Pinned relay ${relayUrl} (from ${new URL(WELL_KNOWN_PATH, relay.httpUrl).href})`);
  });

  it('init --invite, contact add - (stdin), requests reject, contact remove', async () => {
    const started = Date.now();
    // homes of its own, so that nothing here depends on what an earlier test left
    const frank = await w.home('frank');
    const carol = await w.home('carol');
    const dave = await w.home('dave');
    await Promise.all([w.ok(['init', '--home', frank, '--name', 'frank', '--relay', relay.httpUrl]), w.ok(['init', '--home', carol, '--name', 'carol', '--relay', relay.httpUrl])]);
    const link1 = json(await w.ok(['whoami', '--home', frank, '--json'])).link as string;
    const link2 = json(await w.ok(['whoami', '--home', frank, '--json'])).link as string;
    const [init, added] = await Promise.all([
      // dave starts from frank's invite: the invite's relay is pinned, and frank gets a request
      w.ok(['init', '--home', dave, '--name', 'dave', '--invite', link1]),
      // carol reads frank's invite from stdin (not the command line)
      w.ok(['contact', 'add', '-', '--home', carol, '--json'], { input: `${link2}\n` }),
    ]);
    expect(init.stdout).toContain(`Pinned relay ${relayUrl} (from the invite)`);
    expect(init.stdout).toMatch(/Asked frank \([0-9a-f]{16}\) to be your contact/);
    expect(JSON.parse(await readFile(join(dave, 'config.json'), 'utf8')).relay).toMatchObject({ url: relayUrl, fingerprint });
    expect(json(added).contact).toMatchObject({ name: 'frank', state: 'requested' });

    const requests = json(await w.ok(['requests', '--home', frank, '--json'])).requests as { name: string }[];
    expect(requests.map((r) => r.name).sort()).toEqual(['carol', 'dave']);
    // frank's home and carol's are used at the same time: one process each
    const [rejected, removed] = await Promise.all([w.ok(['requests', 'reject', 'dave', '--home', frank]), w.ok(['contact', 'remove', 'frank', '--home', carol])]);
    expect(rejected.stdout).toMatch(/^Rejected dave \([0-9a-f]{16}\)\.$/m);
    expect(removed.stdout).toMatch(/^Removed frank \([0-9a-f]{16}\)\.$/m);
    const after = json(await w.ok(['requests', '--home', frank, '--json', '--offline'])).requests as { name: string }[];
    expect(after.map((r) => r.name)).toEqual(['carol']);
    // a rejected request is not a contact either
    const contacts = json(await w.ok(['contact', 'list', '--home', frank, '--json'])).contacts as { name: string; expiresAt?: number }[];
    expect(contacts.map((c) => c.name).sort()).toEqual(['carol']);
    // a request shows when it expires (ms), on both sides
    expect(contacts[0]).toMatchObject({ state: 'pending', expiresAt: expect.any(Number) });
    expect(json(added).contact).toMatchObject({ expiresAt: expect.any(Number) });
    for (const at of [contacts[0]!.expiresAt!, (json(added).contact as { expiresAt: number }).expiresAt]) {
      expect(at).toBeGreaterThan(started + CONTACT_REQUEST_TTL_MS - 1);
      expect(at).toBeLessThanOrEqual(Date.now() + CONTACT_REQUEST_TTL_MS);
    }
    expect(json(await w.ok(['contact', 'list', '--home', carol, '--json'])).contacts).toEqual([]);
  });
});
