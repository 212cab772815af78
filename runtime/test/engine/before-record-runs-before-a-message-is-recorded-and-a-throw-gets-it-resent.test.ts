/**
 * EngineOptions.beforeRecord (the notifier writes registrations there): it sees a received
 * message before the engine records it (replay entry, new ratchet state); a throw leaves the
 * message unrecorded and unacknowledged, so the sender's resend opens again with the same key
 * and the hook runs again before the message is stored once. Real relay, v2 session.
 */
import { MessageType, RESEND_INTERVAL_MS } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../src/engine/index.ts';
import { recordingRelays } from './_recording-relay.ts';
import { befriend, settle, texts, until } from './_setup.ts';

const { recordingRelay, client } = recordingRelays();

describe('beforeRecord', () => {
  it('runs before the message is recorded; a throw gets it resent and run again, then stored once', async () => {
    const r = await recordingRelay();
    let clock = Date.now();
    const now = () => clock;
    const seen: { text: string; historyBefore: number }[] = [];
    let failNext = true;
    let historyLength = 0;
    const a = await client(r, { name: 'alice', now });
    const b = await client(r, {
      name: 'bob',
      now,
      beforeRecord: (m: IncomingMessage) => {
        if (m.type !== MessageType.text) return;
        seen.push({ text: m.body.text, historyBefore: historyLength });
        if (failNext) {
          failNext = false;
          throw new Error('the app store is full');
        }
      },
    });
    const { aSeesB, bSeesA } = await befriend(a, b);
    expect(a.engine.protection(aSeesB.key).version).toBe(2);
    b.engine.on('history', () => void (historyLength += 1));

    const { id } = await a.engine.sendText(aSeesB.key, 'one');
    await until(() => seen.length === 1, 10_000, 'the hook called');
    await settle(300);
    // refused by the app: not shown, not stored, not acknowledged
    expect(texts(b)).toEqual([]);
    expect((await b.engine.history(bSeesA.key)).filter((i) => i.id === id)).toEqual([]);
    expect(b.of('error').map((e) => e.context)).toContain('record received message (app)');
    expect(a.engine.outboxSize).toBe(1);

    // the resend (same frame, same message key) opens again: the hook runs again, then the record
    clock += RESEND_INTERVAL_MS + 1;
    await a.engine.maintain();
    await until(() => texts(b).length === 1 && a.engine.outboxSize === 0, 10_000, 'the resend shown and acknowledged');
    expect(seen).toEqual([
      { text: 'one', historyBefore: 0 },
      { text: 'one', historyBefore: 0 },
    ]);
    expect((await b.engine.history(bSeesA.key)).filter((i) => i.id === id)).toHaveLength(1);
    expect(b.of('dropped').filter((d) => d.code === 'KEY_USED' || d.code === 'HEADER_FAILED')).toEqual([]);
  });
});
