/**
 * A symmetric step shares every secret array but the chain key with the state it started from
 * (state.ts, "copy on write"), so erasure goes by ownership. These tests pin the two promises
 * that sharing must keep: superseding erases the used chain key and taken skipped keys (and
 * nothing the new state still needs), and a refused step leaves the caller's state able to
 * open the real message afterwards.
 */
import { describe, expect, it } from 'vitest';
import { nodeBackend } from '../../src/crypto/node.ts';
import { decodeFrame } from '@parley/generated';
import {
  cloneState,
  discardState,
  ratchetOpen,
  serializeState,
  supersedeState,
} from '../../src/protocol/ratchet/index.ts';
import { codeOf, openAt, receive, send, startPair } from './_conversation.ts';

const zero = (b: Uint8Array): boolean => b.length > 0 && b.every((x) => x === 0);

describe('copy-on-write ratchet steps', () => {
  it("superseding a sender's state erases its old chain key and keeps what the new state shares", async () => {
    const { a, b } = await startPair(nodeBackend, 'cow seal');
    await receive(b, a, await send(a, b, 'first'));
    const before = a.state;
    const oldChain = before.sendChain;
    const oldRoot = before.rootKey;
    const frame = await send(a, b, 'second'); // supersedes `before`
    expect(zero(oldChain)).toBe(true);
    expect(a.state.sendChain).not.toBe(oldChain);
    expect(a.state.rootKey).toBe(oldRoot); // shared, so still intact
    expect(zero(oldRoot)).toBe(false);
    expect(await receive(b, a, frame)).toBe('second');
    expect(await receive(b, a, await send(a, b, 'third'))).toBe('third');
  });

  it("a refused open leaves the receiver's state byte for byte as it was, and it opens the real frame", async () => {
    const { a, b } = await startPair(nodeBackend, 'cow refuse');
    await receive(b, a, await send(a, b, 'one'));
    await receive(a, b, await send(b, a, 'two'));
    const frame = await send(a, b, 'three');
    const f = decodeFrame(frame);
    const stored = serializeState(b.state);
    // A body the relay altered: the header opens under the current chain, the body does not.
    const p = f.payload.slice();
    p[p.length - 1]! ^= 1;
    const parties = { senderX: a.me.x, recipientX: b.me.x };
    expect(await codeOf(ratchetOpen(b.deps, b.state, p, parties, f.nonce))).toBe('DECRYPT_FAILED');
    expect(serializeState(b.state)).toEqual(stored);
    expect(await receive(b, a, frame)).toBe('three');
  });

  it('discarding an uncommitted step erases only its own keys', async () => {
    const { a, b } = await startPair(nodeBackend, 'cow discard');
    await receive(b, a, await send(a, b, 'one'));
    const frame = await send(a, b, 'two');
    const stored = serializeState(b.state);
    const opened = await openAt(b, a, frame);
    expect(opened.step).toBe('chain');
    const newChain = opened.state.recvChain;
    discardState(opened.state, b.state);
    expect(zero(newChain)).toBe(true);
    expect(serializeState(b.state)).toEqual(stored);
    expect(await receive(b, a, frame)).toBe('two');
  });

  it('a skipped key taken by a late message is erased from the superseded state, and only there', async () => {
    const { a, b } = await startPair(nodeBackend, 'cow skipped');
    await receive(b, a, await send(a, b, 'one'));
    const late = await send(a, b, 'late');
    await receive(b, a, await send(a, b, 'after')); // skips 'late': one stored key
    expect(b.state.skipped).toHaveLength(1);
    const held = b.state;
    const key = held.skipped[0]!.messageKey;
    const snapshot = cloneState(held);
    expect(await receive(b, a, late)).toBe('late'); // supersedes `held`
    expect(b.state.skipped).toHaveLength(0);
    expect(zero(key)).toBe(true);
    // The state that was superseded no longer opens it: a late message takes the full-copy
    // path, so the new state shares no secret with `held`, and every secret of `held` (its header
    // keys included) is erased…
    expect(zero(held.recvHeader)).toBe(true);
    expect(await codeOf(ratchetOpen(b.deps, held, decodeFrame(late).payload, { senderX: a.me.x, recipientX: b.me.x }, decodeFrame(late).nonce))).toBe('HEADER_FAILED');
    // …whereas an untouched copy taken before would have: the erasure, not the state, refused it.
    expect(await codeOf(ratchetOpen(b.deps, snapshot, decodeFrame(late).payload, { senderX: a.me.x, recipientX: b.me.x }, decodeFrame(late).nonce))).toBe('');
    supersedeState(snapshot, b.state);
  });
});
