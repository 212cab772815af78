/**
 * Push registration runs on a v2 session, and a notifier killed at any write keeps it. The
 * notifier runs as its own process (`notifier start`) and SIGKILLs itself right before, then
 * right after, the n-th write of its engine store (NOTIFIER_TEST_KILL_AT_WRITE), n = 1, 2, ...
 * until a run ends without reaching it; each run takes one new registration. After each kill a
 * plain notifier is started on the same data folder and the client's engine reconnects (it
 * sends again what was not acknowledged).
 *
 * Checked: every registration the client sent is in the notifier's registration store once it
 * was acknowledged, none is lost to a kill (the notifier writes it before the engine records
 * the message and its ratchet state, and the resend writes it again); the client never refuses
 * a frame of the notifier for a used or unknown key (a reused sending key, or a receiving state
 * that went backwards, would show as KEY_USED / HEADER_FAILED / DECRYPT_FAILED); both ends of
 * the conversation are on protocol v2, post-quantum after the first round trip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHex } from '@parley/runtime';
import { FileStore } from '@parley/runtime/node';
import { afterEach, describe, expect, it } from 'vitest';
import { buildWebPushRegistration, parseNotifierInfo, registerWithNotifier } from '../src/client.ts';
import { generateKeys } from '../src/keys.ts';
import { RegistrationStore } from '../src/registrations.ts';
import { LoopbackPushService, Scope, client, relayFor, until, type Client } from '@parley/test-kit/notifier';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/notifier.js');
const MAX_WRITES = 40;
/** A frame lost with a killed notifier is resent at the client's reconnect; a lost receipt that opened a chain waits for the nudge (up to two RESEND_INTERVAL_MS). */
const WAIT_MS = 75_000;
const BAD = new Set(['KEY_USED', 'HEADER_FAILED', 'DECRYPT_FAILED', 'NO_SESSION', 'DOWNGRADE']);

const scope = new Scope();
afterEach(() => scope.cleanup());

interface Child {
  proc: ChildProcess;
  out: string;
  exited: Promise<void>;
}

function startNotifierProcess(env: Record<string, string>, killAt?: string): Child {
  const proc = spawn(process.execPath, [BIN, 'start'], {
    env: { ...process.env, ...env, ...(killAt ? { NOTIFIER_TEST_KILL_AT_WRITE: killAt } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const c: Child = { proc, out: '', exited: new Promise((r) => proc.on('exit', () => r())) };
  proc.stdout!.on('data', (d: Buffer) => (c.out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (c.out += d.toString()));
  return c;
}

const started = (c: Child) => {
  if (c.proc.exitCode !== null) throw new Error(`the notifier exited (${c.proc.exitCode}):\n${c.out}`);
  return c.out.includes('notifier started');
};
const killed = (c: Child) => c.proc.signalCode === 'SIGKILL';

async function stop(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill('SIGTERM');
  const t = setTimeout(() => c.proc.kill('SIGKILL'), 15_000);
  await c.exited;
  clearTimeout(t);
}

async function run(when: 'before' | 'after'): Promise<void> {
  const dir = await scope.dir();
  const keys = await generateKeys({ keyFile: join(dir, 'notifier.key'), vapidKeyFile: join(dir, 'vapid.key') });
  const push = await LoopbackPushService.start();
  scope.add(() => push.close(), undefined);
  const relay = await relayFor(scope, keys.identity.x);
  const env = {
    RELAY_URL: relay.url,
    RELAY_X: toHex(relay.publicKeys.x),
    RELAY_ED: toHex(relay.publicKeys.ed),
    VAPID_SUBJECT: 'mailto:ops@parley.test',
    NOTIFIER_DATA: dir,
    WEBPUSH_ALLOWED_ORIGINS: push.origin,
    NOTIFIER_MAX_REGISTRATIONS_PER_SENDER: '64',
    LOG_LEVEL: 'info',
  };
  let notifier = startNotifierProcess(env);
  scope.add(() => stop(notifier), undefined);
  await until(() => started(notifier), WAIT_MS, `the notifier started\n${notifier.out}`);
  const info = parseNotifierInfo(JSON.parse(readFileSync(join(dir, 'notifier.json'), 'utf8')));

  // the push client's state folder, kept across its restarts
  const store = await FileStore.open(join(await scope.dir(), 'state'), { fsync: false });
  let p: Client = await client(scope, relay, 'push', { registerWake: false, store });
  const identity = p.identity;
  const dropped: string[] = [];
  const watch = (c: Client) => c.engine.on('dropped', (d) => void (BAD.has(d.code) && dropped.push(`${d.code}: ${d.message}`)));
  watch(p);
  const sub = push.subscribe();
  const tags: Uint8Array[] = [];
  const register = async (c: Client) => {
    const tag = new Uint8Array(16).fill(0);
    tag.set(new TextEncoder().encode(`${when}${tags.length}`.padEnd(16, '.')).subarray(0, 16));
    tags.push(tag);
    await registerWithNotifier(c.engine, info, buildWebPushRegistration(sub, tag));
  };
  // the first registration also makes the notifier a contact (through one of its invites)
  await register(p);
  await until(() => p.engine.outboxSize === 0, WAIT_MS, 'the first registration acknowledged');
  await stop(notifier);

  const kills: number[] = [];
  let n = 1;
  for (; n <= MAX_WRITES; n++) {
    notifier = startNotifierProcess(env, `${n}:${when}`);
    await until(() => started(notifier) || killed(notifier), WAIT_MS, `the notifier started or died\n${notifier.out}`);
    if (!killed(notifier)) {
      await register(p);
      await until(() => killed(notifier) || p.engine.outboxSize === 0, WAIT_MS, `registration ${tags.length} acknowledged or the notifier killed`);
    }
    if (!killed(notifier)) {
      await stop(notifier);
      if (!killed(notifier)) break; // the n-th write did not come: every write point was tried
    }
    kills.push(n);
    // a plain notifier on the same folder; the client reconnects and sends again what is unacknowledged
    notifier = startNotifierProcess(env);
    await until(() => started(notifier), WAIT_MS, `the notifier started again\n${notifier.out}`);
    await p.engine.stop();
    p = await client(scope, relay, 'push', { identity, registerWake: false, store });
    watch(p);
    await until(() => p.engine.outboxSize === 0, WAIT_MS, `registration ${tags.length} acknowledged after the kill at write ${n}`);
    await stop(notifier);
  }
  console.log(`${when}: killed at writes ${kills.join(', ')}; ${tags.length} registrations`);
  expect(n, `one notifier run makes fewer than ${MAX_WRITES} writes`).toBeLessThanOrEqual(MAX_WRITES);
  expect(kills.length, 'kills happened').toBeGreaterThan(1);

  // every acknowledged registration is stored; nothing was refused for a key
  const regs = RegistrationStore.open(dir, { maxRegistrations: 1000, maxPerSender: 64, fsync: false });
  const missing = tags.filter((t) => regs.get(toHex(t)) === undefined).map((t) => new TextDecoder().decode(t));
  regs.close();
  expect(missing, `registrations lost (kills at writes ${kills.join(', ')})`).toEqual([]);
  expect(dropped).toEqual([]);
  // the conversation with the notifier is a v2 session, post-quantum after its round trips
  const protection = p.engine.protection(info.x);
  expect(protection).toMatchObject({ version: 2, forwardSecrecy: true, postQuantum: true });
}

describe('a notifier killed at any store write', () => {
  it('before each write: every registration kept, over v2, no key used twice', { timeout: 900_000 }, () => run('before'));
  it('after each write: every registration kept, over v2, no key used twice', { timeout: 900_000 }, () => run('after'));
});
