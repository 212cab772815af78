/**
 * What a first-time user meets when things are not running: `send` with the relay down keeps
 * the text and says so (and the next connecting command sends it); a request sent with a used
 * invite says by when it expires, and says it expired once it did; `npx wschat listen` stopped
 * with SIGTERM frees the home folder; a lock left by a dead process is taken over.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { startRelay, type RunningRelay } from '@parley/relay';
import { CONTACT_REQUEST_TTL_MS } from '@parley/generated';
import { K, decodeRecord, encodeRecord } from '@parley/runtime/engine';
import { FileStore } from '@parley/runtime/node';
import { startTime } from '../src/home.ts';
import { CLI_CASE_TIMEOUT_MS, World, befriend, pair } from './_harness.ts';

vi.setConfig({ testTimeout: CLI_CASE_TIMEOUT_MS });

const w = new World();
afterAll(() => w.cleanup());
afterEach(() => w.stopAll());
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('wschat send with the relay down', () => {
  it('keeps the text in the outbox, says so with its id (exit 6), and the next connecting command sends it', async () => {
    // homes of its own: nothing here depends on another case
    const w = new World();
    const seed = new Uint8Array(randomBytes(32));
    let relay: RunningRelay = await startRelay({ port: 0, host: '127.0.0.1', logLevel: 'silent', seed, limits: { shutdownRetryAfterMs: 0 } });
    const port = relay.port;
    try {
      const { a, b } = await pair(w, relay);
      const bob = await befriend(w, a, b);
      // bob's accept waits in alice's mailbox, and a restarted relay has lost every mailbox: she
      // connects once first, or her texts would wait for an accept that never comes
      await w.ok(['send', bob.id, 'before the relay went down', '--home', a]);
      const seen = JSON.parse((await w.ok(['contact', 'list', '--home', a, '--json'])).stdout) as { contacts: { state: string }[] };
      expect(seen.contacts.map((c) => c.state)).toEqual(['accepted']);
      await relay.close();

      const human = await w.run(['send', bob.id, 'kept while the relay was down', '--home', a, '--timeout', '1']);
      expect(human.code).toBe(6);
      expect(human.stderr).toMatch(/^wschat: relay unreachable: ws:\/\/127\.0\.0\.1:\d+\/ .*; the message is queued \(id [0-9a-f]{32}\) and will be sent when the relay is reachable: run wschat listen or any command that connects/);
      const scripted = await w.run(['send', bob.id, 'and a second one', '--home', a, '--timeout', '1', '--json']);
      expect(scripted.code).toBe(6);
      const err = JSON.parse(scripted.stderr) as Record<string, unknown>;
      expect(err).toMatchObject({ type: 'error', code: 'RELAY_UNREACHABLE', exit: 6, queued: expect.stringMatching(/^[0-9a-f]{32}$/) });

      // the relay is back (same keys, same port): alice's next connecting command sends both
      relay = await startRelay({ port, host: '127.0.0.1', logLevel: 'silent', seed, limits: { shutdownRetryAfterMs: 0 } });
      const listen = w.start(['listen', '--home', b, '--json']);
      await w.ok(['send', bob.id, 'third, relay up', '--home', a]);
      // two wschat processes start, connect and sync here: slow on a loaded 2-core machine
      for (const text of ['kept while the relay was down', 'and a second one', 'third, relay up']) await listen.event('message', (e) => e.text === text, 60_000);
      const second = listen.events.find((e) => e.text === 'and a second one');
      expect(second?.id).toBe(err.queued);
    } finally {
      await relay.close();
      await w.cleanup();
    }
  }, 180_000);
});

describe('a used one-time invite', () => {
  // a world of its own: pair() names its homes alice and bob, which the test above used
  const w = new World();
  afterAll(() => w.cleanup());
  afterEach(() => w.stopAll());

  it('contact add says by when the request expires and why there may be no answer; after the bound, contact list and listen say it expired', async () => {
    const relay = await w.relay();
    const { a, b } = await pair(w, relay);
    const link = JSON.parse((await w.ok(['whoami', '--home', b, '--json'])).stdout).link as string;
    await w.ok(['contact', 'add', link, '--home', a]);
    const late = await w.home('late');
    await w.ok(['init', '--home', late, '--name', 'late', '--relay', relay.httpUrl, '--offline']);
    const r = await w.ok(['contact', 'add', link, '--home', late]);
    expect(r.stdout).toMatch(/If they have not accepted by .+, the request expires: maybe the invite was already used\. Then ask them for a new one\./);
    const requests = await w.ok(['requests', '--home', b]);
    expect(requests.stdout).toContain('alice');
    expect(requests.stdout).not.toContain('late'); // the owner never sees the second use

    // CONTACT_REQUEST_TTL_MS later (the request's records made older, as the engine stores
    // them: the contact's createdAt, and the resent request's expiresAt in the outbox): the
    // requester is told plainly, in the list and by listen, in words and in JSON
    const { contacts } = JSON.parse((await w.ok(['contact', 'list', '--home', late, '--json'])).stdout) as { contacts: { id: string; state: string; expiresAt: number }[] };
    expect(contacts).toMatchObject([{ state: 'requested' }]);
    const store = await FileStore.open(join(late, 'state'), { fsync: false });
    try {
      const createdAt = Date.now() - CONTACT_REQUEST_TTL_MS - 60_000;
      const key = (await store.list(K.contact(contacts[0]!.id))).find((k) => /^c\/[0-9a-f]{64}$/.test(k))!;
      const record = decodeRecord<Record<string, unknown>>((await store.get(key))!, key);
      await store.put(key, encodeRecord({ ...record, createdAt }));
      let requests = 0;
      for (const k of await store.list(K.outMetas)) {
        const entry = decodeRecord<Record<string, unknown>>((await store.get(k))!, k);
        if (entry.kind !== 'first_contact' || `c/${String(entry.contact)}` !== key) continue;
        await store.put(k, encodeRecord({ ...entry, expiresAt: createdAt + CONTACT_REQUEST_TTL_MS }));
        requests++;
      }
      expect(requests).toBe(1);
    } finally {
      await store.close();
    }
    const listed = await w.ok(['contact', 'list', '--home', late]);
    expect(listed.stdout).toMatch(/requested .*EXPIRED: no answer; ask them for a new invite/);
    const after = JSON.parse((await w.ok(['contact', 'list', '--home', late, '--json'])).stdout) as { contacts: { expiresAt: number }[] };
    expect(after.contacts[0]!.expiresAt).toBeLessThan(Date.now());
    const listen = w.start(['listen', '--home', late, '--json']);
    // the engine's periodic duties (every RESEND_INTERVAL_MS / 3) find it expired
    const expired = await listen.event('contact-request-expired', () => true, 60_000);
    expect(expired).toMatchObject({ direction: 'out', contact: { id: contacts[0]!.id } });
    await listen.stop();
  }, 300_000); // five wschat runs, one listen waiting for the engine's periodic duties
});

describe('the home folder lock', () => {
  it('SIGTERM to `npx wschat listen` (the npm process) stops wschat itself and frees the home', async () => {
    const relay = await w.relay();
    const home = await w.home('npx');
    await w.ok(['init', '--home', home, '--name', 'n', '--relay', relay.httpUrl]);
    const npx = spawn('npx', ['--offline', 'wschat', 'listen', '--home', home], { cwd: REPO, env: w.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    npx.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await expect.poll(() => stderr, { timeout: 30_000 }).toContain('listening');
      const wschatPid = Number.parseInt((await readFile(join(home, 'lock'), 'utf8')).split(' ')[0]!, 10);
      expect(wschatPid).not.toBe(npx.pid); // npm, a shell, then wschat
      npx.kill('SIGTERM');
      await expect.poll(() => existsSync(join(home, 'lock')), { timeout: 10_000 }).toBe(false);
      await expect.poll(() => existsSync(`/proc/${wschatPid}`), { timeout: 5_000 }).toBe(false);
      await w.ok(['contact', 'list', '--home', home]);
    } finally {
      npx.kill('SIGKILL');
    }
  });

  it('a lock left by a dead process, or by a pid now used by another program, is taken over', async () => {
    const home = await w.home('stale');
    await w.ok(['init', '--home', home, '--offline', '--relay-url', 'ws://127.0.0.1:9/', '--relay-x', 'ab'.repeat(32), '--relay-ed', 'cd'.repeat(32)]);
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    await writeFile(join(home, 'lock'), `${dead.pid}\n`);
    await w.ok(['contact', 'list', '--home', home]);
    // a live pid (this test's process) whose start time is not the one the lock recorded
    await writeFile(join(home, 'lock'), `${process.pid} 1\n`);
    expect(startTime(process.pid)).not.toBe('1');
    await w.ok(['contact', 'list', '--home', home]);
    // the same pid with its true start time is a live owner: busy
    await writeFile(join(home, 'lock'), `${process.pid} ${startTime(process.pid)}\n`);
    const busy = await w.run(['contact', 'list', '--home', home]);
    expect(busy.code).toBe(10);
    expect(busy.stderr).toMatch(/another wschat \(pid \d+\) is using/);
  });
});
