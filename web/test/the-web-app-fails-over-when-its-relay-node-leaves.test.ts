/**
 * The web app on a relay of several nodes (spec documents.well_known endpoints): its worker
 * reads the endpoints from the serving relay's /.well-known/parley.json and, when its node
 * closes with reconnect_elsewhere, connects to another node at once and goes on chatting.
 *
 * Two real relays with one identity (one seed), each behind a front (test-kit/cluster) whose
 * drain() closes every connection with reconnect_elsewhere. The relay serving the app lists both
 * fronts as its endpoints. Without Redis a node's mailboxes are its own, so the second node takes
 * connections only once the first leaves: the app and its contact meet on one node, then the other.
 */
import { MessageType, SEED_SIZE } from '@parley/generated';
import { Engine, MemoryStore, generateIdentity, nobleBackend, randomBytes } from '@parley/runtime';
import { NodeWsTransport } from '@parley/runtime/node';
import { startRelay, type RunningRelay } from '@parley/relay';
import { startNodeFront, type NodeFront } from '@parley/test-kit/cluster';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST, buildWeb, createIdentity, launch, message, openUser, send, waitOnline, type User } from './_harness.ts';

let browser: Browser;
const relays: RunningRelay[] = [];
const fronts: NodeFront[] = [];
let user: User | undefined;
let erin: Engine | undefined;

beforeAll(async () => {
  await buildWeb();
  browser = await launch();
}, 180_000);

afterAll(async () => {
  await user?.context.close().catch(() => undefined);
  await erin?.stop();
  await browser?.close();
  for (const f of fronts) await f.close();
  for (const r of relays) await r.close();
});

describe('the web app on a relay of several nodes', () => {
  it('its node closes with reconnect_elsewhere: it moves to the other node at once and keeps chatting', { timeout: 180_000 }, async () => {
    const seed = randomBytes(SEED_SIZE);
    const targets: string[] = [];
    for (let i = 0; i < 2; i++) fronts.push(await startNodeFront(() => targets[i]!, { refusing: i > 0 }));
    const [first, second] = fronts as [NodeFront, NodeFront];
    const endpoints = fronts.map((f) => f.url);
    for (let i = 0; i < 2; i++) {
      const r = await startRelay({ seed, port: 0, host: '127.0.0.1', logLevel: 'silent', endpoints, ...(i === 0 ? { webRoot: DIST } : {}), limits: { shutdownRetryAfterMs: 0 } });
      relays.push(r);
      targets.push(r.url);
    }
    const home = relays[0]!;

    // the app and Erin (a runtime engine) both land on the first node: the second refuses
    user = await openUser(browser, home.httpUrl, 'Alice');
    await createIdentity(user);
    const identity = await generateIdentity(nobleBackend);
    erin = new Engine({ identity, relay: { url: endpoints[0]!, endpoints, ...home.publicKeys }, store: new MemoryStore(), transport: new NodeWsTransport(), backend: nobleBackend, displayName: 'Erin', linkBase: `${home.httpUrl}/` });
    const got: string[] = [];
    erin.on('message', (m) => {
      if (m.type === MessageType.text) got.push(m.body.text);
    });
    await erin.start();
    await expect.poll(() => erin!.state.state, { timeout: 15_000 }).toBe('online');
    expect(first.connections).toBe(2);

    // Alice opens Erin's invite and sends a request; Erin accepts
    const invite = await erin.createInvite({ name: 'Erin' });
    const request = erin.next('contact-request');
    await user.page.goto(invite.link);
    await user.page.getByTestId('send-request').click();
    const { contact } = await request;
    await erin.acceptContact(contact.key);
    await user.page.getByTestId('awaiting-accept').waitFor({ state: 'detached' });
    await send(user, 'before the node left');
    await expect.poll(() => got, { timeout: 15_000 }).toContain('before the node left');

    // the first node leaves; the second takes connections: both move there without waiting
    second.accept();
    await first.drain();
    await expect.poll(() => second.connections, { timeout: 15_000 }).toBe(2);
    await waitOnline(user);
    await send(user, 'after the node left');
    await expect.poll(() => got, { timeout: 15_000 }).toContain('after the node left');
    await erin.sendText(contact.key, 'received on the second node');
    await message(user, 'received on the second node').waitFor({ timeout: 15_000 });
    expect(got).toEqual(['before the node left', 'after the node left']);
  });
});
