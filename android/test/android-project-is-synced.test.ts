/**
 * The Android project (android/android, Capacitor 7), checked without an Android SDK: runs the
 * sync (`node android/scripts/sync.mjs --skip-build`, i.e. `cap sync android`, offline; web/dist
 * is built first only if missing), then reads what Gradle would build from: the manifest
 * (exactly the permissions the app uses, the invite intent filters, our push service), the app
 * id in capacitor.config.json and build.gradle, the plugins, and the bundled web app, which must
 * equal web/dist byte for byte.
 *
 * web/dist may be rebuilt by the web end-to-end test at the same time (the same deterministic
 * bytes, but the folder is emptied first): the sync and the comparison wait for a stable folder.
 */
import { DOMParser, type Element } from '@xmldom/xmldom';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FCM_PAYLOAD_KEY, INVITE_URI_PREFIX, PUSH_PAYLOAD_SIZE, WakeReason } from '@parley/generated';
import { beforeAll, describe, expect, it } from 'vitest';

const ANDROID = fileURLToPath(new URL('..', import.meta.url));
const ROOT = join(ANDROID, '..');
const DIST = join(ROOT, 'web', 'dist');
const APP = join(ANDROID, 'android', 'app');
const MAIN = join(APP, 'src', 'main');
const PUBLIC = join(MAIN, 'assets', 'public');
const JAVA = join(MAIN, 'java', 'app', 'parley', 'messenger');
const APP_ID = 'app.parley.messenger';
const TOOLS = 'http://schemas.android.com/tools';
const A = 'http://schemas.android.com/apk/res/android';

/** What `cap sync` adds to the web app: Capacitor's Cordova compatibility files. */
const CAPACITOR_FILES = ['cordova.js', 'cordova_plugins.js'];

/** Relative path → sha256 of every file under `dir` (but `skip`). */
function tree(dir: string, skip: readonly string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!skip.includes(relative(dir, p))) out.set(relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}
const same = (a: Map<string, string>, b: Map<string, string>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** web/dist once it has an index.html and has not changed for a second and a half. */
async function stableDist(deadline: number): Promise<Map<string, string>> {
  for (;;) {
    const a = tree(DIST);
    await sleep(1500);
    const b = tree(DIST);
    if (a.has('index.html') && a.has('sw.js') && same(a, b)) return b;
    if (Date.now() > deadline) throw new Error('web/dist did not settle');
  }
}

let dist: Map<string, string>;
let bundled: Map<string, string>;

beforeAll(async () => {
  const deadline = Date.now() + 200_000;
  for (let attempt = 1; ; attempt++) {
    if (existsSync(join(DIST, 'index.html'))) await stableDist(deadline);
    const r = spawnSync(process.execPath, [join(ANDROID, 'scripts', 'sync.mjs'), '--skip-build'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    const settled = r.status === 0 ? await stableDist(deadline) : undefined;
    bundled = tree(PUBLIC, CAPACITOR_FILES);
    if (settled && same(settled, bundled)) {
      dist = settled;
      return;
    }
    if (attempt >= 4 || Date.now() > deadline) {
      dist = settled ?? tree(DIST);
      if (r.status !== 0) throw new Error(`android:sync failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
      return;
    }
  }
}, 240_000);

function xml(file: string) {
  return new DOMParser().parseFromString(readFileSync(file, 'utf8'), 'text/xml');
}
const children = (el: Element, tag: string): Element[] => Array.from(el.getElementsByTagName(tag));
const attr = (el: Element, name: string) => el.getAttributeNS(A, name) ?? '';

describe('the Android project', () => {
  const manifest = () => xml(join(MAIN, 'AndroidManifest.xml')).documentElement!;
  const activity = () => children(manifest(), 'activity').find((a) => attr(a, 'name') === '.MainActivity')!;
  const filters = () =>
    children(activity(), 'intent-filter').map((f) => ({
      actions: children(f, 'action').map((x) => attr(x, 'name')),
      categories: children(f, 'category').map((x) => attr(x, 'name')).sort(),
      data: children(f, 'data').map((d) => ({ scheme: attr(d, 'scheme'), host: attr(d, 'host'), path: attr(d, 'path') })),
      autoVerify: attr(f, 'autoVerify'),
    }));

  it('asks for exactly the permissions the app uses, and needs no camera or microphone to install', () => {
    const perms = children(manifest(), 'uses-permission').map((p) => attr(p, 'name'));
    expect(perms.sort()).toEqual(['CAMERA', 'INTERNET', 'MODIFY_AUDIO_SETTINGS', 'POST_NOTIFICATIONS', 'RECORD_AUDIO'].map((p) => `android.permission.${p}`));
    const features = Object.fromEntries(children(manifest(), 'uses-feature').map((f) => [attr(f, 'name'), attr(f, 'required')]));
    expect(features).toEqual({ 'android.hardware.camera': 'false', 'android.hardware.microphone': 'false' });
  });

  it('opens invite URIs (parley:) and https invite links on the configured host (App Links)', () => {
    const view = filters().filter((f) => f.actions.includes('android.intent.action.VIEW'));
    const browsable = ['android.intent.category.BROWSABLE', 'android.intent.category.DEFAULT'];
    const scheme = INVITE_URI_PREFIX.slice(0, INVITE_URI_PREFIX.indexOf(':'));
    expect(scheme).toBe('parley');
    expect(view).toContainEqual({ actions: ['android.intent.action.VIEW'], categories: browsable, data: [{ scheme, host: '', path: '' }], autoVerify: '' });
    expect(view).toContainEqual({ actions: ['android.intent.action.VIEW'], categories: browsable, data: [{ scheme: 'https', host: '${parleyHost}', path: '/' }], autoVerify: 'true' });
    expect(view).toHaveLength(2);
    expect(readFileSync(join(APP, 'build.gradle'), 'utf8')).toMatch(/manifestPlaceholders = \[parleyHost: parleyHost\]/);
  });

  it("shows data-only pushes with its own messaging service, in place of the plugin's", () => {
    const services = children(manifest(), 'service');
    const removed = services.find((s) => attr(s, 'name') === 'com.capacitorjs.plugins.pushnotifications.MessagingService');
    expect(removed?.getAttributeNS(TOOLS, 'node')).toBe('remove');
    const ours = services.find((s) => attr(s, 'name') === '.ParleyMessagingService')!;
    expect(attr(ours, 'exported')).toBe('false');
    expect(children(ours, 'action').map((x) => attr(x, 'name'))).toEqual(['com.google.firebase.MESSAGING_EVENT']);
    // the Java decoder agrees with the spec's push_payload
    const java = readFileSync(join(JAVA, 'ParleyMessagingService.java'), 'utf8');
    expect(java).toContain(`PUSH_PAYLOAD_SIZE = ${PUSH_PAYLOAD_SIZE};`);
    expect(java).toContain(`REASON_MESSAGE = ${WakeReason.message};`);
    expect(java).toContain(`REASON_CALL = ${WakeReason.call};`);
    expect(java).toContain(`FCM_PAYLOAD_KEY = "${FCM_PAYLOAD_KEY}";`);
    expect(java).toContain('getData().get(FCM_PAYLOAD_KEY)');
  });

  it(`is ${APP_ID}, named Parley, in Capacitor's config, the synced copy and build.gradle`, () => {
    const config = JSON.parse(readFileSync(join(ANDROID, 'capacitor.config.json'), 'utf8'));
    expect(config).toMatchObject({ appId: APP_ID, appName: 'Parley', webDir: '../web/dist' });
    expect(JSON.parse(readFileSync(join(MAIN, 'assets', 'capacitor.config.json'), 'utf8'))).toMatchObject({ appId: APP_ID, appName: 'Parley' });
    const gradle = readFileSync(join(APP, 'build.gradle'), 'utf8');
    expect(gradle).toMatch(new RegExp(`applicationId "${APP_ID.replaceAll('.', '\\.')}"`));
    expect(gradle).toMatch(new RegExp(`namespace "${APP_ID.replaceAll('.', '\\.')}"`));
    expect(readFileSync(join(JAVA, 'MainActivity.java'), 'utf8')).toMatch(new RegExp(`^package ${APP_ID.replaceAll('.', '\\.')};`, 'm'));
  });

  it('wires the plugins: App and PushNotifications from npm, ParleyCall from MainActivity', () => {
    const plugins = JSON.parse(readFileSync(join(MAIN, 'assets', 'capacitor.plugins.json'), 'utf8')) as { pkg: string }[];
    expect(plugins.map((p) => p.pkg).sort()).toEqual(['@capacitor/app', '@capacitor/push-notifications']);
    const settings = readFileSync(join(ANDROID, 'android', 'capacitor.settings.gradle'), 'utf8');
    for (const p of ['capacitor-android', 'capacitor-app', 'capacitor-push-notifications']) expect(settings).toContain(`include ':${p}'`);
    expect(readFileSync(join(JAVA, 'MainActivity.java'), 'utf8')).toContain('registerPlugin(CallPlugin.class)');
    expect(readFileSync(join(JAVA, 'CallPlugin.java'), 'utf8')).toContain('@CapacitorPlugin(name = "ParleyCall")');
    expect(readFileSync(join(ROOT, 'web', 'src', 'ui-thread', 'native.ts'), 'utf8')).toContain("registerPlugin<CallPlugin>('ParleyCall')");
  });

  it('bundles web/dist byte for byte (android/app/src/main/assets/public, plus Capacitor\'s cordova.js files)', () => {
    expect(dist.has('index.html')).toBe(true);
    expect([...bundled.keys()].sort()).toEqual([...dist.keys()].sort());
    for (const [file, hash] of dist) expect(bundled.get(file), file).toBe(hash);
    for (const f of CAPACITOR_FILES) expect(dist.has(f) || existsSync(join(PUBLIC, f)), f).toBe(true);
  });
});
