/**
 * A message that opens but is dropped unrecorded (a file chunk whose offer has not arrived:
 * DEFERRED) keeps its v2 session step (OpenedSession.skip). When it is its chain's first message,
 * the only one that carries the chain's KEM block, the chain's later messages open after it;
 * without the step every one of them was refused as KEM_MISSING until a new chain began. The
 * skipped frame itself is not counted as taken: a copy of it is refused, never reported as a
 * duplicate to acknowledge (the sender seals its resend anew).
 */
import { describe, expect, it } from 'vitest';
import { randomBytes, toHex } from '../../src/crypto/index.ts';
import { MemoryStore } from '../../src/engine/index.ts';
import { RatchetSessions } from '../../src/engine/ratchet-sessions.ts';
import { K } from '../../src/engine/records.ts';
import type { Contact } from '../../src/engine/types.ts';
import type { Identity } from '../../src/protocol/identity.ts';
import { serializeState } from '../../src/protocol/ratchet/index.ts';
import { codeOf, send, startPair, T0, type Party } from '../ratchet/_conversation.ts';
import { backend } from './_setup.ts';

const contactOf = (p: Identity): Contact => ({
  key: toHex(p.x), id: toHex(p.id), x: p.x, ed: p.ed, name: 'a', note: '', state: 'accepted', verified: false, version: 2, createdAt: T0,
});

/** B's engine-side sessions, holding B's state with A as it is now. */
async function sessionsOf(b: Party, a: Party): Promise<{ sessions: RatchetSessions; store: MemoryStore; from: Contact }> {
  const store = new MemoryStore();
  const from = contactOf(a.me);
  await store.batch([{ op: 'put', key: K.session(from.key), value: serializeState(b.state) }]);
  const sessions = new RatchetSessions({ backend: b.deps.backend, me: b.me, store, now: () => T0, randomBytes });
  await sessions.load();
  return { sessions, store, from };
}

describe('a deferred message', () => {
  it("keeps its chain's first step: the chain's next messages open after it", async () => {
    const { a, b } = await startPair(await backend(), 'deferred step');
    const first = await send(a, b, 'chunk, first of its chain'); // carries the KEM block
    const second = await send(a, b, 'next on the chain');
    const { sessions, from } = await sessionsOf(b, a);

    const opened = await sessions.open([from], first);
    if ('duplicate' in opened) throw new Error('not a duplicate');
    opened.skip!();
    opened.release();
    const next = await sessions.open([from], second);
    if ('duplicate' in next) throw new Error('not a duplicate');
    expect(next.envelope.type === 1 && next.envelope.body).toMatchObject({ text: 'next on the chain' });
    next.release();
    // the skipped frame again: refused, and not a duplicate to acknowledge
    expect(await codeOf(sessions.open([from], first))).toMatch(/^(KEY_USED|HEADER_FAILED)$/);
    expect(sessions.unsaved()).toEqual([from.key]); // stored later (save), like a deferred chunk
  });

  it("released without the step, the chain's next messages wait for its first (the behaviour skip replaces)", async () => {
    const { a, b } = await startPair(await backend(), 'released step');
    const first = await send(a, b, 'chunk, first of its chain');
    const second = await send(a, b, 'next on the chain');
    const { sessions, from } = await sessionsOf(b, a);
    const opened = await sessions.open([from], first);
    if ('duplicate' in opened) throw new Error('not a duplicate');
    opened.release();
    expect(await codeOf(sessions.open([from], second))).toBe('KEM_MISSING');
  });
});
