/**
 * wschat on a relay of several nodes (real relay processes sharing one key file, each listing
 * all of them in /.well-known/parley.json): `init --relay` pins every endpoint; a command
 * dials them in random order and skips a dead node at once; a running `listen` moves to a live
 * node when its node is SIGKILLed; a message the dead node held is re-sent from the outbox.
 *
 * Without Redis a node's mailboxes are its own, so the test keeps one node alive at a time where
 * two clients must meet (the random order of two processes cannot be chosen).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRelayNodes, type RelayNodes } from '@parley/test-kit/cluster';
import { afterEach, describe, expect, it } from 'vitest';
import { World, befriend } from './_harness.ts';

let w: World;
let nodes: RelayNodes | undefined;
afterEach(async () => {
  await w?.cleanup();
  await nodes?.stop();
  nodes = undefined;
});

describe('wschat on a relay of several nodes', () => {
  it('pins every endpoint, skips a dead node, follows its node being killed, and loses nothing', { timeout: 300_000 }, async () => {
    w = new World();
    // node 1 is listed but not running yet: whoever dials it first is refused and moves on
    nodes = await startRelayNodes({ count: 2, up: [0] });
    const a = await w.home('alice');
    const b = await w.home('bob');
    await w.ok(['init', '--home', a, '--name', 'alice', '--relay', nodes.httpUrls[0]!]);
    await w.ok(['init', '--home', b, '--name', 'bob', '--relay', nodes.httpUrls[0]!]);
    const config = JSON.parse(await readFile(join(b, 'config.json'), 'utf8')) as { relay: { url: string; endpoints: string[] } };
    expect(config.relay.endpoints).toEqual(nodes.endpoints);
    const bob = await befriend(w, a, b);

    // bob away; alice's message waits on node 0, unacknowledged in her outbox
    await w.ok(['send', bob.id, 'held by node 0', '--home', a]);
    await nodes.kill(0);
    await nodes.start(1);

    // bob listens on node 1 (node 0 refuses him); alice's next command re-sends from her outbox
    const listen = w.start(['listen', '--home', b, '--json']);
    await w.ok(['send', bob.id, 'sent through node 1', '--home', a]);
    await listen.event('message', (e) => e.text === 'held by node 0', 60_000);
    await listen.event('message', (e) => e.text === 'sent through node 1', 60_000);

    // node 0 back, node 1 killed under the running listen: it moves to node 0 at once
    await nodes.start(0);
    const seen = listen.events.length;
    await nodes.kill(1);
    await listen.until(() => listen.events.slice(seen).find((e) => e.type === 'state' && e.state === 'online' && e.endpoint === nodes!.endpoints[0]), 'listen online on node 0', 60_000);
    const moved = listen.events.slice(seen).filter((e) => e.type === 'state' && e.state === 'offline');
    expect(moved[0]).toMatchObject({ retryInMs: 0, endpoint: nodes.endpoints[1] });
    await w.ok(['send', bob.id, 'after the kill', '--home', a]);
    await listen.event('message', (e) => e.text === 'after the kill', 60_000);

    // each shown once, in order
    const texts = listen.events.filter((e) => e.type === 'message').map((e) => e.text);
    expect(texts).toEqual(['held by node 0', 'sent through node 1', 'after the kill']);
  });
});
