/**
 * Issue 15, part 2, end to end with the runtime's client engine: two befriended engines hand
 * each other mailbox tokens (message mailbox_token), register their secrets and present the
 * tokens after connecting, so while Bob is offline Alice's frames go to the contacts' share of
 * his mailbox, where a crowd of stranger key pairs cannot push them out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '../src/index.ts';
import { befriend, enginePeers, until, type EnginePeer } from './helpers/engine-peer.ts';
import { RealClient } from './helpers/real-client.ts';
import { metric } from './helpers/relay.ts';

let relay: RunningRelay | undefined;
const clients: RealClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = undefined;
});
// registered after the relay's hook, so it runs first: engines stop while their relay is up
const { peer, stop } = enginePeers();

/** The tokens an engine holds from its contacts (its store record), by contact key. */
async function tokensHeld(p: EnginePeer): Promise<string[]> {
  const b = await p.store.get('engine/mailbox-tokens');
  return b === undefined ? [] : Object.keys((JSON.parse(new TextDecoder().decode(b)) as { in: object }).in);
}

describe('engines vouch for each other', () => {
  it('a befriended engine\'s frames reach an offline contact through a crowd of strangers', { timeout: 60_000 }, async () => {
    const MAX = 32; // strangers share 32/8 = 4 frames, one sender 32/4 = 8
    relay = await startRelay({ logLevel: 'silent', webRoot: '/nonexistent', limits: { mailboxMaxFrames: MAX, shutdownRetryAfterMs: 0 } });
    const a = await peer(relay, 'alice');
    let b = await peer(relay, 'bob');
    const { aSeesB, bSeesA } = await befriend(a, b);
    await until(async () => (await tokensHeld(a)).includes(aSeesB.key) && (await tokensHeld(b)).includes(bSeesA.key), 'tokens exchanged');
    await until(() => a.engine.outboxSize === 0 && b.engine.outboxSize === 0, 'outboxes drained');

    await stop(b);
    // Strangers (fresh key pairs, from several addresses) write to Bob first...
    const bob = { x: b.identity.x, ed: b.identity.ed };
    for (let i = 0; i < 12; i++) {
      const s = await RealClient.create(relay.publicKeys);
      clients.push(s);
      await s.connect(relay.url, { localAddress: `127.0.10.${(i % 4) + 1}` });
      for (let k = 0; k < 3; k++) await s.sendText(bob, `spam ${i}.${k}`);
    }
    await until(async () => (await metric(relay!, 'parley_relay_drops_total', '{reason="mailbox_strangers"}')) === 36 - MAX / 8, 'strangers held to their share');
    // ...and Alice's messages still all get in.
    const sent = ['one', 'two', 'three', 'four', 'five', 'six'];
    for (const t of sent) await a.engine.sendText(aSeesB.key, t);
    await until(() => relay!.stats.framesQueued === MAX / 8 + sent.length, 'Alice queued');
    for (const reason of ['mailbox_full', 'mailbox_sender_share', 'mailbox_global', 'mailbox_identity', 'mailbox_source']) {
      expect(await metric(relay, 'parley_relay_drops_total', `{reason="${reason}"}`), reason).toBe(0);
    }
    b = await peer(relay, 'bob', b);
    await until(() => b.texts.length === sent.length, 'Bob has them all');
    expect(b.texts).toEqual(sent);
  });
});
