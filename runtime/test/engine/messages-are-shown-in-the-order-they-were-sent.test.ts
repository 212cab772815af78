/**
 * Per-sender order (spec structs.order_extension): a message lost in flight does not let later
 * ones overtake it. Later ones are held (stored and acknowledged), the sender resends the missing
 * one as soon as a later one is acknowledged, and the receiver shows them in order; a gap that
 * never fills is given up after ORDER_GAP_TIMEOUT_MS; held messages survive a restart.
 */
import { ExtensionTag, FrameKind, MessageType, ORDER_EPOCH_SIZE, ORDER_GAP_TIMEOUT_MS, ORDER_HOLD_MAX, RESEND_INTERVAL_MS, decodeOrderExtension, encodeOrderExtension } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/index.ts';
import { readOrder } from '../../src/engine/order.ts';
import { MemoryStore } from '../../src/engine/storage.ts';
import { makeEnvelope } from '../../src/protocol/envelope.ts';
import type { Seen } from './_fake-relay.ts';
import { befriend, fakeRelay, online, peer, runningPeers, settle, type TestPeer, until, waitFor } from './_setup.ts';

const { running, started, friends } = runningPeers();
const shown = (p: TestPeer) =>
  p.of('message').flatMap((m) => (m.type === MessageType.text ? [m.body.text] : m.type === MessageType.fileOffer ? [`file:${m.body.name}`] : []));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Drops the next peer frame from `from`, and with `always` every resend of it too. */
function loseNext(relay: Awaited<ReturnType<typeof fakeRelay>>, from: string, always = false): { lost: () => string | undefined; heal: () => void } {
  let lost: string | undefined;
  let healed = false;
  relay.drop = (s: Seen) => {
    if (healed || s.from !== from || (s.kind !== FrameKind.peer && s.kind !== FrameKind.ratchet)) return false;
    if (lost === undefined) {
      lost = hex(s.frame);
      return true;
    }
    return always && hex(s.frame) === lost;
  };
  return { lost: () => lost, heal: () => void (healed = true) };
}

describe('messages are shown in the order they were sent', () => {
  it('numbers text, edit, delete and file offers per recipient, 1, 2, 3, in one epoch', async () => {
    const { a, b, aSeesB } = await friends();
    const { id } = await a.engine.sendText(aSeesB.key, 'one');
    await a.engine.editMessage(aSeesB.key, id, 'one, edited');
    await a.engine.sendFile(aSeesB.key, { name: 'f.bin', bytes: randomBytes(10) });
    await a.engine.deleteMessage(aSeesB.key, id);
    await a.engine.sendTyping(aSeesB.key, true);
    await until(() => a.engine.outboxSize === 0, 5000, 'delivered');
    const marks = b.of('message').map((m) => ({ type: m.type, ext: m.extensions.filter((e) => e.tag === ExtensionTag.order).map((e) => decodeOrderExtension(e.value)) }));
    const ordered = marks.filter((m) => m.ext.length === 1);
    expect(ordered.map((m) => m.type)).toEqual([MessageType.text, MessageType.edit, MessageType.fileOffer, MessageType.delete]);
    expect(ordered.map((m) => m.ext[0]!.seq)).toEqual([1, 2, 3, 4]);
    expect(new Set(ordered.map((m) => hex(m.ext[0]!.epoch))).size).toBe(1);
    expect(marks.filter((m) => m.type === MessageType.typing || m.type === MessageType.contactAccept).every((m) => m.ext.length === 0)).toBe(true);
  });

  it('a lost message is resent as soon as a later one is acknowledged, and the later ones wait for it', async () => {
    const { relay, a, b, aSeesB } = await friends();
    loseNext(relay, a.engine.id);
    const started_ = Date.now();
    await a.engine.sendText(aSeesB.key, 'first');
    await settle();
    await a.engine.sendText(aSeesB.key, 'second');
    await a.engine.sendText(aSeesB.key, 'third');
    await until(() => shown(b).length === 3, 5000, 'all three shown');
    expect(shown(b)).toEqual(['first', 'second', 'third']);
    expect(Date.now() - started_).toBeLessThan(RESEND_INTERVAL_MS / 2); // not the periodic resend
    const order = (await b.engine.history(b.engine.contacts()[0]!.key)).map((h) => h.text);
    expect(order).toEqual(['first', 'second', 'third']);
    await until(() => a.engine.outboxSize === 0, 5000, 'all acknowledged');
  });

  it('a file offer that arrives early waits, its chunks are kept, and it completes after the earlier text', async () => {
    const { relay, a, b, aSeesB } = await friends();
    const lose = loseNext(relay, a.engine.id, true);
    await a.engine.sendText(aSeesB.key, 'look at this');
    await settle();
    const bytes = randomBytes(70_000);
    const file = waitFor(b.engine, 'file');
    await a.engine.sendFile(aSeesB.key, { name: 'photo.bin', bytes });
    await until(() => a.engine.outboxSize === 1, 5000, 'offer and chunks acknowledged, the text not');
    await settle();
    expect(shown(b)).toEqual([]);
    expect(b.of('file')).toEqual([]);
    lose.heal();
    relay.kick(a.engine.id); // its expedited resend was lost too; a reconnect sends it again
    await until(() => shown(b).length === 2, 5000, 'both shown');
    expect(shown(b)).toEqual(['look at this', 'file:photo.bin']);
    expect(hex((await file).bytes!)).toBe(hex(bytes));
    const names = b.events.filter((e) => e.name === 'message' || e.name === 'file').map((e) => e.name);
    expect(names.slice(-3)).toEqual(['message', 'message', 'file']);
  });

  it('a gap that never fills is given up after ORDER_GAP_TIMEOUT_MS and what was held is shown in order', async () => {
    let clock = Date.now();
    const now = () => clock;
    const { relay, a, b, aSeesB } = await friends({ now });
    const lose = loseNext(relay, a.engine.id, true);
    await a.engine.sendText(aSeesB.key, 'never arrives');
    await settle();
    for (const t of ['two', 'three']) await a.engine.sendText(aSeesB.key, t);
    await until(() => a.engine.outboxSize === 1, 5000, 'later ones acknowledged');
    clock += ORDER_GAP_TIMEOUT_MS - 1;
    await b.engine.maintain();
    expect(shown(b)).toEqual([]);
    clock += 1;
    await b.engine.maintain();
    expect(shown(b)).toEqual(['two', 'three']);
    // the lost one, should it come after all, is shown (late) rather than dropped
    lose.heal();
    clock += RESEND_INTERVAL_MS;
    await a.engine.maintain();
    await until(() => shown(b).length === 3, 5000, 'the late one shown');
    expect(shown(b)).toEqual(['two', 'three', 'never arrives']);
    await a.engine.sendText(aSeesB.key, 'four');
    await until(() => shown(b).length === 4, 5000, 'the next one');
  });

  it('held messages survive a restart of the receiver', async () => {
    const relay = await fakeRelay();
    const a = await started(peer(relay));
    const store = new MemoryStore();
    const b = await started(peer(relay, { store }));
    const { aSeesB } = await befriend(a, b);
    const lose = loseNext(relay, a.engine.id, true);
    await a.engine.sendText(aSeesB.key, 'one');
    await settle();
    await a.engine.sendText(aSeesB.key, 'two');
    await until(() => a.engine.outboxSize === 1, 5000, 'two acknowledged');
    await b.engine.stop();
    running.splice(running.indexOf(b), 1);
    const b2 = await started(peer(relay, { store, identity: b.identity }));
    lose.heal();
    await a.engine.maintain();
    relay.kick(a.engine.id); // a reconnect resends everything unacknowledged
    await until(() => shown(b2).length === 2, 5000, 'both shown after the restart');
    expect(shown(b2)).toEqual(['one', 'two']);
    await online(a);
    await until(() => a.engine.outboxSize === 0, 5000, 'all acknowledged');
  });

  it('a new epoch (the sender lost its counter) shows what was held of the old one first, then starts again', async () => {
    const relay = await fakeRelay();
    const storeA = new MemoryStore();
    const a = await started(peer(relay, { store: storeA }));
    const b = await started(peer(relay));
    const { aSeesB } = await befriend(a, b);
    const lose = loseNext(relay, a.engine.id, true);
    await a.engine.sendText(aSeesB.key, 'old 1 (lost)');
    await settle();
    await a.engine.sendText(aSeesB.key, 'old 2');
    await until(() => a.engine.outboxSize === 1, 5000, 'old 2 acknowledged');
    lose.heal();
    // The sender's ordering state is wiped (as a restore from a backup without it would): it
    // counts from 1 again under a new epoch. Its outbox entry for "old 1" goes with it.
    await a.engine.stop();
    running.splice(running.indexOf(a), 1);
    for (const k of await storeA.list('')) if (k.startsWith('oo/') || k === 'engine/order-epoch' || k.startsWith('o/') || k.startsWith('of/')) await storeA.delete(k);
    const a2 = await started(peer(relay, { store: storeA, identity: a.identity }));
    await a2.engine.sendText(aSeesB.key, 'new 1');
    await until(() => shown(b).length === 2, 5000, 'old 2 and new 1');
    expect(shown(b)).toEqual(['old 2', 'new 1']);
  });

  it(`at ORDER_HOLD_MAX (${ORDER_HOLD_MAX}) held messages the gap is given up and everything is shown in order`, async () => {
    const { relay, a, b, aSeesB } = await friends();
    loseNext(relay, a.engine.id, true);
    await a.engine.sendText(aSeesB.key, 'lost');
    await settle();
    const later = Array.from({ length: ORDER_HOLD_MAX + 1 }, (_, i) => `m${i + 2}`);
    for (const t of later.slice(0, ORDER_HOLD_MAX)) await a.engine.sendText(aSeesB.key, t);
    await until(() => a.engine.outboxSize === 1, 20_000, 'the held ones acknowledged');
    expect(shown(b)).toEqual([]);
    await a.engine.sendText(aSeesB.key, later.at(-1)!);
    await until(() => shown(b).length === later.length, 10_000, 'all shown');
    expect(shown(b)).toEqual(later);
  });

  it('an order extension twice or malformed is BAD_MESSAGE; on a type that is not ordered it is ignored', () => {
    const epoch = new Uint8Array(ORDER_EPOCH_SIZE).fill(7);
    const ext = (value: Uint8Array) => ({ tag: ExtensionTag.order, value });
    const good = ext(encodeOrderExtension({ epoch, seq: 5 }));
    const text = (extensions: { tag: number; value: Uint8Array }[]) => makeEnvelope({ type: MessageType.text, body: { text: 'x', replyTo: new Uint8Array(16) }, extensions });
    expect(readOrder(text([good]))).toEqual({ epoch: hex(epoch), seq: 5 });
    expect(readOrder(text([{ tag: 999, value: new Uint8Array(3) }]))).toBeUndefined(); // unknown tags are ignored
    // a later version may order more types: here it is ignored, not refused
    expect(readOrder(makeEnvelope({ type: MessageType.typing, body: { active: 1 }, extensions: [good, good] }))).toBeUndefined();
    const bad = [
      text([good, good]),
      text([ext(new Uint8Array(ORDER_EPOCH_SIZE + 7))]),
      text([ext(new Uint8Array(ORDER_EPOCH_SIZE + 8))]), // seq 0
    ];
    for (const env of bad) expect(() => readOrder(env)).toThrow(expect.objectContaining({ code: 'BAD_MESSAGE' }));
  });
});
