/**
 * In-process checks of wschat's pieces: the bridge's line reader and schemas, relay settings,
 * invite bounds, engine events as wschat events, download names, the QR renderer, and the
 * scrubbing of keys from messages.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CONTACT_REQUEST_TTL_MS, MAX_INVITE_USES, MAX_TEXT_BYTES, MessageType } from '@parley/generated';
import { randomBytes, toHex } from '@parley/runtime/crypto';
import { Emitter, type Engine, type EngineEvents, type HistoryItem } from '@parley/runtime/engine';
import { relayFingerprint } from '@parley/runtime/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { readLines } from '../src/bridge/lines.ts';
import { CommandSchema, EventSchema, MIN_BRIDGE_INVITE_TTL_S } from '../src/bridge/schema.ts';
import { safeFileName, saveDownload } from '../src/downloads.ts';
import { scrub } from '../src/errors.ts';
import { EarlyEvents, MAX_EARLY_EVENTS } from '../src/early-events.ts';
import { watch } from '../src/events.ts';
import { inviteOptions } from '../src/invites.ts';
import { humanLine, writeJson } from '../src/output.ts';
import { renderQr } from '../src/qr.ts';
import { fetchFailure, resolveRelay } from '../src/relay-config.ts';
import type { OutEvent } from '../src/bridge/schema.ts';
import type { Session } from '../src/session.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function collect(chunks: (string | Buffer)[], max: number): Promise<{ lines: string[]; tooLong: number[] }> {
  const input = new PassThrough();
  const lines: string[] = [];
  const tooLong: number[] = [];
  const done = new Promise<{ lines: string[]; tooLong: number[] }>((resolve) => readLines(input, max, { line: (l) => lines.push(l), tooLong: (n) => tooLong.push(n), end: () => resolve({ lines, tooLong }) }));
  for (const c of chunks) input.write(c);
  input.end();
  return done;
}

describe('bridge line reader', () => {
  it('splits lines across chunks, accepts CRLF, skips empty lines, keeps a last line without newline', async () => {
    expect(await collect(['{"a"', ':1}\r\n\n  \n{"b":2}\n{"c"', ':3}'], 100)).toEqual({ lines: ['{"a":1}', '{"b":2}', '{"c":3}'], tooLong: [] });
  });

  it('reports a line over the limit once, skips it to its newline, and goes on', async () => {
    const r = await collect(['x'.repeat(30), 'y'.repeat(30), '\nok\n', 'z'.repeat(60)], 50);
    expect(r).toEqual({ lines: ['ok'], tooLong: [60, 60] });
  });

  it('keeps multi-byte characters split between chunks', async () => {
    const bytes = Buffer.from('{"t":"héllo ✓"}\n');
    expect((await collect([bytes.subarray(0, 8), bytes.subarray(8)], 100)).lines).toEqual(['{"t":"héllo ✓"}']);
  });
});

describe('bridge schemas', () => {
  it('accepts every command and refuses unknown fields, bad ids and texts over the spec limit', () => {
    const id = '0a'.repeat(16);
    for (const c of [
      { type: 'send', to: 'bob', text: 'hi', ref: '1' },
      { type: 'file', to: 'bob', path: '/tmp/x', mime: 'text/plain' },
      { type: 'contacts' },
      { type: 'history', contact: 'bob', limit: 5 },
      { type: 'ack', ids: [id] },
      { type: 'read', ids: [id] },
      { type: 'invite', uses: 2 },
      { type: 'invite', uses: MAX_INVITE_USES, ttl: 60 },
      { type: 'add', invite: 'abc', name: 'bob', note: 'hi' },
      { type: 'accept', contact: 'bob' },
      { type: 'reject', contact: 'bob' },
    ]) expect(CommandSchema.safeParse(c).success).toBe(true);
    expect(CommandSchema.safeParse({ type: 'send', to: 'bob', text: 'x'.repeat(MAX_TEXT_BYTES + 1) }).success).toBe(false);
    expect(CommandSchema.safeParse({ type: 'send', to: 'bob', text: 'hi', key: 'x' }).success).toBe(false);
    expect(CommandSchema.safeParse({ type: 'ack', ids: ['0A'.repeat(16)] }).success).toBe(false);
    expect(CommandSchema.safeParse({ type: 'add', invite: 'abc', name: 'n'.repeat(65) }).success).toBe(false);
    expect(CommandSchema.safeParse({ type: 'exec', cmd: 'rm -rf /' }).success).toBe(false);
    expect(CommandSchema.safeParse({ type: 'invite', uses: MAX_INVITE_USES + 1 }).success).toBe(false);
    // a wschat choice: an invite under a minute is refused (MIN_BRIDGE_INVITE_TTL_S)
    expect(CommandSchema.safeParse({ type: 'invite', ttl: MIN_BRIDGE_INVITE_TTL_S - 1 }).success).toBe(false);
  });

  it('writes only listed fields: an event carrying a key is refused', () => {
    const out = new PassThrough();
    const from = { id: '01'.repeat(8), name: 'bob' };
    writeJson(out, { type: 'presence', from, state: 'online' });
    expect(out.read().toString()).toBe('{"type":"presence","from":{"id":"0101010101010101","name":"bob"},"state":"online"}\n');
    expect(() => writeJson(out, { type: 'presence', from: { ...from, x: 'ab'.repeat(32) }, state: 'online' } as never)).toThrow();
    expect(EventSchema.safeParse({ type: 'ready', id: '01'.repeat(8), name: '', relay: 'ws://x/', fingerprint: 'f', seed: '00' }).success).toBe(false);
  });

  it('cuts key-sized hex out of messages', () => {
    const key = 'ab'.repeat(32);
    expect(scrub(`no contact ${key}`)).toBe(`no contact ${key.slice(0, 16)}…`);
    expect(scrub('id 0123456789abcdef stays')).toBe('id 0123456789abcdef stays');
  });
});

describe('relay settings', () => {
  const x = toHex(randomBytes(32));
  const ed = toHex(randomBytes(32));
  const base = { env: {}, timeoutMs: 1000 };

  it('pins a ws URL with keys from flags, or from the environment, with the spec fingerprint', async () => {
    const flags = await resolveRelay({ ...base, relayUrl: 'ws://r.example/', relayX: x, relayEd: ed });
    expect(flags.relay).toEqual({ url: 'ws://r.example/', x, ed, fingerprint: relayFingerprint(Buffer.from(x, 'hex'), Buffer.from(ed, 'hex')) });
    const env = await resolveRelay({ ...base, env: { WSCHAT_RELAY: 'wss://r.example/', WSCHAT_SERVER_X_PUB: x.toUpperCase(), WSCHAT_SERVER_ED_PUB: ed } });
    expect(env.relay).toMatchObject({ url: 'wss://r.example/', x, ed });
    // flags name another relay: the environment's keys are not used for it
    await expect(resolveRelay({ ...base, relayUrl: 'ws://other/', env: { WSCHAT_SERVER_X_PUB: x, WSCHAT_SERVER_ED_PUB: ed } })).rejects.toThrow(/needs its keys/);
  });

  it('refuses conflicting or incomplete settings as usage errors, and a wrong fingerprint with exit 7', async () => {
    await expect(resolveRelay({ ...base, relay: 'http://a', relayUrl: 'ws://b/' })).rejects.toMatchObject({ exitCode: 2 });
    await expect(resolveRelay({ ...base, relayUrl: 'ws://b/', relayX: x })).rejects.toMatchObject({ exitCode: 2 });
    await expect(resolveRelay({ ...base, relayUrl: 'ws://b/', relayX: 'zz', relayEd: ed })).rejects.toThrow(/64 hex digits/);
    await expect(resolveRelay({ ...base, relayUrl: 'ftp://b/', relayX: x, relayEd: ed })).rejects.toThrow(/ws:\/\/ or wss:\/\//);
    await expect(resolveRelay(base)).rejects.toThrow(/no relay/);
    await expect(resolveRelay({ ...base, relayUrl: 'ws://b/', relayX: x, relayEd: ed, fingerprint: '0000' })).rejects.toMatchObject({ code: 'WRONG_RELAY_KEY', exitCode: 7 });
    await expect(resolveRelay({ ...base, invite: 'garbage' })).rejects.toMatchObject({ code: 'BAD_INVITE', exitCode: 4 });
  });
});

describe('invite bounds', () => {
  const names = { uses: '--uses', ttl: '--ttl' };

  it('allows 1 to MAX_INVITE_USES uses and an expiry the protocol can encode; anything else is a usage error', () => {
    expect(inviteOptions(MAX_INVITE_USES, 60, names)).toEqual({ maxUses: MAX_INVITE_USES, ttlSeconds: 60 });
    expect(inviteOptions(1, undefined, names).ttlSeconds).toBeGreaterThan(0);
    for (const uses of [0, MAX_INVITE_USES + 1, 1.5]) expect(() => inviteOptions(uses, 60, names)).toThrow(expect.objectContaining({ code: 'USAGE', exitCode: 2 }));
    for (const ttl of [0, 1e15, 2.5]) expect(() => inviteOptions(1, ttl, names)).toThrow(/--ttl must be a whole number of seconds/);
  });
});

describe('why a bootstrap fetch failed', () => {
  const failed = (cause: unknown): Error => Object.assign(new TypeError('fetch failed'), { cause });

  it('names the cause, not "fetch failed"', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(fetchFailure(failed(refused), 1000)).toBe('connect ECONNREFUSED 127.0.0.1:9');
    expect(fetchFailure(failed(new AggregateError([refused], '')), 1000)).toBe('connect ECONNREFUSED 127.0.0.1:9');
    expect(fetchFailure(failed(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })), 1000)).toBe('other side closed (UND_ERR_SOCKET)');
    expect(fetchFailure(failed(new Error('bad port')), 1000)).toBe('bad port');
    expect(fetchFailure(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), 3000)).toBe('no answer within 3 s');
    expect(fetchFailure(new Error('HTTP 404'), 1000)).toBe('HTTP 404');
  });
});

describe('engine events as wschat events', () => {
  class FakeEngine extends Emitter<EngineEvents> {
    fire<K extends keyof EngineEvents>(event: K, value: EngineEvents[K]): void {
      this.emit(event, value);
    }
    contact(key: string): { key: string; id: string; name: string } {
      return { key, id: key.slice(0, 16), name: 'bob' };
    }
  }
  const key = 'ab'.repeat(32);
  function watching(): { engine: FakeEngine; out: OutEvent[] } {
    const engine = new FakeEngine();
    const out: OutEvent[] = [];
    watch({ engine, onFile: () => () => undefined, early: new EarlyEvents(engine as unknown as Engine) } as unknown as Session, (e) => void out.push(e), { state: true });
    return { engine, out };
  }
  const item = (id: string, status: HistoryItem['status']): { item: HistoryItem } => ({ item: { id, contact: key, seq: 1, dir: 'out', kind: 'text', sentAt: 1, status } });

  it('receipts name only history items (texts and file offers), each status once, never chunk ids', () => {
    const { engine, out } = watching();
    const text = '01'.repeat(16);
    const chunk = '02'.repeat(16);
    const skipped = '03'.repeat(16);
    engine.fire('sent', { contact: key, id: chunk });
    engine.fire('delivered', { contact: key, ids: [chunk, text] });
    engine.fire('read', { contact: key, ids: [chunk] });
    expect(out).toEqual([]);
    for (const status of ['queued', 'sent', 'sent', 'delivered', 'delivered', 'read'] as const) engine.fire('history', item(text, status));
    // a read receipt may come first: it says delivered too
    engine.fire('history', item(skipped, 'read'));
    expect(out.map((e) => e.type === 'receipt' && [e.status, e.ids])).toEqual([
      ['sent', [text]], ['delivered', [text]], ['read', [text]], ['delivered', [skipped]], ['read', [skipped]],
    ]);
  });

  it('reports what fired before the reader listened (receipts, acceptances), once, without messages', () => {
    const engine = new FakeEngine();
    const early = new EarlyEvents(engine as unknown as Engine);
    const text = '04'.repeat(16);
    engine.fire('history', item(text, 'delivered'));
    engine.fire('contact-accepted', { contact: engine.contact(key) as never });
    engine.fire('message', { type: MessageType.text, contact: engine.contact(key), id: '05'.repeat(16), body: { text: 'kept as backlog instead', replyTo: new Uint8Array(16) }, sentAt: 1, receivedAt: 2 } as never);
    const out: OutEvent[] = [];
    const session = { engine, onFile: () => () => undefined, early } as unknown as Session;
    watch(session, (e) => void out.push(e));
    expect(out.map((e) => e.type)).toEqual(['receipt', 'contact-accepted']);
    // handed over once: a second reader does not see them again, and nothing more is kept
    engine.fire('history', item('06'.repeat(16), 'delivered'));
    expect(early.take().events).toEqual([]);
  });

  it('says when a request expires, ours or theirs, in JSON (schema-checked) and in words', () => {
    const { engine, out } = watching();
    const createdAt = Date.now() - CONTACT_REQUEST_TTL_MS - 1;
    const contact = (state: 'requested' | 'pending') => ({ ...engine.contact(key), state, createdAt }) as never;
    engine.fire('contact-request-expired', { contact: contact('requested') });
    engine.fire('contact-request-expired', { contact: contact('pending') });
    expect(out).toEqual([
      { type: 'contact-request-expired', contact: { id: key.slice(0, 16), name: 'bob' }, direction: 'out', expiredAt: createdAt + CONTACT_REQUEST_TTL_MS },
      { type: 'contact-request-expired', contact: { id: key.slice(0, 16), name: 'bob' }, direction: 'in', expiredAt: createdAt + CONTACT_REQUEST_TTL_MS },
    ]);
    for (const e of out) expect(EventSchema.safeParse(e).success).toBe(true);
    expect(humanLine(out[0]!)).toBe(`your request to bob (${key.slice(0, 16)}) expired unanswered: maybe the invite was already used; ask them for a new one`);
    expect(humanLine(out[1]!)).toBe(`the request from bob (${key.slice(0, 16)}) expired unanswered and was removed`);
    // one that fired while the command synced reaches the first reader too
    const early = new EarlyEvents(engine as unknown as Engine);
    engine.fire('contact-request-expired', { contact: contact('requested') });
    const later: OutEvent[] = [];
    watch({ engine, onFile: () => () => undefined, early } as unknown as Session, (e) => void later.push(e));
    expect(later.map((e) => e.type)).toEqual(['contact-request-expired']);
  });

  it('keeps at most MAX_EARLY_EVENTS before a reader listens, dropping the oldest', () => {
    const engine = new FakeEngine();
    const early = new EarlyEvents(engine as unknown as Engine);
    for (let i = 0; i <= MAX_EARLY_EVENTS; i++) engine.fire('history', item(i.toString(16).padStart(32, '0'), 'sent'));
    const { events, dropped } = early.take();
    expect(events).toHaveLength(MAX_EARLY_EVENTS);
    expect(dropped).toBe(1);
    expect(events[0]!.name === 'history' && events[0]!.value.item.id).toBe('1'.padStart(32, '0'));
  });

  it('cuts key-sized hex out of the reason of a state event', () => {
    const { engine, out } = watching();
    const secret = 'cd'.repeat(32);
    engine.fire('state', { state: 'offline', attempt: 1, retryInMs: 500, retryAt: 0, reason: 'closed', error: { code: 'X', message: `handshake failed with ${secret}` } });
    expect(out).toEqual([{ type: 'state', state: 'offline', retryInMs: 500, reason: `handshake failed with ${secret.slice(0, 16)}…` }]);
  });
});

describe('downloads', () => {
  it('keeps received names inside the folder', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('..\\..\\boot.ini')).toBe('boot.ini');
    expect(safeFileName('.bashrc')).toBe('bashrc');
    expect(safeFileName('a\u0000b\u001b[31mc.txt')).toBe('ab[31mc.txt');
    expect(safeFileName('..')).toBe('file');
    expect(safeFileName('')).toBe('file');
  });

  it('never overwrites: a taken name gets a number before its extension', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wschat-dl-'));
    dirs.push(dir);
    const p1 = await saveDownload(dir, 'report.pdf', new Uint8Array([1]));
    const p2 = await saveDownload(dir, 'report.pdf', new Uint8Array([2]));
    const p3 = await saveDownload(dir, 'README', new Uint8Array([3]));
    const p4 = await saveDownload(dir, 'README', new Uint8Array([4]));
    expect([p1, p2, p3, p4]).toEqual([join(dir, 'report.pdf'), join(dir, 'report (1).pdf'), join(dir, 'README'), join(dir, 'README (1)')]);
    expect([...(await readFile(p2))]).toEqual([2]);
  });
});

describe('terminal QR code', () => {
  it('draws two module rows per line, square, with a quiet zone', () => {
    const text = 'http://127.0.0.1:8080/#invite=' + 'A'.repeat(200);
    const lines = renderQr(text).trimEnd().split('\n');
    const width = [...lines[0]!].length;
    expect(lines.every((l) => [...l].length === width)).toBe(true);
    expect(lines.length).toBe(Math.ceil(width / 2));
    expect(lines.join('')).toMatch(/^[█▀▄ ]+$/);
    // default: light modules drawn, so the quiet zone is solid
    expect(lines[0]).toBe('█'.repeat(width));
    expect(renderQr(text, { invert: true }).split('\n')[0]).toBe(' '.repeat(width));
  });
});
