/**
 * File chunks over a v2 session (issue 19): the sender stores its ratchet state once per run of
 * RATCHET_SEND_RESERVE keys (a reservation written before the run's first chunk leaves), the
 * receiver once per group of chunks, not once per chunk each; and a sender that dies in the
 * middle of a run never uses a key twice after its restart (a reused key would be refused by the
 * receiver as KEY_USED, HEADER_FAILED or DECRYPT_FAILED, and the chunk lost). Real relay on
 * 127.0.0.1, real WebSockets, FileStore and FileBlobs.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FILE_CHUNK_SIZE } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/index.ts';
import type { Store, StoreOp } from '../../src/engine/index.ts';
import { FileBlobs } from '../../src/node/file-blobs.ts';
import { FileStore } from '../../src/node/file-store.ts';
import { parseState } from '../../src/protocol/ratchet/index.ts';
import { recordingRelays, type RecordingRelay } from './_recording-relay.ts';
import { befriend, until, type TestPeer } from './_setup.ts';

const { recordingRelay, client, stop } = recordingRelays();

const isState = (op: StoreOp) => op.op === 'put' && op.key.startsWith('sv/');

/**
 * The engine's FileStore, counting the batches that store a session state (`sealWrites`: those
 * of the state alone, what a seal writes); the process "dies" at the first batch `dieWhen`
 * accepts: it and every later call fail, so nothing after it reaches the disk.
 */
class CountingStore implements Store {
  stateWrites = 0;
  sealWrites = 0;
  dead = false;
  dieWhen: ((ops: readonly StoreOp[]) => boolean) | undefined;
  /** The last state stored was a seal's (a reservation, for chunks). */
  lastWasSeal = false;
  constructor(readonly inner: FileStore) {}
  #check(): void {
    if (this.dead) throw new Error('the process died');
  }
  async get(key: string) {
    this.#check();
    return this.inner.get(key);
  }
  async put(key: string, value: Uint8Array) {
    this.#check();
    return this.inner.put(key, value);
  }
  async delete(key: string) {
    this.#check();
    return this.inner.delete(key);
  }
  async list(prefix: string) {
    this.#check();
    return this.inner.list(prefix);
  }
  async batch(ops: readonly StoreOp[]) {
    this.#check();
    if (this.dieWhen?.(ops)) {
      this.dead = true;
      throw new Error('the process died');
    }
    if (ops.some(isState)) {
      this.stateWrites++;
      this.lastWasSeal = ops.length === 1;
      if (this.lastWasSeal) this.sealWrites++;
    }
    return this.inner.batch(ops);
  }
}

async function device(r: RecordingRelay, dir?: string, identity?: TestPeer['identity']): Promise<TestPeer & { counting: CountingStore; dir: string }> {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'parley-v2-files-')));
  const counting = new CountingStore(await FileStore.open(join(d, 'state'), { fsync: false }));
  const blobs = await FileBlobs.open(join(d, 'blobs'), { fsync: false });
  const p = await client(r, { dir: d, store: counting, blobs, ...(identity ? { identity } : {}) });
  return Object.assign(p, { counting, dir: d });
}

const BAD = new Set(['KEY_USED', 'HEADER_FAILED', 'DECRYPT_FAILED', 'NO_SESSION', 'DOWNGRADE', 'JUMP_TOO_LARGE']);

describe('file chunks over a v2 session', () => {
  it('store the ratchet state once per run of reserved keys (sender) and once per group (receiver), not once per chunk', async () => {
    const r = await recordingRelay();
    const a = await device(r);
    const b = await device(r);
    const { aSeesB } = await befriend(a, b);
    expect(a.engine.protection(aSeesB.key).version).toBe(2);
    const chunks = 128;
    const bytes = randomBytes(chunks * FILE_CHUNK_SIZE - 1234);
    const [aSeals, aStates, bStates] = [a.counting.sealWrites, a.counting.stateWrites, b.counting.stateWrites];
    await a.engine.sendFile(aSeesB.key, { name: 'big.bin', bytes });
    await until(() => b.of('file').length === 1, 120_000, 'the file');
    expect(Buffer.from(b.of('file')[0]!.bytes!).equals(Buffer.from(bytes))).toBe(true);
    // one state write per chunk on either side would be >= 128
    const sealed = a.counting.sealWrites - aSeals;
    expect(sealed, 'seal-only state writes of the sender').toBeGreaterThan(0);
    expect(sealed).toBeLessThan(chunks / 2);
    expect(a.counting.stateWrites - aStates, 'state writes of the sender').toBeLessThan(chunks / 2);
    expect(b.counting.stateWrites - bStates, 'state writes of the receiver').toBeLessThan(chunks / 2);
    expect([...a.of('dropped'), ...b.of('dropped')].filter((d) => BAD.has(d.code))).toEqual([]);
  }, 180_000);

  it('a sender that dies after reserving keys resumes on keys it never used: every chunk opens, the file is whole', async () => {
    const r = await recordingRelay();
    const a = await device(r);
    const b = await device(r);
    const { aSeesB } = await befriend(a, b);
    const chunks = 160;
    const bytes = randomBytes(chunks * FILE_CHUNK_SIZE - 99);
    await a.engine.sendFile(aSeesB.key, { name: 'video.bin', bytes });
    const got = () => Math.max(0, ...b.of('file-progress').map((p) => p.chunks));
    await until(() => got() > 0, 120_000, 'the first group stored');
    // dies when it next stores what a receipt changed (the state with the receipt's record): the
    // stored state is then a reservation, ahead of the chunks that left under it
    a.counting.dieWhen = (ops) => ops.length > 1 && ops.some(isState) && a.counting.lastWasSeal;
    await until(() => a.counting.dead, 120_000, 'the sender died');
    const before = got();
    await stop(a);
    const disk = await FileStore.open(join(a.dir, 'state'), { fsync: false });
    const stored = parseState((await disk.get(`sv/${aSeesB.key}`))!);
    await disk.close();
    expect(stored.kemRearm, 'the stored state is a reservation (re-armed, ahead of the chunks sent)').toBe(1);
    const again = await device(r, a.dir, a.identity);
    await until(() => b.of('file').length === 1, 120_000, 'the file after the restart');
    expect(Buffer.from(b.of('file')[0]!.bytes!).equals(Buffer.from(bytes))).toBe(true);
    expect(before, 'the receiver held part of the file before the crash').toBeLessThan(chunks);
    // a key used twice would be refused here (and its chunk lost until a resend under a fresh one)
    const bad = [...a.of('dropped'), ...again.of('dropped'), ...b.of('dropped')].filter((d) => BAD.has(d.code));
    expect(bad).toEqual([]);
    expect(again.engine.protection(aSeesB.key).version).toBe(2);
  }, 240_000);
});
