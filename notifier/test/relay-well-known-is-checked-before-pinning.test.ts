/**
 * RELAY_WELL_KNOWN (src/relay-bootstrap.ts): the notifier takes the relay's URL and keys from
 * its /.well-known/parley.json through the runtime's parseWellKnown, and refuses (ConfigError,
 * exit 2) a document whose fingerprint is not the fingerprint of its keys.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRelay, type RunningRelay } from '@parley/relay';
import { randomBytes } from '@parley/runtime/crypto';
import { buildWellKnown, relayFingerprint } from '@parley/runtime/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { relayFromWellKnown } from '../src/relay-bootstrap.ts';

let relay: RunningRelay;
const servers: Server[] = [];

/** An HTTP server on 127.0.0.1 that answers every request with `doc`. */
async function serving(doc: unknown): Promise<string> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc)));
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  relay = await startRelay({ host: '127.0.0.1', port: 0, logLevel: 'silent', limits: { shutdownRetryAfterMs: 0 } });
});
afterAll(async () => {
  for (const s of servers) s.close();
  await relay.close();
});

describe('RELAY_WELL_KNOWN', () => {
  it("pins the URL and keys the relay's own document publishes", async () => {
    const r = await relayFromWellKnown(relay.httpUrl);
    expect(r).toEqual({ url: relay.url, endpoints: [relay.url], x: relay.publicKeys.x, ed: relay.publicKeys.ed });
  });

  it('refuses a document whose fingerprint is not its keys, and one that is not a relay document', async () => {
    const good = buildWellKnown({ url: relay.url, x: relay.publicKeys.x, ed: relay.publicKeys.ed });
    const forged = await serving({ ...good, relay_x: Buffer.from(randomBytes(32)).toString('hex') });
    await expect(relayFromWellKnown(forged)).rejects.toMatchObject({ name: 'ConfigError', code: 'CONFIG', message: expect.stringMatching(/^RELAY_WELL_KNOWN: .*FINGERPRINT_MISMATCH/) });
    const otherFingerprint = await serving({ ...good, fingerprint: relayFingerprint(randomBytes(32), relay.publicKeys.ed) });
    await expect(relayFromWellKnown(otherFingerprint)).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/FINGERPRINT_MISMATCH/) });
    const notRelay = await serving({ hello: 'world' });
    await expect(relayFromWellKnown(notRelay)).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/WRONG_PROTOCOL/) });
    // the good document served the same way is pinned (the cases above are not vacuous)
    expect((await relayFromWellKnown(await serving(good))).url).toBe(relay.url);
  });

  it('is an alternative to RELAY_URL, RELAY_X and RELAY_ED, not an addition', () => {
    expect(loadConfig({ RELAY_WELL_KNOWN: 'https://relay.example' }).relayWellKnown).toBe('https://relay.example');
    const hex = '11'.repeat(32);
    expect(() => loadConfig({ RELAY_WELL_KNOWN: 'https://relay.example', RELAY_URL: 'wss://relay.example/', RELAY_X: hex, RELAY_ED: hex })).toThrow(/not both/);
    expect(() => loadConfig({ RELAY_WELL_KNOWN: 'wss://relay.example' })).toThrow(/^RELAY_WELL_KNOWN: .*http/);
  });
});
