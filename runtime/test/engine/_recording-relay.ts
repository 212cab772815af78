/**
 * The real relay (relay/src, real sockets on 127.0.0.1, port 0) with its session layer observed
 * (`@parley/test-kit/recording`), so a test sees every frame the relay forwarded, as the relay
 * holds it (route = recipient id), and can play the relay as an attacker: alter a frame in
 * flight (a forged frame). Engines use FileStores in temporary folders, so their persisted bytes
 * can be read.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Layouts, SIG_SIZE, decodeFrame } from '@parley/generated';
import type { RunningRelay } from '@parley/relay';
import { observedRelay } from '@parley/test-kit/recording';
import { afterEach } from 'vitest';
import { toHex } from '../../src/crypto/index.ts';
import type { EngineOptions } from '../../src/engine/index.ts';
import { FileStore } from '../../src/node/file-store.ts';
import { NodeWsTransport } from '../../src/node/ws-transport.ts';
import { online, peer, type TestPeer } from './_setup.ts';

/** A frame the relay forwarded: sender and recipient ids (hex), kind, bytes (route = recipient id). */
export interface Forwarded {
  from: string;
  to: string;
  kind: number;
  frame: Uint8Array;
}

const ROUTE = Layouts.frame.fields.find((f) => f.id === 'route')!.size!;

export interface RecordingRelay {
  relay: RunningRelay;
  keys: { url: string; x: Uint8Array; ed: Uint8Array };
  forwarded: Forwarded[];
  between(from: string, to: string): Forwarded[];
  /** Before a frame is forwarded: return true to have it altered in flight (one payload byte flipped). */
  tamper: ((f: Forwarded) => boolean) | undefined;
}

/**
 * Per test file: `recordingRelay()` starts a relay; `client(r, o)` a started, online engine on a
 * FileStore (`dirOf(p)` is its folder); `reopen(p)` stops it and starts it again on the same
 * folder. Everything is stopped and removed after each test.
 */
export function recordingRelays() {
  const relays: RunningRelay[] = [];
  const running: TestPeer[] = [];
  const dirs: string[] = [];
  const dirOf = new Map<TestPeer, string>();
  afterEach(async () => {
    for (const p of running.splice(0)) await p.engine.stop();
    for (const r of relays.splice(0)) await r.close();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  async function recordingRelay(): Promise<RecordingRelay> {
    const rec = { forwarded: [] as Forwarded[], tamper: undefined } as unknown as RecordingRelay;
    const relay = await observedRelay((frame, senderId) => {
      const copy = frame.slice();
      const f: Forwarded = { from: toHex(senderId), to: toHex(copy.subarray(0, ROUTE)), kind: decodeFrame(copy).kind, frame: copy };
      if (rec.tamper?.(f)) frame[frame.length - SIG_SIZE - 1]! ^= 1; // the payload's last byte: the signature no longer verifies
      rec.forwarded.push(f);
    });
    relays.push(relay);
    rec.relay = relay;
    rec.keys = { url: relay.url, x: relay.publicKeys.x, ed: relay.publicKeys.ed };
    rec.between = (from, to) => rec.forwarded.filter((f) => f.from === from && f.to === to);
    return rec;
  }
  async function client(r: RecordingRelay, o: Partial<EngineOptions> & { name?: string; dir?: string } = {}): Promise<TestPeer> {
    let dir = o.dir;
    if (dir === undefined) {
      dir = await mkdtemp(join(tmpdir(), 'parley-v2-'));
      dirs.push(dir);
    }
    const store = o.store ?? (await FileStore.open(join(dir, 'state'), { fsync: false }));
    const p = await peer({ keys: r.keys, transport: () => new NodeWsTransport() }, { ...o, store });
    dirOf.set(p, dir);
    running.push(p);
    await p.engine.start();
    await online(p);
    return p;
  }
  async function stop(p: TestPeer): Promise<void> {
    const at = running.indexOf(p);
    if (at >= 0) running.splice(at, 1);
    await p.engine.stop();
    await p.store.close?.();
  }
  async function reopen(r: RecordingRelay, p: TestPeer, o: Partial<EngineOptions> = {}): Promise<TestPeer> {
    await stop(p);
    return client(r, { identity: p.identity, dir: dirOf.get(p)!, name: 'again', ...o });
  }
  /** Every byte the engine's FileStore holds on disk (all files of its folder, journal included). */
  async function diskBytes(p: TestPeer): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(d, e.name));
        else out.push(new Uint8Array(await readFile(join(d, e.name))));
      }
    };
    await walk(dirOf.get(p)!);
    return out;
  }
  return { recordingRelay, client, stop, reopen, diskBytes, dir: (p: TestPeer) => dirOf.get(p)! };
}

/** True if `needle` occurs in any of `hay`. */
export function contains(hay: readonly Uint8Array[], needle: Uint8Array): boolean {
  return hay.some((h) => Buffer.from(h.buffer, h.byteOffset, h.length).indexOf(Buffer.from(needle)) >= 0);
}
