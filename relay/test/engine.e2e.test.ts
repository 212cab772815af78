/**
 * The relay restarting mid-conversation, with the runtime's client engine (outbox, receipts,
 * replay window) on both ends: frames the relay held in its in-memory mailbox are lost with
 * it, and the senders' outboxes recover them; nothing sent is lost and nothing is shown twice.
 */
import { SEED_SIZE } from '@parley/generated';
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from '@parley/runtime/crypto';
import { startRelay, type RunningRelay } from '../src/index.ts';
import { befriend, enginePeers, until } from './helpers/engine-peer.ts';

const relays: RunningRelay[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
});
// registered after the relays' hook, so it runs first: engines stop while their relay is up
const { peer, stop } = enginePeers();

async function relayOn(seed: Uint8Array, port = 0): Promise<RunningRelay> {
  const r = await startRelay({ seed, port, logLevel: 'silent', webRoot: '/nonexistent', limits: { shutdownRetryAfterMs: 0 } });
  relays.push(r);
  return r;
}

describe('relay restart with the client engine', () => {
  it('loses its mailbox, and the outboxes recover every message exactly once', async () => {
    const seed = randomBytes(SEED_SIZE);
    const r1 = await relayOn(seed);
    const a = await peer(r1, 'alice');
    let b = await peer(r1, 'bob');
    const { aSeesB, bSeesA } = await befriend(a, b);

    await a.engine.sendText(aSeesB.key, 'one');
    await until(() => b.texts.includes('one'), 'first message');
    // B goes offline: its stop ends once the relay has read its goodbye and unbound it (whatever
    // is still unacknowledged, such as the mailbox tokens exchanged on accept), so A's next
    // messages wait in the relay's mailbox...
    await stop(b);
    for (const t of ['two', 'three']) await a.engine.sendText(aSeesB.key, t);
    await until(() => r1.stats.framesQueued >= 2, 'frames queued for B');
    // ...and the relay restarts (same key, same port): its mailbox is gone.
    const port = r1.port;
    await r1.close();
    relays.splice(relays.indexOf(r1), 1);
    await a.engine.sendText(aSeesB.key, 'four'); // while the relay is down
    const r2 = await relayOn(seed, port);
    expect(r2.stats.framesQueued).toBe(0);
    a.engine.reconnectNow();
    await until(() => a.engine.state.state === 'online', 'A back online');
    b = await peer(r2, 'bob', b);
    await b.engine.sendText(bSeesA.key, 'back');
    await until(() => b.texts.length >= 3 && a.texts.includes('back'), 'messages after the restart');
    await until(() => a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 'outboxes drained');
    expect(b.texts).toEqual(['two', 'three', 'four']); // the second engine instance's view
    expect(a.texts).toEqual(['back']);
    const shown = (await b.engine.history(bSeesA.key)).filter((h) => h.dir === 'in').map((h) => (h as { text?: string }).text);
    expect(shown.filter((t) => t !== undefined)).toEqual(['one', 'two', 'three', 'four']);
  });
});
