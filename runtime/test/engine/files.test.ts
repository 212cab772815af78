import { FILE_ACK_GROUP_CHUNKS, FILE_CHUNK_SIZE, FILE_ID_SIZE, FileCancelReason, FrameKind, MessageType, REPLAY_WINDOW_MS, deriveFileDigest } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { deriveKey, fromHex, keyedHash, randomBytes } from '../../src/crypto/index.ts';
import { fileDigest } from '../../src/engine/files.ts';
import { K } from '../../src/engine/records.ts';
import { MemoryStore } from '../../src/engine/storage.ts';
import { befriend, fakeRelay, peer, runningPeers, settle, until, waitFor } from './_setup.ts';

const { running, started, friends } = runningPeers();

describe('file transfer', () => {
  it('the streamed digest is the spec derivation file_digest', () => {
    for (const n of [0, 1, FILE_CHUNK_SIZE - 1, FILE_CHUNK_SIZE, 3 * FILE_CHUNK_SIZE + 17]) {
      const content = randomBytes(n);
      expect(fileDigest(content)).toEqual(deriveFileDigest({ deriveKey, keyedHash }, { content }));
    }
  });

  it('5 MiB arrive intact, with progress on both sides', async () => {
    const { a, b, aSeesB, bSeesA } = await friends();
    const bytes = randomBytes(5 * 1024 * 1024);
    const done = waitFor(b.engine, 'file', () => true, 60_000);
    const { fileId } = await a.engine.sendFile(aSeesB.key, { name: '../../etc/report.bin', mime: 'application/octet-stream', bytes });
    const file = await done;
    expect(file.fileId).toBe(fileId);
    expect(file.name).toBe('report.bin'); // no path survives
    expect(file.bytes!.length).toBe(bytes.length);
    expect(Buffer.from(file.bytes!).equals(Buffer.from(bytes))).toBe(true);
    const chunks = Math.ceil(bytes.length / FILE_CHUNK_SIZE);
    const inProgress = b.of('file-progress').filter((p) => p.fileId === fileId);
    expect(inProgress.at(-1)).toMatchObject({ direction: 'in', chunks, totalChunks: chunks, bytes: bytes.length, size: bytes.length });
    // from 0 up to every chunk, a step per durable group (FILE_ACK_GROUP_CHUNKS)
    const steps = inProgress.map((p) => p.chunks);
    expect(steps[0]).toBe(0);
    expect(steps.every((n, i) => i === 0 || n > steps[i - 1]!)).toBe(true);
    expect(steps.length).toBeGreaterThanOrEqual(Math.ceil(chunks / FILE_ACK_GROUP_CHUNKS) + 1);
    await until(() => a.engine.outboxSize === 0 && a.of('file-progress').some((p) => p.direction === 'out' && p.chunks === chunks), 20_000, 'all chunks acknowledged');
    const outProgress = a.of('file-progress').filter((p) => p.fileId === fileId && p.direction === 'out');
    expect(outProgress.at(-1)).toMatchObject({ chunks, totalChunks: chunks, bytes: bytes.length });
    await until(async () => (await a.engine.history(aSeesB.key)).some((h) => h.file?.fileId === fileId && h.file.state === 'sent'), 5000, 'sent');
    expect((await b.engine.history(bSeesA.key)).find((h) => h.file?.fileId === fileId)!.file!.state).toBe('received');
    // no chunk stays behind in the receiver's store
    expect(await b.store.list('blob/')).toEqual([]);
  });

  it('a corrupted chunk fails the digest check and cancels the transfer at the sender', async () => {
    const { a, b, aSeesB, bSeesA } = await friends();
    const content = randomBytes(3 * FILE_CHUNK_SIZE + 5);
    const fileId = randomBytes(FILE_ID_SIZE);
    const chunkCount = 4;
    await a.engine.sendRaw(aSeesB.key, {
      type: MessageType.fileOffer,
      body: { fileId, name: 'x.bin', mime: '', size: content.length, chunkSize: FILE_CHUNK_SIZE, chunkCount, digest: fileDigest(content) },
    });
    const failed = waitFor(b.engine, 'file-failed');
    const cancelled = waitFor(a.engine, 'message', (m) => m.type === MessageType.fileCancel);
    for (let index = 0; index < chunkCount; index++) {
      const data = content.slice(index * FILE_CHUNK_SIZE, (index + 1) * FILE_CHUNK_SIZE);
      if (index === 2) data[100] = data[100]! ^ 1; // a sender bug or a corrupted disk: the frame itself is valid
      await a.engine.sendRaw(aSeesB.key, { type: MessageType.fileChunk, body: { fileId, index, data } });
    }
    expect(await failed).toMatchObject({ direction: 'in', reason: 'corrupt' });
    const cancel = await cancelled;
    expect(cancel.type === MessageType.fileCancel && cancel.body.reason).toBe(FileCancelReason.corrupt);
    expect(b.of('file')).toHaveLength(0);
    expect(await b.store.list('blob/')).toEqual([]);
    expect((await b.engine.history(bSeesA.key)).find((h) => h.kind === 'file')!.file!.state).toBe('failed');
  });

  it('chunks that do not fit the offer fail the transfer; chunks before their offer wait', async () => {
    const { a, b, aSeesB } = await friends();
    const fileId = randomBytes(FILE_ID_SIZE);
    // a chunk whose offer has not arrived: not acknowledged, so the sender keeps it
    const deferred = waitFor(b.engine, 'dropped', (d) => d.code === 'DEFERRED');
    await a.engine.sendRaw(aSeesB.key, { type: MessageType.fileChunk, body: { fileId, index: 0, data: new Uint8Array(10) } });
    await deferred;
    expect(a.engine.outboxSize).toBe(1);
    const failed = waitFor(b.engine, 'file-failed');
    await a.engine.sendRaw(aSeesB.key, {
      type: MessageType.fileOffer,
      body: { fileId, name: 'y', mime: '', size: 10, chunkSize: FILE_CHUNK_SIZE, chunkCount: 1, digest: new Uint8Array(32) },
    });
    await a.engine.sendRaw(aSeesB.key, { type: MessageType.fileChunk, body: { fileId, index: 0, data: new Uint8Array(11) } });
    expect((await failed).reason).toBe('invalid');
  });

  it('an empty file and a cancelled transfer', async () => {
    const { a, b, aSeesB } = await friends();
    const empty = waitFor(b.engine, 'file');
    await a.engine.sendFile(aSeesB.key, { name: 'empty.txt', mime: 'text/plain', bytes: new Uint8Array(0) });
    expect((await empty).bytes!.length).toBe(0);
    await until(() => a.engine.outboxSize === 0, 5000, 'offer acknowledged');
    // B goes away; A cancels a queued transfer: its record and spooled copy go
    await b.engine.stop();
    running.splice(running.indexOf(b), 1);
    const { fileId } = await a.engine.sendFile(aSeesB.key, { name: 'big', bytes: randomBytes(10 * FILE_CHUNK_SIZE) });
    expect(a.engine.outboxSize).toBe(1); // the offer: chunks are read from the spooled copy as the window allows
    expect(await a.store.list(K.filesOut)).toEqual([K.fileOut(fileId)]);
    expect(await a.store.list(`blob/out-${fileId}/`)).toHaveLength(10);
    await a.engine.cancelFile(aSeesB.key, fileId);
    expect(a.engine.outboxSize).toBe(1); // the file_cancel itself
    expect(await a.store.list(K.filesOut)).toEqual([]);
    expect(await a.store.list('blob/')).toEqual([]);
    expect(fromHex(fileId).length).toBe(FILE_ID_SIZE);
  });

  it('a spooled copy left by a crash before its offer was written is removed at the next start, and a queued transfer goes on after one', async () => {
    const { relay, a, b, aSeesB } = await friends();
    await b.engine.stop();
    running.splice(running.indexOf(b), 1);
    const bytes = randomBytes(5 * FILE_CHUNK_SIZE + 3);
    const { id, fileId } = await a.engine.sendFile(aSeesB.key, { name: 'later.bin', bytes });
    await a.engine.stop();
    running.splice(running.indexOf(a), 1);
    // as if the process died while reading another file, before its offer was written
    await a.store.put('blob/out-00112233445566778899aabbccddeeff/00000000', randomBytes(10));
    const a2 = await started(peer(relay, { identity: a.identity, store: a.store }));
    expect(await a.store.list('blob/out-00112233445566778899aabbccddeeff/')).toEqual([]);
    const b2 = await started(peer(relay, { identity: b.identity, store: b.store }));
    await until(() => b2.of('file').length > 0, 10_000, 'the file at B');
    const got = b2.of('file')[0]!;
    expect([got.id, got.fileId, got.bytes]).toEqual([id, fileId, bytes]);
    await until(async () => (await a2.engine.history(aSeesB.key)).find((h) => h.id === id)?.file?.state === 'sent', 10_000, 'marked sent');
    expect(await a.store.list('blob/')).toEqual([]);
  });

  it('with holdReceivedFiles a received file keeps its chunks until released, and comes again after a restart until then', async () => {
    const relay = await fakeRelay();
    const a = await started(peer(relay));
    const store = new MemoryStore();
    const b = await started(peer(relay, { store, holdReceivedFiles: true }));
    const { aSeesB, bSeesA } = await befriend(a, b);
    const bytes = randomBytes(3 * FILE_CHUNK_SIZE + 5);
    const got = waitFor(b.engine, 'file');
    const { fileId } = await a.engine.sendFile(aSeesB.key, { name: 'kept.bin', bytes });
    expect((await got).bytes).toEqual(bytes);
    expect(await store.list(`blob/in-${bSeesA.key}-${fileId}/`)).toHaveLength(4); // the part file, in pieces
    expect((await b.engine.history(bSeesA.key)).find((h) => h.file?.fileId === fileId)!.file!.state).toBe('received');

    // The app died before storing it: the next start emits it again.
    await b.engine.stop();
    running.splice(running.indexOf(b), 1);
    const b2 = await started(peer(relay, { store, identity: b.identity, holdReceivedFiles: true }));
    const again = b2.of('file');
    expect(again.map((f) => [f.fileId, f.name])).toEqual([[fileId, 'kept.bin']]);
    expect(again[0]!.bytes).toEqual(bytes);

    // Stored and released: the chunks go, and a restart has nothing to emit.
    await b2.engine.releaseFile(bSeesA.key, fileId);
    expect(await store.list('blob/')).toEqual([]);
    expect(await store.list(K.filesIn(bSeesA.key))).toEqual([]);
    await b2.engine.stop();
    running.splice(running.indexOf(b2), 1);
    const b3 = await started(peer(relay, { store, identity: b.identity, holdReceivedFiles: true }));
    expect(b3.of('file')).toEqual([]);
  });

  it('an incoming transfer whose offer left the replay window fails (expired) instead of waiting forever', async () => {
    let clock = Date.now();
    const now = () => clock;
    const { relay, a, b, aSeesB, bSeesA } = await friends({ now });
    const offered = waitFor(b.engine, 'history', ({ item }) => item.file?.state === 'receiving');
    let frames = 0;
    relay.drop = (s) => s.from === a.engine.id && (s.kind === FrameKind.peer || s.kind === FrameKind.ratchet) && frames++ > 0; // the offer only
    const { fileId } = await a.engine.sendFile(aSeesB.key, { name: 'never.bin', bytes: randomBytes(2 * FILE_CHUNK_SIZE) });
    await offered;
    await a.engine.stop(); // the sender is gone for good
    clock += REPLAY_WINDOW_MS - 1000;
    await b.engine.maintain();
    expect(b.of('file-failed')).toEqual([]);
    clock += 2000;
    await b.engine.maintain();
    expect(b.of('file-failed')).toEqual([{ contact: bSeesA.key, fileId, direction: 'in', reason: 'expired' }]);
    expect((await b.engine.history(bSeesA.key)).find((h) => h.file?.fileId === fileId)!.file!.state).toBe('failed');
    expect(await b.store.list(K.filesIn(bSeesA.key))).toEqual([]);
  });

  it('a transfer the sender cancels shows as failed at the receiver, and nothing of it stays', async () => {
    const { relay, a, b, aSeesB, bSeesA } = await friends();
    const offered = waitFor(b.engine, 'history', ({ item }) => item.file?.state === 'receiving');
    let n = 0;
    relay.drop = (s) => s.from === a.engine.id && (s.kind === FrameKind.peer || s.kind === FrameKind.ratchet) && n++ > 0 && n <= 4; // the 3 chunks
    const { fileId } = await a.engine.sendFile(aSeesB.key, { name: 'stopped.bin', bytes: randomBytes(3 * FILE_CHUNK_SIZE) });
    await offered;
    const failed = waitFor(b.engine, 'file-failed');
    await a.engine.cancelFile(aSeesB.key, fileId);
    expect(await failed).toEqual({ contact: bSeesA.key, fileId, direction: 'in', reason: 'cancelled' });
    expect((await b.engine.history(bSeesA.key)).find((h) => h.file?.fileId === fileId)!.file!.state).toBe('failed');
    // the side that cancelled shows it failed too, not sending forever
    expect((await a.engine.history(aSeesB.key)).find((h) => h.file?.fileId === fileId)!.file!.state).toBe('failed');
    expect(await b.store.list(K.filesIn(bSeesA.key))).toEqual([]);
    expect(await b.store.list('blob/')).toEqual([]);
  });

  it('a cancel that overtakes its held offer leaves the offer shown as failed, after the text before it', async () => {
    const { relay, a, b, aSeesB, bSeesA } = await friends();
    const lost = new Set<string>();
    let n = 0;
    let healed = false;
    relay.drop = (s) => {
      if (healed || s.from !== a.engine.id || (s.kind !== FrameKind.peer && s.kind !== FrameKind.ratchet)) return false;
      const hex = Buffer.from(s.frame).toString('hex');
      n++;
      if (n === 1 || (n >= 3 && n <= 5)) lost.add(hex); // the text, then the 3 chunks (the offer, frame 2, passes)
      return lost.has(hex);
    };
    await a.engine.sendText(aSeesB.key, 'before the file');
    await settle();
    const { fileId } = await a.engine.sendFile(aSeesB.key, { name: 'held.bin', bytes: randomBytes(3 * FILE_CHUNK_SIZE) });
    await until(() => n >= 5, 5000, 'offer and chunks on the wire');
    await a.engine.cancelFile(aSeesB.key, fileId);
    await until(() => a.engine.outboxSize === 1, 5000, 'only the text unacknowledged');
    expect(b.of('history')).toEqual([]); // the offer is held behind the lost text
    healed = true;
    relay.kick(a.engine.id);
    await until(async () => (await b.engine.history(bSeesA.key)).length === 2, 5000, 'text and offer shown');
    const shown = await b.engine.history(bSeesA.key);
    expect(shown.map((h) => h.text ?? `${h.file!.name}:${h.file!.state}`)).toEqual(['before the file', 'held.bin:failed']);
    expect(await b.store.list(K.filesIn(bSeesA.key))).toEqual([]);
    expect(await b.store.list('blob/')).toEqual([]);
  });
});
