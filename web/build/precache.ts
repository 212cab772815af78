/**
 * Vite plugin: after the build, lists every file in dist/ (the app shell: HTML, JS, CSS, the
 * worker, icons, manifest) and writes dist/sw.js (src/service-worker/sw.ts, bundled) with that list and a version
 * hash of the files' contents. A new build gets a new version; the old cache is dropped when
 * the new service worker activates. No workbox.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { build } from 'esbuild';
import type { Plugin, ResolvedConfig } from 'vite';

/** Files never precached: the service worker itself, Vite's manifest, source maps. */
const SKIP = [/^sw\.js$/, /^\.vite\//, /\.map$/];

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

/** URL paths (from the site root) of every file to precache, sorted. */
export async function shellFiles(outDir: string): Promise<string[]> {
  const files = (await walk(outDir)).map((f) => relative(outDir, f).split(sep).join('/'));
  return files.filter((f) => !SKIP.some((re) => re.test(f))).sort();
}

/**
 * src/service-worker/sw.ts bundled with what it imports (the push payload codec) as one classic script: an
 * IIFE, no import statements (the page registers it without `type: 'module'`). PRECACHE and
 * VERSION stay free variables, defined by the lines written before it.
 */
export async function serviceWorkerSource(root: string): Promise<string> {
  const out = await build({ entryPoints: [join(root, 'src/service-worker/sw.ts')], bundle: true, write: false, format: 'iife', target: 'es2022', minify: true, platform: 'browser', logLevel: 'silent' });
  return out.outputFiles[0]!.text;
}

export function precache(): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'parley-precache',
    apply: 'build',
    configResolved(c) {
      config = c;
    },
    async closeBundle() {
      const outDir = config.build.outDir;
      const files = await shellFiles(outDir);
      const hash = createHash('sha256');
      for (const f of files) hash.update(f).update(await readFile(join(outDir, f)));
      const version = hash.digest('hex').slice(0, 16);
      const urls = files.map((f) => (f === 'index.html' ? '/' : `/${f}`));
      const head = `const PRECACHE=${JSON.stringify(urls)};const VERSION=${JSON.stringify(version)};\n`;
      await writeFile(join(outDir, 'sw.js'), head + (await serviceWorkerSource(config.root)));
    },
  };
}
