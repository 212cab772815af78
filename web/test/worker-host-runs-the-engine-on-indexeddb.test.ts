/**
 * The crypto worker's logic (worker/host.ts + worker/api.ts) in Node: IndexedDB from
 * fake-indexeddb, a real relay on 127.0.0.1 port 0 whose /.well-known/parley.json gives the
 * relay, and the runtime's Node WebSocket transport. Covers creation with and without a
 * passphrase, invites, requests, texts, files, read state, reopening a locked identity, the
 * passphrase rule, and a key change reported and left for the user.
 */
import 'fake-indexeddb/auto';
import { PROTOCOL_VERSION } from '@parley/generated';
import { fromHex, idHex, relayFingerprint, toHex } from '@parley/runtime';
import { NodeWsTransport } from '@parley/runtime/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '@parley/relay';
import { K, encodeRecord } from '@parley/runtime/engine';
import { createApi } from '../src/worker/api.ts';
import { Host } from '../src/worker/host.ts';
import { openDatabase } from '../src/worker/idb.ts';
import { IdbStore } from '../src/worker/idb-store.ts';
import type { Api, Remote, WorkerEvent } from '../src/messages/protocol.ts';

let relay: RunningRelay;
const hosts: Host[] = [];
beforeAll(async () => {
  relay = await startRelay({ port: 0, host: '127.0.0.1', logLevel: 'silent', limits: { shutdownRetryAfterMs: 0 } });
});
afterAll(async () => {
  for (const h of hosts) await h.engine?.stop();
  await relay.close();
});

interface Side {
  host: Host;
  api: Remote<Api>;
  events: WorkerEvent[];
  next<E extends WorkerEvent['event']>(event: E, filter?: (d: Extract<WorkerEvent, { event: E }>['data']) => boolean): Promise<Extract<WorkerEvent, { event: E }>['data']>;
}

async function side(dbName: string, fetchFn?: typeof fetch): Promise<Side> {
  const events: WorkerEvent[] = [];
  const waiters: ((e: WorkerEvent) => void)[] = [];
  const host = new Host({
    db: await openDatabase(dbName),
    env: {},
    origin: relay.httpUrl,
    emit: (e) => {
      events.push(e);
      for (const w of [...waiters]) w(e);
    },
    transport: new NodeWsTransport(),
    ...(fetchFn ? { fetch: fetchFn } : {}),
    scrypt: { N: 2 ** 10, r: 8, p: 1 },
  });
  hosts.push(host);
  const next: Side['next'] = (event, filter) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), 10_000);
      const w = (e: WorkerEvent) => {
        if (e.event !== event || (filter && !filter(e.data as never))) return;
        clearTimeout(t);
        waiters.splice(waiters.indexOf(w), 1);
        resolve(e.data as never);
      };
      waiters.push(w);
    });
  return { host, api: createApi(host), events, next };
}

const online = async (s: Side) => {
  if ((await s.api.connection()).state !== 'online') await s.next('state', (d) => d.state === 'online');
};

describe('the worker host', () => {
  it('creates identities, connects them by invite, and carries texts, files and read state', async () => {
    const a = await side('host-a');
    const b = await side('host-b');
    expect(await a.api.status()).toEqual({ state: 'none' });
    const sa = await a.api.create({ name: 'alice', passphrase: 'correct horse battery' });
    expect(sa).toMatchObject({ state: 'ready', name: 'alice', protected: true, relay: { source: 'well-known', url: relay.url } });
    expect(await b.api.create({ name: 'bob' })).toMatchObject({ state: 'ready', protected: false });
    await Promise.all([online(a), online(b)]);

    const invite = await a.api.createInvite({ maxUses: 1 });
    expect(invite.link.startsWith(`${relay.httpUrl}/#invite=`)).toBe(true);
    expect(await b.api.previewInvite({ text: invite.link })).toMatchObject({ name: 'alice', own: false, known: false });
    expect(await a.api.previewInvite({ text: invite.link })).toMatchObject({ own: true });
    // not an invite: words a person can act on, the code for the UI's logic and logs
    await expect(b.api.previewInvite({ text: 'hello there' })).rejects.toMatchObject({ code: 'BAD_INVITE', message: "This isn't a Parley invite link. Ask your contact for a new one." });
    await expect(b.api.previewInvite({ text: `${relay.httpUrl}/#invite=AAAA` })).rejects.toMatchObject({ code: 'BAD_INVITE', message: expect.not.stringMatching(/BAD_INVITE|base64/) });

    const request = a.next('contact-request');
    const alice = await b.api.addContact({ invite: invite.link, note: 'hi' });
    const { contact: bob } = await request;
    expect(bob).toMatchObject({ name: 'bob', state: 'pending', note: 'hi' });
    expect((await a.api.contacts()).map((c) => c.state)).toEqual(['pending']); // never auto-accepted
    const accepted = b.next('contacts', (list) => list.some((c) => c.key === alice.key && c.state === 'accepted'));
    await a.api.acceptContact({ contact: bob.key });
    await accepted;

    const arrived = a.next('history', (i) => i.dir === 'in' && i.text === 'hello alice');
    const incoming = a.next('incoming');
    const sent = await b.api.sendText({ contact: alice.key, text: 'hello alice' });
    expect(sent.status).toBe('queued');
    const item = await arrived;
    expect(await incoming).toEqual({ contact: bob.key, name: 'bob', silent: false });
    expect((await a.api.summaries())[0]).toMatchObject({ contact: bob.key, unread: [item.id] });
    const read = b.next('history', (i) => i.id === sent.id && i.status === 'read');
    await a.api.markRead({ contact: bob.key, ids: [item.id] });
    await read;
    expect((await a.api.summaries())[0]!.unread).toEqual([]);

    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => i % 251);
    const received = b.next('history', (i) => i.file?.state === 'received');
    const { fileId } = await a.api.sendFile({ contact: bob.key, name: 'data.bin', mime: 'application/octet-stream', bytes });
    await received;
    expect((await b.api.fileBytes({ contact: alice.key, fileId }))!.bytes).toEqual(bytes);
    expect((await a.api.fileBytes({ contact: bob.key, fileId }))!.name).toBe('data.bin');

    const safetyA = await a.api.safetyNumber({ contact: bob.key });
    expect((await b.api.safetyNumber({ contact: alice.key })).number).toBe(safetyA.number);
    expect(await b.api.checkSafetyQr({ contact: alice.key, scanned: safetyA.qr })).toBe(true);
    expect(await b.api.checkSafetyQr({ contact: alice.key, scanned: 'not hex' })).toBe(false);

    // Reopen A: the identity is sealed; only the passphrase opens it, and the history is kept.
    await a.host.engine!.stop();
    const a2 = await side('host-a');
    expect(await a2.api.status()).toEqual({ state: 'locked', name: 'alice', id: sa.state === 'ready' ? sa.id : '' });
    await expect(a2.api.history({ contact: bob.key })).rejects.toMatchObject({ code: 'STOPPED' });
    await expect(a2.api.unlock({ passphrase: 'wrong horse' })).rejects.toMatchObject({ code: 'BAD_PASSPHRASE' });
    expect(await a2.api.unlock({ passphrase: 'correct horse battery' })).toMatchObject({ state: 'ready', name: 'alice' });
    const texts = (await a2.api.history({ contact: bob.key })).map((i) => i.text ?? i.file?.name);
    expect(texts).toEqual(['hello alice', 'data.bin']);
  });

  it("reports a key change: a request with a contact's id and other keys waits, flagged, and nothing is accepted", async () => {
    const a = await side('host-kc-a');
    const c = await side('host-kc-c');
    const sc = await c.api.create({ name: 'carol' });
    if (sc.state !== 'ready' || !sc.key) throw new Error('carol is not ready');
    // A knew "carol" under other keys with the same id (the id is the first bytes of the X25519 key).
    const oldX = fromHex(sc.key);
    oldX[31] = oldX[31]! ^ 1;
    const oldEd = c.host.identity!.ed.slice();
    oldEd[0] = oldEd[0]! ^ 1;
    const old = { key: toHex(oldX), id: idHex(oldX), x: oldX, ed: oldEd, name: 'carol', note: '', state: 'accepted', verified: true, version: 1, createdAt: 1 };
    expect(old.id).toBe(sc.id);
    await (await IdbStore.open(a.host.o.db)).put(K.contact(old.key), encodeRecord(old));
    await a.api.create({ name: 'alice' });
    await Promise.all([online(a), online(c)]);

    const invite = await a.api.createInvite({ maxUses: 1 });
    const warned = a.next('key-change');
    const request = a.next('contact-request');
    const alice = await c.api.addContact({ invite: invite.link });
    const { contact, previous } = await warned;
    expect(previous).toMatchObject({ key: old.key, state: 'accepted', verified: true });
    expect(contact).toMatchObject({ key: sc.key, state: 'pending', keyChangeOf: old.key });
    expect((await request).contact.keyChangeOf).toBe(old.key);
    const list = await a.api.contacts();
    expect(list.find((x) => x.key === old.key)).toMatchObject({ state: 'accepted', verified: true });
    expect(list.find((x) => x.key === sc.key)).toMatchObject({ state: 'pending', keyChangeOf: old.key });
    await new Promise((r) => setTimeout(r, 200));
    expect((await c.api.contacts()).find((x) => x.key === alice.key)?.state).toBe('requested'); // no accept went back
  });

  it('refuses to seal a new identity with a short or empty passphrase, whatever the UI checked', async () => {
    const a = await side('host-weak');
    for (const passphrase of ['', 'seven!!']) {
      await expect(a.api.create({ name: 'weak', passphrase })).rejects.toMatchObject({ name: 'VaultError', code: 'WEAK_PASSPHRASE' });
    }
    expect(await a.api.status()).toEqual({ state: 'none' }); // nothing was stored
    expect(await a.host.vault.get('identity')).toBeUndefined();
    expect(await a.api.create({ name: 'strong', passphrase: 'eight!!!' })).toMatchObject({ state: 'ready', protected: true });
  });

  it('keeps the pinned relay when the relay publishes other keys, until the user trusts them', async () => {
    const a = await side('host-pin');
    const first = await a.api.create({ name: 'pin' });
    await online(a);
    await a.host.engine!.stop();
    const other = { protocol: 'parley', versions: [PROTOCOL_VERSION], url: relay.url, relay_x: 'ab'.repeat(32), relay_ed: 'cd'.repeat(32), fingerprint: relayFingerprint(fromHex('ab'.repeat(32)), fromHex('cd'.repeat(32))) };
    // other keys under the pinned relay's own fingerprint: refused, neither followed nor reported as a change
    const forged = (async () => new Response(JSON.stringify({ ...other, fingerprint: first.state === 'ready' ? first.relay.fingerprint : '' }))) as unknown as typeof fetch;
    const a1 = await side('host-pin', forged);
    const s1 = await a1.api.status();
    expect(s1).toMatchObject({ state: 'ready', relay: { x: first.state === 'ready' ? first.relay.x : '', source: 'stored' } });
    expect(s1.state === 'ready' && s1.relayChanged).toBeFalsy();
    await a1.host.engine!.stop();
    const moved = (async () => new Response(JSON.stringify(other))) as unknown as typeof fetch;
    const a2 = await side('host-pin', moved);
    const s = await a2.api.status();
    expect(s).toMatchObject({ state: 'ready', relayChanged: { x: other.relay_x } });
    expect(s.state === 'ready' && first.state === 'ready' && s.relay.x === first.relay.x).toBe(true);
    await online(a2); // still talking to the relay it pinned
    const after = await a2.api.trustRelay();
    expect(after).toMatchObject({ state: 'ready', relay: { x: other.relay_x } });
    expect(after.state === 'ready' && after.relayChanged).toBeFalsy();
    const failed = await a2.next('state', (d) => d.state === 'offline');
    expect(failed.state === 'offline' && failed.error?.code).toBe('BAD_RELAY');
  });

  it('shows a received file as received only once its bytes can be loaded, by every path a record takes', async () => {
    const a = await side('host-file-a');
    const b = await side('host-file-b');
    await a.api.create({ name: 'alice' });
    await b.api.create({ name: 'bob' });
    await Promise.all([online(a), online(b)]);
    const invite = await a.api.createInvite({ maxUses: 1 });
    const request = a.next('contact-request');
    const alice = await b.api.addContact({ invite: invite.link });
    const { contact: bob } = await request;
    const accepted = b.next('contacts', (list) => list.some((c) => c.key === alice.key && c.state === 'accepted'));
    await a.api.acceptContact({ contact: bob.key });
    await accepted;

    // Hold B's shelf write of the bytes: the engine has already stored the record as received.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const put = b.host.files.put.bind(b.host.files);
    b.host.files.put = async (key, value) => {
      await gate;
      return put(key, value);
    };
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 7);
    const offered = b.next('history', (i) => i.file?.name === 'notes.txt');
    const { fileId } = await a.api.sendFile({ contact: bob.key, name: 'notes.txt', mime: 'text/plain', bytes });
    const { id } = await offered;
    await expect.poll(async () => (await b.host.engine!.history(alice.key)).find((i) => i.id === id)?.file?.state).toBe('received');

    // markRead re-reads the record and a conversation view loads the history: neither may say
    // 'received' while the bytes are not there, or the view loads nothing and never retries.
    await b.api.markRead({ contact: alice.key, ids: [id] });
    expect((await b.api.history({ contact: alice.key })).find((i) => i.id === id)?.file?.state).toBe('receiving');
    await new Promise((r) => setTimeout(r, 50));
    const early = b.events.filter((e) => e.event === 'history' && e.data.id === id && e.data.file?.state === 'received');
    expect(early).toEqual([]);

    const shown = b.next('history', (i) => i.id === id && i.file?.state === 'received');
    release();
    await shown;
    expect((await b.api.fileBytes({ contact: alice.key, fileId }))!.bytes).toEqual(bytes);
    expect((await b.api.history({ contact: alice.key })).find((i) => i.id === id)?.file?.state).toBe('received');
  });
});
