/**
 * Web app benchmark (`benchWeb()`, collected by `npm run bench`): the production bundle's size
 * (JavaScript and CSS, gzipped; first-load JS is the entry chunk and its static imports, without
 * lazy routes and the crypto worker), and the time from navigation to a usable conversations
 * screen (the app's `parley:usable` performance mark) on a relay at 127.0.0.1, median of
 * several reloads, with and without the service worker. Targets: 120 KB first-load JS, 1 s.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DIST, buildWeb, createIdentity, launch, startStack } from '../test/_harness.ts';

export const FIRST_LOAD_TARGET_KB = 120;
export const USABLE_TARGET_MS = 1000;
const RUNS = 5;

interface Chunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  css?: string[];
}

const kb = (n: number) => Math.round((n / 1024) * 10) / 10;
const gz = async (file: string) => gzipSync(await readFile(join(DIST, file)), { level: 9 }).length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Gzipped sizes from Vite's manifest (dist/.vite/manifest.json). */
export async function bundleSizes(): Promise<{ firstLoadJs: number; allJs: number; worker: number; css: number }> {
  const manifest = JSON.parse(await readFile(join(DIST, '.vite/manifest.json'), 'utf8')) as Record<string, Chunk>;
  const entry = Object.entries(manifest).find(([, c]) => c.isEntry)!;
  const first = new Set<string>();
  const cssFiles = new Set<string>();
  const visit = (key: string) => {
    const c = manifest[key]!;
    if (first.has(c.file)) return;
    first.add(c.file);
    c.css?.forEach((f) => cssFiles.add(f));
    c.imports?.forEach(visit);
  };
  visit(entry[0]);
  const js = (await readdir(join(DIST, 'assets'))).filter((f) => f.endsWith('.js')).map((f) => `assets/${f}`);
  let firstLoadJs = 0;
  for (const f of first) firstLoadJs += await gz(f);
  let allJs = 0;
  let worker = 0;
  for (const f of js) {
    const n = await gz(f);
    allJs += n;
    if (/crypto\.worker/.test(f)) worker += n;
  }
  let css = 0;
  for (const f of cssFiles) css += await gz(f);
  return { firstLoadJs, allJs, worker, css };
}

async function timeToUsable(): Promise<{ withSw: number; withoutSw: number }> {
  const relay = await startStack();
  const browser = await launch();
  try {
    const measure = async (serviceWorkers: 'allow' | 'block') => {
      const context = await browser.newContext({ baseURL: relay.httpUrl, serviceWorkers });
      const page = await context.newPage();
      await createIdentity({ name: 'bench', context, page, errors: [] });
      if (serviceWorkers === 'allow') await page.evaluate(() => navigator.serviceWorker.ready);
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await page.reload();
        await page.waitForFunction(() => performance.getEntriesByName('parley:usable').length > 0, undefined, { timeout: 15_000 });
        times.push(await page.evaluate(() => performance.getEntriesByName('parley:usable')[0]!.startTime));
      }
      await context.close();
      return median(times);
    };
    return { withSw: await measure('allow'), withoutSw: await measure('block') };
  } finally {
    await browser.close();
    await relay.close();
  }
}

export async function benchWeb(): Promise<{ title: string; rows: Record<string, string | number>[]; note?: string }[]> {
  await buildWeb();
  const s = await bundleSizes();
  const t = await timeToUsable();
  return [
    {
      title: 'web: production bundle (gzipped)',
      note: `first-load JS = entry chunk + static imports (lazy routes and the crypto worker load separately); target ${FIRST_LOAD_TARGET_KB} KB`,
      rows: [
        { part: 'first-load JS', KB: kb(s.firstLoadJs), target: FIRST_LOAD_TARGET_KB, 'vs target': kb(s.firstLoadJs) / FIRST_LOAD_TARGET_KB },
        { part: 'all JS (with lazy routes and worker)', KB: kb(s.allJs), target: '', 'vs target': '' },
        { part: 'crypto worker', KB: kb(s.worker), target: '', 'vs target': '' },
        { part: 'CSS', KB: kb(s.css), target: '', 'vs target': '' },
      ],
    },
    {
      title: 'web: navigation to a usable conversations screen (127.0.0.1, Chromium)',
      note: `median of ${RUNS} reloads of an existing identity (no passphrase); target ${USABLE_TARGET_MS} ms`,
      rows: [
        { case: 'with service worker', ms: t.withSw, target: USABLE_TARGET_MS, 'vs target': t.withSw / USABLE_TARGET_MS },
        { case: 'network only (service worker blocked)', ms: t.withoutSw, target: USABLE_TARGET_MS, 'vs target': t.withoutSw / USABLE_TARGET_MS },
      ],
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('../../bench/table.ts');
  for (const table of await benchWeb()) console.log(renderTable(table));
}
