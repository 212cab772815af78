/**
 * End-to-end harness (e2e.test.ts, bench/web.bench.ts): builds web/dist with Vite once per
 * process, starts a real relay on 127.0.0.1 port 0 serving it, and drives headless Debian
 * Chromium through playwright-core (never a downloaded browser: `apt-get install -y chromium`).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startRelay, type RunningRelay } from '@parley/relay';
import { qrMatrix } from '../src/ui-thread/qr.ts';

export const WEB_DIR = fileURLToPath(new URL('..', import.meta.url));
export const DIST = fileURLToPath(new URL('../dist', import.meta.url));
export const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-background-networking', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

let built: Promise<void> | undefined;

/**
 * `vite build` once per process, and only when web/dist is older than the app's sources; test
 * files run in parallel processes, so a lock folder keeps two builds from writing dist at once.
 */
export function buildWeb(): Promise<void> {
  return (built ??= withBuildLock(async () => {
    if (!distIsStale()) return;
    await viteBuild();
  }));
}

const BUILD_LOCK = join(tmpdir(), `parley-web-build-${createHash('sha256').update(WEB_DIR).digest('hex').slice(0, 12)}.lock`);
const BUILD_LOCK_STALE_MS = 5 * 60_000;

async function withBuildLock(fn: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + BUILD_LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK, { recursive: false });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (statSync(BUILD_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > BUILD_LOCK_STALE_MS || Date.now() > deadline) rmSync(BUILD_LOCK, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    await fn();
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

function newest(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((t, name) => Math.max(t, newest(join(path, name))), st.mtimeMs);
}

function distIsStale(): boolean {
  const built = statSync(join(DIST, 'sw.js'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sources = ['src', 'public', 'build', 'index.html', 'vite.config.ts', 'package.json'].map((p) => newest(join(WEB_DIR, p)));
  return built === 0 || Math.max(...sources, newest(fileURLToPath(new URL('../../generated/src', import.meta.url))), newest(fileURLToPath(new URL('../../runtime/src', import.meta.url)))) > built;
}

/** `vite build` in a child process (Vite 7 of web/, not the root's). */
function viteBuild(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const vite = fileURLToPath(new URL('../node_modules/vite/bin/vite.js', import.meta.url));
    const bin = existsSync(vite) ? vite : fileURLToPath(new URL('../../node_modules/vite/bin/vite.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'build', '--logLevel', 'warn'], { cwd: WEB_DIR, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build failed (${code}):\n${out.slice(-4000)}`))));
  });
}

export async function startStack(): Promise<RunningRelay> {
  return startRelay({ port: 0, host: '127.0.0.1', webRoot: DIST, logLevel: 'silent', limits: { shutdownRetryAfterMs: 0 } });
}

export function launch(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set PARLEY_CHROMIUM)`);
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs], timeout: 30_000 });
}

/**
 * A one-frame Y4M video (YUV 4:2:0) showing the QR code of `text`, for Chromium's fake camera
 * (`--use-file-for-fake-video-capture=<file>`).
 */
export async function writeQrVideo(text: string, file: string, width = 640, height = 480): Promise<void> {
  const m = qrMatrix(text);
  const scale = Math.floor(Math.min(width, height) / m.length);
  const x0 = Math.floor((width - m.length * scale) / 2);
  const y0 = Math.floor((height - m.length * scale) / 2);
  const y = new Uint8Array(width * height).fill(235);
  for (let r = 0; r < m.length * scale; r++)
    for (let c = 0; c < m.length * scale; c++) if (m[Math.floor(r / scale)]![Math.floor(c / scale)]) y[(y0 + r) * width + x0 + c] = 16;
  const chroma = new Uint8Array((width / 2) * (height / 2) * 2).fill(128);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\nFRAME\n`);
  await writeFile(file, Buffer.concat([header, y, chroma]));
}

/** The two sizes every screenshot is taken at: a common laptop, and a common phone (CSS px). */
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export interface User {
  name: string;
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors seen so far (CSP violations included). */
  errors: string[];
}

export async function openUser(browser: Browser, base: string, name: string, viewport = DESKTOP): Promise<User> {
  const context = await browser.newContext({ viewport, baseURL: base });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  return { name, context, page, errors };
}

/** Onboarding: a name and, optionally, a passphrase; resolves once the main screen shows. */
export async function createIdentity(u: User, passphrase?: string): Promise<void> {
  const p = u.page;
  await p.goto('/');
  await p.getByLabel('Your name').fill(u.name);
  if (passphrase) {
    await p.getByLabel('Protect my keys with a passphrase').check();
    await p.getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await p.getByLabel('Repeat passphrase').fill(passphrase);
  }
  await p.getByRole('button', { name: 'Create my identity' }).click();
  await p.getByTestId('app-ready').waitFor({ timeout: 30_000 });
  await waitOnline(u);
}

export async function waitOnline(u: User, timeout = 15_000): Promise<void> {
  await u.page.locator('[data-testid="connection"][data-state="online"]').waitFor({ timeout });
}

export function message(u: User, text: string) {
  return u.page.getByTestId('message').filter({ hasText: text });
}

export async function send(u: User, text: string): Promise<void> {
  await u.page.getByLabel('Message', { exact: true }).fill(text);
  await u.page.getByLabel('Message', { exact: true }).press('Enter');
}

export async function shot(u: User, name: string): Promise<void> {
  await u.page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
}

/** Runs axe-core in the page (evaluated, so the app's CSP does not apply) and returns serious and critical violations. */
export async function axe(page: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const result = await page.evaluate(async () => {
    const a = (window as unknown as { axe: { run(o: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    return a.run({ resultTypes: ['violations'] });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

/**
 * What `selector`'s elements cover: every visible control (button, link, input, select,
 * textarea) and heading whose box intersects one of theirs, described by tag and text. Empty
 * when nothing is covered. Elements inside `selector` itself do not count.
 */
export async function covered(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const tops = Array.from(document.querySelectorAll(sel)).filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0;
    });
    const hits: string[] = [];
    for (const el of Array.from(document.querySelectorAll('button, a[href], input, select, textarea, h1, h2, h3, [role="button"]'))) {
      if (tops.some((t) => t === el || t.contains(el) || el.contains(t))) continue;
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || style.visibility === 'hidden' || style.opacity === '0') continue;
      for (const t of tops) {
        const q = t.getBoundingClientRect();
        if (r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom) hits.push(`${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 40) || el.getAttribute('aria-label') || ''}"`);
      }
    }
    return hits;
  }, selector);
}

/**
 * The controls inside `scope` that a person cannot fully see or press: for every visible
 * control larger than 1 px (button, link, input, select, textarea, [role="button"]), five points (its centre and
 * four points a quarter in from its corners) must lie in the viewport and hit the control
 * itself (or something inside it) when the browser hit-tests them. Whatever covers it, from
 * inside the scope or outside, or a layout that pushes it off screen, shows up here, described
 * by tag and text. Empty when every control is free.
 */
export async function obstructed(page: Page, scope: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const root = document.querySelector(sel);
    if (!root) return [`no element matches ${sel}`];
    const hits: string[] = [];
    const name = (el: Element) => `${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 40) || el.getAttribute('aria-label') || ''}"`;
    for (const el of Array.from(root.querySelectorAll('button, a[href], input, select, textarea, [role="button"]'))) {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      // visually hidden ones (1 px, clipped: a file input inside its label) are pressed through their label
      if (r.width <= 1 || r.height <= 1 || style.visibility === 'hidden' || style.display === 'none') continue;
      const points = [
        [r.left + r.width / 2, r.top + r.height / 2],
        [r.left + r.width / 4, r.top + r.height / 4],
        [r.right - r.width / 4, r.top + r.height / 4],
        [r.left + r.width / 4, r.bottom - r.height / 4],
        [r.right - r.width / 4, r.bottom - r.height / 4],
      ] as const;
      for (const [x, y] of points) {
        if (x < 0 || y < 0 || x >= window.innerWidth || y >= window.innerHeight) {
          hits.push(`${name(el)} off screen at ${Math.round(x)},${Math.round(y)}`);
          break;
        }
        const top = document.elementFromPoint(x, y);
        if (top && top !== el && !el.contains(top)) {
          hits.push(`${name(el)} under ${name(top)} at ${Math.round(x)},${Math.round(y)}`);
          break;
        }
      }
    }
    return hits;
  }, scope);
}
