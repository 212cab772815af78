/**
 * Web app benchmark (`benchWeb()`, collected by `npm run bench`):
 *
 * - Bundle sizes (gzipped). First-load JS is what must arrive before the conversations screen is
 *   usable: the entry chunk and its static imports, plus the crypto worker, which main.tsx starts
 *   at once and without which nothing opens, and the worker's imports (its WebCrypto backend; not
 *   the Node backend's stub, which browsers never load). Lazy routes are left out, and so are the
 *   worker's lazy chunks (LAZY_WORKER_CHUNKS: ML-KEM, fetched on a session's first KEM step),
 *   counted on their own row; the bench fails if a cold navigation fetched one before the
 *   screen was usable, so a chunk listed there must really be off the first-load path.
 * - Time from navigation to a usable conversations screen (the app's `parley:usable` mark) on a
 *   relay at 127.0.0.1, for an identity with contacts and history seeded by peers running the
 *   runtime's engine in this process: a cold first navigation (a fresh browser on a copy of the
 *   profile without its HTTP cache, code cache and service worker), and warm reloads with and
 *   without the service worker. Medians of a few runs. Targets: 120 KB first-load JS, 1 s.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Engine, MemoryStore, generateIdentity, nobleBackend } from '@parley/runtime';
import { NodeWsTransport } from '@parley/runtime/node';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { RunningRelay } from '@parley/relay';
import { LAZY_WORKER_CHUNKS, NODE_BACKEND_STUB } from '../build/browser-runtime.ts';
import { CHROMIUM, CHROMIUM_ARGS, DESKTOP, DIST, buildWeb, createIdentity, startStack } from '../test/_harness.ts';

export const FIRST_LOAD_TARGET_KB = 120;
export const USABLE_TARGET_MS = 1000;
const RUNS = 5;
/** Seeded history: this many contacts, each having sent this many messages. */
const SEED_CONTACTS = 5;
const SEED_MESSAGES = 20;
/** Bound on every wait, so a broken build fails the bench instead of hanging it. */
const WAIT_MS = 30_000;
/** Profile folders that hold caches (HTTP, V8 code, GPU shaders) and the service worker with its cache. */
const CACHE_DIRS = new Set(['Cache', 'Code Cache', 'GPUCache', 'GPUPersistentCache', 'DawnGraphiteCache', 'DawnWebGPUCache', 'GrShaderCache', 'ShaderCache', 'Service Worker']);

interface Chunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  css?: string[];
}

const kb = (n: number) => Math.round((n / 1024) * 10) / 10;
const gz = async (file: string) => gzipSync(await readFile(join(DIST, file)), { level: 9 }).length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sum = async (files: Iterable<string>) => {
  let n = 0;
  for (const f of files) n += await gz(f);
  return n;
};

/** The built files (assets/...) a built JS file imports, statically or by import(). */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(join(DIST, file), 'utf8');
  const out = new Set<string>();
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']\.\/([\w.-]+\.js)["']/g)) out.add(`assets/${m[1]}`);
  return [...out];
}

/** A lazy worker chunk's name (LAZY_WORKER_CHUNKS) if `file` is one. */
const lazyChunkOf = (file: string) => LAZY_WORKER_CHUNKS.find((name) => new RegExp(`^assets/${name}-[\\w-]+\\.js$`).test(file));

/**
 * The crypto worker's file and everything it imports that a browser loads before the first
 * screen (`first`), and its lazy chunks (`lazy`, LAZY_WORKER_CHUNKS, with what only they import).
 */
async function workerFiles(pageFiles: Iterable<string>): Promise<{ first: Set<string>; lazy: Set<string> }> {
  const found = new Set<string>();
  for (const f of pageFiles) {
    for (const m of (await readFile(join(DIST, f), 'utf8')).matchAll(/\/?(assets\/crypto\.worker-[\w-]+\.js)/g)) found.add(m[1]!);
  }
  if (found.size !== 1) throw new Error(`expected one crypto worker referenced by the first-load chunks, found ${found.size}`);
  const out = new Set<string>();
  const lazyRoots: string[] = [];
  const visit = async (f: string): Promise<void> => {
    if (out.has(f) || f.includes(NODE_BACKEND_STUB)) return;
    if (lazyChunkOf(f) !== undefined) {
      lazyRoots.push(f);
      return;
    }
    out.add(f);
    for (const g of await importsOf(f)) await visit(g);
  };
  await visit([...found][0]!);
  const missing = LAZY_WORKER_CHUNKS.filter((name) => !lazyRoots.some((f) => lazyChunkOf(f) === name));
  if (missing.length > 0) throw new Error(`lazy worker chunks not imported by the worker: ${missing.join(', ')} (update LAZY_WORKER_CHUNKS)`);
  const lazy = new Set<string>();
  const visitLazy = async (f: string): Promise<void> => {
    if (out.has(f) || lazy.has(f)) return;
    lazy.add(f);
    for (const g of await importsOf(f)) await visitLazy(g);
  };
  for (const f of lazyRoots) await visitLazy(f);
  return { first: out, lazy };
}

/** Gzipped sizes from Vite's manifest (dist/.vite/manifest.json) and the worker's own imports. */
export async function bundleSizes(): Promise<{ firstLoadJs: number; pageJs: number; worker: number; workerLazy: number; allJs: number; css: number; workerFiles: string[]; workerLazyFiles: string[] }> {
  const manifest = JSON.parse(await readFile(join(DIST, '.vite/manifest.json'), 'utf8')) as Record<string, Chunk>;
  const entry = Object.entries(manifest).find(([, c]) => c.isEntry)!;
  const page = new Set<string>();
  const cssFiles = new Set<string>();
  const visit = (key: string) => {
    const c = manifest[key]!;
    if (page.has(c.file)) return;
    page.add(c.file);
    c.css?.forEach((f) => cssFiles.add(f));
    c.imports?.forEach(visit);
  };
  visit(entry[0]);
  const worker = await workerFiles(page);
  const all = readdirSync(join(DIST, 'assets')).filter((f) => f.endsWith('.js')).map((f) => `assets/${f}`);
  const pageJs = await sum(page);
  const workerJs = await sum(worker.first);
  return {
    firstLoadJs: pageJs + workerJs,
    pageJs,
    worker: workerJs,
    workerLazy: await sum(worker.lazy),
    allJs: await sum(all),
    css: await sum(cssFiles),
    workerFiles: [...worker.first].sort(),
    workerLazyFiles: [...worker.lazy].sort(),
  };
}

/** A fresh Chromium on a profile folder (`launchPersistentContext`: the profile outlives it). */
function persistent(dir: string, baseURL: string, o: { serviceWorkers?: 'allow' | 'block' } = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: DESKTOP, baseURL, timeout: WAIT_MS, ...o });
}

/** Navigates (or reloads) and returns the `parley:usable` mark's time from the navigation's start. */
async function usableAfter(go: () => Promise<unknown>, page: Page): Promise<number> {
  await go();
  await page.waitForFunction(() => performance.getEntriesByName('parley:usable').length > 0, undefined, { timeout: WAIT_MS });
  return page.evaluate(() => performance.getEntriesByName('parley:usable')[0]!.startTime);
}

/**
 * A browser profile with an identity (no passphrase) and SEED_CONTACTS contacts who each sent
 * SEED_MESSAGES texts (the newest conversation read, the others unread), closed so its files are
 * complete. The peers are engines in this process that accept the request at once.
 */
async function seedProfile(relay: RunningRelay): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-profile-'));
  const context = await persistent(dir, relay.httpUrl);
  const peers: Engine[] = [];
  try {
    context.setDefaultTimeout(WAIT_MS);
    const page = context.pages()[0] ?? (await context.newPage());
    await createIdentity({ name: 'bench', context, page, errors: [] });
    for (let i = 0; i < SEED_CONTACTS; i++) {
      const engine = new Engine({
        identity: await generateIdentity(nobleBackend),
        relay: { url: relay.url, ...relay.publicKeys },
        store: new MemoryStore(),
        transport: new NodeWsTransport(),
        backend: nobleBackend,
        displayName: `peer ${i + 1}`,
        autoAccept: true,
      });
      peers.push(engine);
      await engine.start();
      const invite = await engine.createInvite({ maxUses: 1 });
      await page.goto(invite.link);
      await page.getByTestId('send-request').click();
      await page.getByTestId('messages').waitFor();
      const deadline = Date.now() + WAIT_MS;
      while (engine.contacts().find((c) => c.state === 'accepted') === undefined) {
        if (Date.now() > deadline) throw new Error('seeding: a peer never got the request');
        await new Promise((r) => setTimeout(r, 50));
      }
      const key = engine.contacts()[0]!.key;
      for (let m = 0; m < SEED_MESSAGES; m++) await engine.sendText(key, `message ${m + 1} from peer ${i + 1}: ${'lorem ipsum '.repeat(4)}`);
      while ((await engine.history(key)).filter((h) => h.dir === 'out' && (h.status === 'delivered' || h.status === 'read')).length < SEED_MESSAGES) {
        if (Date.now() > deadline) throw new Error('seeding: messages were not delivered');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await page.goto('/');
    await page.getByTestId('conversation-item').nth(SEED_CONTACTS - 1).waitFor();
  } finally {
    for (const p of peers) await p.stop().catch(() => undefined);
    await context.close();
  }
  return dir;
}

/** A copy of the profile without caches or service worker: what a fresh browser start sees. */
function coldCopy(template: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-cold-'));
  cpSync(template, dir, { recursive: true, filter: (src) => !CACHE_DIRS.has(src.split(/[\\/]/).pop()!) && !/[\\/]Singleton\w*$/.test(src) });
  return dir;
}

interface Timings {
  cold: number;
  /** JS files the cold navigation fetched before the screen was usable (page and worker). */
  coldJs: string[];
  withSw: number;
  withoutSw: number;
}

async function timeToUsable(): Promise<Timings> {
  const relay = await startStack();
  const dirs: string[] = [];
  try {
    const template = await seedProfile(relay);
    dirs.push(template);
    const url = `${relay.httpUrl}/`;

    const cold: number[] = [];
    const coldJs = new Set<string>();
    for (let i = 0; i < RUNS; i++) {
      const dir = coldCopy(template);
      dirs.push(dir);
      const context = await persistent(dir, relay.httpUrl);
      try {
        const page = context.pages()[0] ?? (await context.newPage());
        let usable = false;
        context.on('request', (r) => {
          const path = new URL(r.url()).pathname;
          // Not the service worker's precache of every file, and nothing after the screen is usable.
          if (!usable && !r.serviceWorker() && path.endsWith('.js') && path.startsWith('/assets/')) coldJs.add(path.slice(1));
        });
        cold.push(await usableAfter(() => page.goto(url), page));
        usable = true;
      } finally {
        await context.close();
      }
    }

    const warm = async (serviceWorkers: 'allow' | 'block') => {
      const dir = coldCopy(template);
      dirs.push(dir);
      const context = await persistent(dir, relay.httpUrl, { serviceWorkers });
      try {
        const page = context.pages()[0] ?? (await context.newPage());
        await usableAfter(() => page.goto(url), page);
        if (serviceWorkers === 'allow') {
          await page.evaluate(async () => {
            await navigator.serviceWorker.ready;
            if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
          });
        }
        const times: number[] = [];
        for (let i = 0; i < RUNS; i++) times.push(await usableAfter(() => page.reload(), page));
        return median(times);
      } finally {
        await context.close();
      }
    };
    return { cold: median(cold), coldJs: [...coldJs].sort(), withSw: await warm('allow'), withoutSw: await warm('block') };
  } finally {
    await relay.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

export async function benchWeb(): Promise<{ title: string; rows: Record<string, string | number>[]; note?: string }[]> {
  await buildWeb();
  const s = await bundleSizes();
  const t = await timeToUsable();
  const early = s.workerLazyFiles.filter((f) => t.coldJs.includes(f));
  if (early.length > 0) throw new Error(`lazy worker chunks fetched before the screen was usable, so they are first-load JS: ${early.join(', ')}`);
  const fetched = await sum(t.coldJs);
  const vs = (n: number, target: number) => Math.round((n / target) * 100) / 100;
  return [
    {
      title: 'web: production bundle (gzipped)',
      note:
        `first-load JS = entry chunk + static imports + the crypto worker and its imports (${s.workerFiles.join(', ')}), all needed before the app opens; ` +
        `lazy routes and the worker's lazy chunks (${s.workerLazyFiles.join(', ')}; checked not fetched before the screen was usable) load later. Target ${FIRST_LOAD_TARGET_KB} KB. The last row is what a cold navigation actually fetched before the screen was usable.`,
      rows: [
        { part: 'first-load JS (page + crypto worker)', KB: kb(s.firstLoadJs), target: FIRST_LOAD_TARGET_KB, 'vs target': vs(kb(s.firstLoadJs), FIRST_LOAD_TARGET_KB) },
        { part: '  page: entry chunk + static imports', KB: kb(s.pageJs), target: '', 'vs target': '' },
        { part: '  crypto worker + its imports', KB: kb(s.worker), target: '', 'vs target': '' },
        { part: `  crypto worker's lazy chunks (${LAZY_WORKER_CHUNKS.join(', ')}), not first-load`, KB: kb(s.workerLazy), target: '', 'vs target': '' },
        { part: 'all JS (with lazy routes)', KB: kb(s.allJs), target: '', 'vs target': '' },
        { part: 'CSS', KB: kb(s.css), target: '', 'vs target': '' },
        { part: `JS fetched by a cold navigation (${t.coldJs.length} files)`, KB: kb(fetched), target: FIRST_LOAD_TARGET_KB, 'vs target': vs(kb(fetched), FIRST_LOAD_TARGET_KB) },
      ],
    },
    {
      title: 'web: navigation to a usable conversations screen (127.0.0.1, Chromium)',
      note: `identity without passphrase, ${SEED_CONTACTS} contacts with ${SEED_MESSAGES} messages each; median of ${RUNS}; target ${USABLE_TARGET_MS} ms`,
      rows: [
        { case: 'cold: first navigation in a fresh browser (no HTTP cache, no service worker)', ms: Math.round(t.cold), target: USABLE_TARGET_MS, 'vs target': vs(t.cold, USABLE_TARGET_MS) },
        { case: 'warm reload, with service worker', ms: Math.round(t.withSw), target: USABLE_TARGET_MS, 'vs target': vs(t.withSw, USABLE_TARGET_MS) },
        { case: 'warm reload, network only (service worker blocked)', ms: Math.round(t.withoutSw), target: USABLE_TARGET_MS, 'vs target': vs(t.withoutSw, USABLE_TARGET_MS) },
      ],
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('../../bench/table.ts');
  for (const table of await benchWeb()) console.log(renderTable(table));
}
