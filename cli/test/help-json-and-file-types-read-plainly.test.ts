/**
 * What people and scripts read: every option's value named in the help (`--home DIR`, never
 * clipanion's `#0`), times in milliseconds in every JSON interface (the schema refuses seconds),
 * and a file's MIME type found from its bytes, then its name, when `--mime` is not given.
 */
import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { EventSchema, WhoamiSchema } from '../src/bridge/schema.ts';
import { createCli, main } from '../src/main.ts';
import { detectMime } from '../src/mime.ts';
import { VALUE_NAMES, nameOptionValues } from '../src/value-names.ts';
import { CLI_CASE_TIMEOUT_MS, World, befriend, json, pair } from './_harness.ts';

vi.setConfig({ testTimeout: CLI_CASE_TIMEOUT_MS });

const w = new World();
afterAll(() => w.cleanup());
afterEach(() => w.stopAll());

async function capture(argv: string[]): Promise<string> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  await main(argv, { stdout, stderr: stdout });
  return out;
}

describe('wschat --help', () => {
  it('names the value of every option, in the list and in each command\'s help', async () => {
    const root = await capture(['--help']);
    expect(root).toContain('[--home DIR]');
    expect(root).toContain('[--timeout SECONDS]');
    expect(root).not.toContain('#0');
    const paths = createCli().definitions().map((d) => d.path.replace(/^wschat ?/, '')).filter((p) => p && !p.startsWith('-'));
    expect(paths.length).toBeGreaterThan(10);
    for (const path of paths) {
      const help = await capture([...path.split(' '), '--help']);
      expect(help, path).not.toContain('#0');
    }
    // every value-taking option of every command is in the table
    const options = new Set(createCli().definitions().flatMap((d) => d.options.map((o) => o.definition)).filter((d) => d.includes('#0')).map((d) => d.split(/[ ,]/)[0]!));
    for (const o of options) expect(VALUE_NAMES[o], o).toBeDefined();
  });

  it('keeps the options table aligned after naming the values', () => {
    const table = nameOptionValues(['  --home #0       the folder', '  --fingerprint #0  the print', '  --force         replace'].join('\n')).split('\n');
    expect(table).toEqual(['  --home DIR                 the folder', '  --fingerprint FINGERPRINT  the print', '  --force                    replace']);
  });
});

describe('times in the JSON interfaces', () => {
  it('are milliseconds: the schemas refuse a time in seconds', () => {
    const ok = { id: '01'.repeat(8), name: 'a', link: 'x', expiresAt: Date.now() + 1000, maxUses: 1, relay: { url: 'ws://x/', fingerprint: 'f' } };
    expect(WhoamiSchema.safeParse(ok).success).toBe(true);
    expect(WhoamiSchema.safeParse({ ...ok, expiresAt: Math.floor(ok.expiresAt / 1000) }).success).toBe(false);
    const result = { type: 'result', cmd: 'invite', ok: true, data: { link: 'x', expiresAt: ok.expiresAt, maxUses: 1 } };
    expect(EventSchema.safeParse(result).success).toBe(true);
    expect(EventSchema.safeParse({ ...result, data: { ...result.data, expiresAt: Math.floor(ok.expiresAt / 1000) } }).success).toBe(false);
    const message = { type: 'message', id: '0a'.repeat(16), from: { id: '01'.repeat(8), name: 'b' }, text: 'hi', sentAt: Date.now(), receivedAt: Date.now() };
    expect(EventSchema.safeParse(message).success).toBe(true);
    expect(EventSchema.safeParse({ ...message, sentAt: Math.floor(Date.now() / 1000) }).success).toBe(false);
  });

  it('whoami --json and the bridge invite give expiresAt in ms, one TTL from now', async () => {
    const relay = await w.relay();
    const home = await w.home('times');
    await w.ok(['init', '--home', home, '--relay', relay.httpUrl, '--offline']);
    const before = Date.now();
    const who = json(await w.ok(['whoami', '--home', home, '--json', '--ttl', '3600']));
    expect(who.expiresAt as number).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
    expect(who.expiresAt as number).toBeLessThanOrEqual(Date.now() + 3600_000 + 1000);
    const bridge = w.start(['bridge', '--home', home]);
    bridge.send(JSON.stringify({ type: 'invite', ttl: 3600, ref: 'i' }));
    const r = await bridge.event('result', (e) => e.ref === 'i');
    expect((r.data as { expiresAt: number }).expiresAt).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
    await bridge.end();
  }, 120_000);
});

describe('file types when --mime is not given', () => {
  it('comes from the first bytes, then the extension, else none', async () => {
    const png = new Uint8Array(await readFile(fileURLToPath(new URL('../../web/public/icons/icon-192.png', import.meta.url))));
    expect(detectMime('photo', png)).toBe('image/png'); // no extension: the bytes say
    expect(detectMime('photo.txt', png)).toBe('image/png'); // a wrong extension: the bytes win
    expect(detectMime('a.jpg', new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toBe('image/jpeg');
    expect(detectMime('a', new TextEncoder().encode('GIF89a...'))).toBe('image/gif');
    expect(detectMime('a', new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(detectMime('a', new TextEncoder().encode('%PDF-1.7\n'))).toBe('application/pdf');
    expect(detectMime('notes.md', new TextEncoder().encode('# notes'))).toBe('text/markdown');
    expect(detectMime('drawing.SVG', new TextEncoder().encode('<svg/>'))).toBe('image/svg+xml');
    expect(detectMime('BM-notes.txt', new TextEncoder().encode('BMW and Audi'))).toBe('text/plain');
    expect(detectMime('blob.bin', new Uint8Array([1, 2, 3]))).toBe('');
  });

  it('a picture sent with file send arrives typed, so the web app can show it inline', async () => {
    const relay = await w.relay();
    const { a, b } = await pair(w, relay);
    const bob = await befriend(w, a, b);
    const icon = fileURLToPath(new URL('../../web/public/icons/icon-192.png', import.meta.url));
    await w.ok(['file', 'send', bob.id, icon, '--name', 'picture', '--home', a, '--wait', 'sent']);
    const listen = w.start(['listen', '--home', b, '--json']);
    const file = await listen.event('file');
    expect(file).toMatchObject({ name: 'picture', mime: 'image/png' });
  }, 180_000);
});
