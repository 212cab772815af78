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
import { SEED_SIZE } from '@parley/generated';
import { randomBytes } from '@parley/runtime/crypto';
import { startRelay } from '@parley/relay';
import { startRelayNodes, type RelayNodes } from '@parley/test-kit/cluster';
import { afterEach, describe, expect, it } from 'vitest';
import { refreshedEndpoints } from '../src/relay-config.ts';
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

  it('a command reads the nodes the relay lists now into config.json, from the pinned keys only', { timeout: 120_000 }, async () => {
    w = new World();
    const seed = randomBytes(SEED_SIZE);
    let relay = await startRelay({ seed, port: 0, host: '127.0.0.1', logLevel: 'silent', limits: { shutdownRetryAfterMs: 0 } });
    const port = relay.port;
    const home = await w.home('carol');
    await w.ok(['init', '--home', home, '--name', 'carol', '--relay', relay.httpUrl]);
    const read = async () => (JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { relay: { url: string; x: string; ed: string; fingerprint: string; endpoints?: string[] } }).relay;
    const pinned = await read();
    expect(pinned.endpoints).toBeUndefined(); // one node: its url

    // the operator adds a node: the next connecting command keeps the new list for the one after
    await relay.close();
    const nodes = [relay.url, 'ws://127.0.0.1:9/'];
    relay = await startRelay({ seed, port, host: '127.0.0.1', logLevel: 'silent', endpoints: nodes, limits: { shutdownRetryAfterMs: 0 } });
    try {
      await w.ok(['requests', 'list', '--home', home]);
      await expect.poll(async () => (await read()).endpoints, { timeout: 10_000 }).toEqual(nodes);
      expect(await refreshedEndpoints(await read())).toBeUndefined(); // nothing new
      // a document with other keys is never followed, whatever it lists
      expect(await refreshedEndpoints({ ...pinned, x: 'ab'.repeat(32) })).toBeUndefined();
      await relay.close();
      expect(await refreshedEndpoints(pinned)).toBeUndefined(); // unreachable: the pinned list stays
    } finally {
      await relay.close();
    }
  });
});
