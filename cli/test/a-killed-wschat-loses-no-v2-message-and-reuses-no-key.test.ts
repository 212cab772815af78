/**
 * Crash safety of v2 sessions with real process kills (issue: "a crash between receiving and
 * persisting neither loses the message nor reuses a key"). Alice's `wschat bridge` SIGKILLs
 * itself right before, then right after, its n-th write to the state folder
 * (WSCHAT_TEST_KILL_AT_WRITE, src/crash-seam.ts), for n = 1, 2, ... until a run ends without
 * reaching the n-th write: once while it sends a text to Bob, once while it receives one from
 * him. After each kill Bob's bridge is restarted (it resends what was not acknowledged at once,
 * rather than RESEND_INTERVAL_MS later), a plain bridge is started on Alice's home and the
 * conversation goes on (both reply, so every round takes DH and KEM ratchet steps).
 *
 * Checked:
 * - delivered: every text that Alice's history holds as sent reached Bob, every text Bob sent
 *   reached Alice; none is lost to a kill;
 * - shown once: each text is stored once in the receiver's history; Bob (whose bridges stop
 *   cleanly) was shown each one once over all his bridges; every showing of a text at Alice
 *   carries one message id (a killed bridge shows again, as backlog, what it had not acknowledged);
 * - no message key reused, on the frames the relay forwarded: each ratchet frame's header is
 *   opened with the header keys found in both state folders (polled while the test runs), which
 *   gives its chain position (ratchet key, message number); no two distinct frames share a
 *   position (a resend is the same frame, byte for byte), and no two share a nonce.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FrameKind, decodeFrame, decodeRatchet, decodeRatchetHeader, decodeRatchetState } from '@parley/generated';
import type { RunningRelay } from '@parley/relay';
import { pickBackend, toHex } from '@parley/runtime/crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { World, befriend, pair, type LongRun } from './_harness.ts';
import { recordingRelay, type Forwarded } from './_recording-relay.ts';

vi.setConfig({ testTimeout: 600_000 });

/** More writes than one bridge run makes (start, one text, its receipts, stop): the loop's bound. */
const MAX_WRITES = 40;
/**
 * Longest wait for one step. A frame the relay handed to a process that was then killed is gone
 * from the relay; the sender puts it on the wire again when it reconnects (Bob's bridge is
 * restarted after each kill for that) or RESEND_INTERVAL_MS (30 s) later, and a lost receipt
 * that opened a chain waits for the receiver's nudge (runtime README): up to two intervals.
 */
const WAIT_MS = 75_000;

/** One world (homes, processes) per case: each case pairs a new Alice and Bob. */
let w = new World();
const relays: RunningRelay[] = [];
afterEach(async () => {
  await w.cleanup();
  for (const r of relays.splice(0)) await r.close();
});

/** Every header key either home's state folder held, polled every 20 ms while a case runs. */
class HeaderKeys {
  readonly keys = new Map<string, Uint8Array>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  constructor(readonly homes: string[]) {}
  start(): void {
    this.#timer = setInterval(() => void this.poll(), 20);
  }
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.poll();
  }
  async poll(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (const home of this.homes) {
        const dir = join(home, 'state');
        for (const name of await readdir(dir).catch(() => [] as string[])) {
          if (!name.startsWith(encodeURIComponent('sv/'))) continue;
          let bytes: Buffer;
          try {
            bytes = await readFile(join(dir, name));
          } catch {
            continue; // replaced between readdir and readFile
          }
          const s = decodeRatchetState(new Uint8Array(bytes));
          for (const k of [s.sendHeader, s.recvHeader, s.nextSendHeader, s.nextRecvHeader, ...s.skipped.map((x) => x.headerKey)]) {
            if (k.length > 0) this.keys.set(toHex(k), k.slice());
          }
        }
      }
    } finally {
      this.#busy = false;
    }
  }
}

interface Position {
  frame: string;
  nonce: string;
  at: string;
}

/** Chain positions of the ratchet frames between the two identities (x keys, hex). */
async function positions(forwarded: Forwarded[], keys: Map<string, Uint8Array>): Promise<{ opened: Position[]; unopened: number }> {
  const backend = await pickBackend();
  // Headers have no associated data (spec structs.ratchet): the header key alone opens them, and
  // the direction is the one whose X25519 key sent the chain's ratchet key.
  const noAd = new Uint8Array(0);
  const opened: Position[] = [];
  let unopened = 0;
  const seen = new Set<string>();
  for (const fw of forwarded) {
    if (fw.kind !== FrameKind.ratchet) continue;
    const f = decodeFrame(fw.frame);
    // the route is the relay's (masked per connection): a resend is the same nonce, payload and signature
    const id = toHex(f.nonce) + toHex(f.sig);
    if (seen.has(id)) continue;
    seen.add(id);
    const { header } = decodeRatchet(f.payload);
    let at: string | undefined;
    for (const hk of keys.values()) {
      try {
        const h = decodeRatchetHeader(await backend.xchachaOpen(hk, f.nonce, header, noAd));
        at = `${toHex(h.ratchetKey)} #${h.number}`;
      } catch {
        // not this key
      }
      if (at) break;
    }
    if (at) opened.push({ frame: id, nonce: toHex(f.nonce), at });
    else unopened++;
  }
  return { opened, unopened };
}

type Side = 'sending' | 'receiving';

async function bridge(home: string, killAt?: string): Promise<LongRun> {
  return w.start(['bridge', '--home', home], killAt ? { env: { WSCHAT_TEST_KILL_AT_WRITE: killAt } } : {});
}

/** Resolves when `p` is killed (true) or `step` finishes (false). */
async function orKilled(p: LongRun, step: () => Promise<unknown>): Promise<boolean> {
  // a clean exit (the step's own end()) is not a kill: only SIGKILL settles this one
  const killed = p.exited.then(() => (p.child.signalCode === 'SIGKILL' ? true : new Promise<boolean>(() => undefined)));
  const done = step().then(
    () => false,
    async (err: unknown) => {
      if (await Promise.race([killed, new Promise<false>((r) => setTimeout(() => r(false), 2_000))])) return true;
      throw err;
    },
  );
  return Promise.race([killed, done]);
}

/** Polls `check` every 50 ms, for at most WAIT_MS. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let refs = 0;
async function command(p: LongRun, cmd: Record<string, unknown>): Promise<Record<string, unknown>> {
  const ref = `r${++refs}`;
  p.send(JSON.stringify({ ...cmd, ref }));
  const r = await p.event('result', (e) => e.ref === ref, WAIT_MS);
  return r.data as Record<string, unknown>;
}

/** Acknowledges every message event the bridge shows (so a restart does not show it as backlog). */
function ackAll(p: LongRun, shown: Map<string, Set<string>>): () => void {
  let at = 0;
  const pass = () => {
    for (const e of p.events.slice(at)) {
      at++;
      if (e.type !== 'message') continue;
      const ids = shown.get(e.text as string) ?? new Set<string>();
      ids.add(e.id as string);
      shown.set(e.text as string, ids);
      if (p.child.exitCode === null && p.child.signalCode === null) p.send(JSON.stringify({ type: 'ack', ids: [e.id] }));
    }
  };
  const timer = setInterval(pass, 50);
  return () => {
    clearInterval(timer);
    pass();
  };
}

async function historyTexts(p: LongRun, contact: string, dir: 'in' | 'out'): Promise<string[]> {
  const items = (await command(p, { type: 'history', contact, limit: 1000 })).items as { dir: string; kind: string; text?: string }[];
  return items.filter((i) => i.dir === dir && i.kind === 'text' && i.text !== undefined).map((i) => i.text!);
}

async function run(side: Side, when: 'before' | 'after'): Promise<void> {
  w = new World();
  const { relay, forwarded } = await recordingRelay();
  relays.push(relay);
  const { a, b } = await pair(w, relay);
  await befriend(w, a, b);
  const keys = new HeaderKeys([a, b]);
  keys.start();
  const shownAtBob = new Map<string, Set<string>>();
  const shownAtAlice = new Map<string, Set<string>>();
  const bobs: LongRun[] = [];
  let stopBob = () => undefined as void;
  const startBob = async (): Promise<LongRun> => {
    const p = await bridge(b);
    bobs.push(p);
    stopBob = ackAll(p, shownAtBob);
    await p.event('ready', undefined, WAIT_MS);
    return p;
  };
  let bob = await startBob();
  const sentByBob: string[] = [];
  const killedAt: string[] = [];
  try {
    {
      let n = 1;
      for (; n <= MAX_WRITES; n++) {
        const t = `${side} ${when} ${n}`;
        if (side === 'receiving') {
          const id = (await command(bob, { type: 'send', to: 'alice', text: t })).id as string;
          sentByBob.push(t);
          await bob.event('receipt', (e) => e.status === 'sent' && (e.ids as string[]).includes(id), WAIT_MS);
        }
        const alice = await bridge(a, `${n}:${when}`);
        const stopAlice = ackAll(alice, shownAtAlice);
        const killed = await orKilled(alice, async () => {
          await alice.event('ready', undefined, WAIT_MS);
          if (side === 'sending') await command(alice, { type: 'send', to: 'bob', text: t });
          if (side === 'sending') await bob.event('message', (e) => e.text === t, WAIT_MS);
          else await alice.event('message', (e) => e.text === t, WAIT_MS);
          await alice.end(WAIT_MS);
          if (alice.child.signalCode === 'SIGKILL') throw new Error('killed while stopping');
        });
        stopAlice();
        console.log(`${side} ${n}:${when} ${killed ? 'killed' : 'not reached'} (${forwarded.length} frames so far)`);
        if (!killed) break;
        killedAt.push(`${n}:${when}`);
        // what the killed bridge was handed and did not store comes again from Bob's outbox
        await new Promise((r) => setTimeout(r, 200));
        stopBob();
        await bob.end(WAIT_MS);
        bob = await startBob();
        // the process is gone: a plain bridge on what reached the disk, and the conversation goes on
        const again = await bridge(a);
        const stopAgain = ackAll(again, shownAtAlice);
        await again.event('ready', undefined, WAIT_MS);
        const stored = side === 'sending' && (await historyTexts(again, 'bob', 'out')).includes(t);
        console.log(`  restarted; ${side === 'sending' ? `"${t}" ${stored ? 'stored' : 'not stored'}` : ''}`);
        // stored as sent: it must arrive (maybe already at Bob's previous bridge); and the
        // received one must be shown (maybe already by the killed bridge)
        if (stored) await until(() => shownAtBob.has(t), `"${t}" shown at Bob`);
        if (side === 'receiving') await until(() => shownAtAlice.has(t), `"${t}" shown at Alice`);
        const reply = `reply to ${t}`;
        await command(bob, { type: 'send', to: 'alice', text: reply });
        sentByBob.push(reply);
        await again.event('message', (e) => e.text === reply, WAIT_MS);
        await command(again, { type: 'send', to: 'bob', text: `ok ${t}` });
        await bob.event('message', (e) => e.text === `ok ${t}`, WAIT_MS);
        await again.end(WAIT_MS);
        stopAgain();
      }
      expect(n, `a ${side} run of Alice makes fewer than ${MAX_WRITES} writes`).toBeLessThanOrEqual(MAX_WRITES);
      expect(n, `the ${when} kills reached at least the first write`).toBeGreaterThan(1);
    }
    // everything went out and is in each history once
    const check = await bridge(a);
    await check.event('ready', undefined, WAIT_MS);
    const sentByAlice = await historyTexts(check, 'bob', 'out');
    const inAtAlice = await historyTexts(check, 'bob', 'in');
    await check.end(WAIT_MS);
    const inAtBob = await historyTexts(bob, 'alice', 'in');
    for (const t of sentByAlice) expect(inAtBob.filter((x) => x === t), `"${t}" stored once at Bob`).toHaveLength(1);
    expect(inAtBob.filter((t) => !sentByAlice.includes(t)), 'Bob holds nothing Alice did not send').toEqual([]);
    for (const t of sentByBob) expect(inAtAlice.filter((x) => x === t), `"${t}" stored once at Alice`).toHaveLength(1);
    for (const [t, ids] of shownAtBob) expect(ids.size, `"${t}" shown at Bob under one id`).toBe(1);
    for (const [t, ids] of shownAtAlice) expect(ids.size, `"${t}" shown at Alice under one id`).toBe(1);
    const bobShowings = bobs.flatMap((p) => p.events.filter((e) => e.type === 'message'));
    expect(bobShowings.length, 'Bob was shown each text once over all his bridges').toBe(shownAtBob.size);
    for (const t of sentByBob) expect(shownAtAlice.has(t), `"${t}" shown at Alice`).toBe(true);
  } finally {
    stopBob();
    await keys.stop();
  }
  // no key used twice, from the frames the relay forwarded
  const { opened, unopened } = await positions(forwarded, keys.keys);
  expect(killedAt.length, 'kills happened').toBeGreaterThan(2);
  expect(opened.length, 'ratchet frames whose header the test opened').toBeGreaterThan(4 * killedAt.length);
  expect(unopened, 'every ratchet frame opened with a header key seen in a state folder').toBe(0);
  const byPosition = new Map<string, string>();
  const reused: string[] = [];
  for (const p of opened) {
    const other = byPosition.get(p.at);
    if (other !== undefined && other !== p.frame) reused.push(p.at);
    byPosition.set(p.at, p.frame);
  }
  expect(reused, 'chain positions with two distinct frames (a message key used twice)').toEqual([]);
  expect(new Set(opened.map((p) => p.nonce)).size, 'nonces').toBe(opened.length);
  console.log(`${side} ${when}: killed at ${killedAt.join(' ')}; ${opened.length} ratchet frames at ${byPosition.size} positions`);
}

describe('a wschat killed at any write of a v2 conversation', () => {
  for (const when of ['before', 'after'] as const) {
    it(`while sending, ${when} each write: nothing stored as sent is lost, shown once, no message key used twice`, () => run('sending', when));
    it(`while receiving, ${when} each write: nothing lost, shown once, no message key used twice`, () => run('receiving', when));
  }
});
