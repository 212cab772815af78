/**
 * Issue 15, parts 1 and 2 and the TURN item, on a real relay over real sockets (toy protocol
 * layer): what strangers, fresh key pairs and one busy address can and cannot do to offline
 * delivery and to TURN credentials.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ControlType, MAILBOX_SECRET_SIZE } from '@parley/generated';
import { mailboxToken, mailboxTokenKey, randomBytes } from '../src/runtime.ts';
import { ToyClient } from './helpers/toy-crypto.ts';
import { metric, sleep, testRelay, type TestRelay } from './helpers/relay.ts';

let relay: TestRelay | undefined;
const clients: ToyClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = undefined;
});
async function client(localAddress = '127.0.0.1', x?: Uint8Array, ed?: Uint8Array): Promise<ToyClient> {
  const c = await new ToyClient(x, ed).connect(relay!.url, { localAddress });
  clients.push(c);
  return c;
}
/** The toy layout of register_mailbox_secret and present_mailbox_tokens (toy-crypto.ts). */
const registerSecret = (c: ToyClient, secret: Uint8Array) => c.sendControl(ControlType.registerMailboxSecret, secret);
const presentTokens = (c: ToyClient, entries: { recipient: Uint8Array; token: Uint8Array }[]) =>
  c.sendControl(ControlType.presentMailboxTokens, Uint8Array.from([entries.length, ...entries.flatMap((e) => [...e.recipient, ...e.token])]));
const tokenFor = (secret: Uint8Array, contact: ToyClient) => mailboxToken(mailboxTokenKey(secret), { x: contact.x, ed: contact.ed });
const bodyOf = (f: { frame: Buffer }) => f.frame.subarray(33, f.frame.length - 64).toString();
async function offline(c: ToyClient): Promise<void> {
  c.close();
  await sleep(100);
}

describe('strangers cannot push a vouched contact out of a mailbox', () => {
  it('any number of stranger key pairs from many addresses never drop a vouched contact\'s frame while the contacts\' share has room', { timeout: 60_000 }, async () => {
    const MAX = 64; // mailbox frames: strangers share 64/8 = 8, each sender 64/4 = 16
    relay = await testRelay({ limits: { mailboxMaxFrames: MAX } });
    // Bob registers a mailbox secret and hands Alice her token (end to end in real life), then goes offline.
    const secret = randomBytes(MAILBOX_SECRET_SIZE);
    const bob = await client('127.0.0.1');
    registerSecret(bob, secret);
    await sleep(50);
    await offline(bob);
    const alice = await client('127.0.6.1');
    presentTokens(alice, [{ recipient: bob.id, token: tokenFor(secret, alice) }]);
    await sleep(50);
    // 60 strangers from 12 addresses, 10 frames each, interleaved with Alice's 16.
    const strangers: ToyClient[] = [];
    for (let i = 0; i < 60; i++) strangers.push(await client(`127.0.7.${(i % 12) + 1}`));
    // A stranger who copies Alice's token does not get in: it names Alice's keys.
    presentTokens(strangers[0]!, [{ recipient: bob.id, token: tokenFor(secret, alice) }]);
    await sleep(50);
    for (let round = 0; round < 10; round++) {
      for (const s of strangers) s.sendPeer(bob.id, `stranger ${round}`);
      if (round < 8) for (let k = 0; k < 2; k++) alice.sendPeer(bob.id, `alice ${round * 2 + k}`);
      await sleep(20);
    }
    await sleep(200);
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="mailbox_strangers"}')).toBe(600 - MAX / 8);
    const back = await client('127.0.0.1', bob.x, bob.ed);
    await back.waitFor((c) => c.peerFrames().length === back.mailboxPending && back.mailboxPending > 0);
    const fromAlice = back.peerFrames().filter((f) => f.from.equals(alice.id)).map(bodyOf);
    expect(fromAlice).toEqual(Array.from({ length: 16 }, (_, i) => `alice ${i}`));
    expect(back.peerFrames().length).toBe(16 + MAX / 8);
  });

  it('rotating the secret revokes the old tokens', async () => {
    relay = await testRelay({ limits: { mailboxMaxFrames: 16, mailboxSenderShareDivisor: 1 } });
    const bob = await client();
    const old = randomBytes(MAILBOX_SECRET_SIZE);
    registerSecret(bob, old);
    registerSecret(bob, randomBytes(MAILBOX_SECRET_SIZE)); // rotated
    await sleep(50);
    await offline(bob);
    const alice = await client('127.0.6.2');
    presentTokens(alice, [{ recipient: bob.id, token: tokenFor(old, alice) }]);
    await sleep(50);
    for (let i = 0; i < 4; i++) alice.sendPeer(bob.id, `a${i}`);
    await sleep(100);
    // Not vouched: only the strangers' share (16/8 = 2) gets in.
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="mailbox_strangers"}')).toBe(2);
  });

  it('a token presented before its recipient registered the secret (a relay restart) counts once it does', async () => {
    relay = await testRelay({ limits: { mailboxMaxFrames: 16, mailboxSenderShareDivisor: 1 } });
    const secret = randomBytes(MAILBOX_SECRET_SIZE);
    const bobKeys = new ToyClient();
    const alice = await client('127.0.6.3');
    presentTokens(alice, [{ recipient: bobKeys.id, token: tokenFor(secret, alice) }]); // nothing registered yet
    await sleep(50);
    const bob = await client('127.0.0.1', bobKeys.x, bobKeys.ed);
    registerSecret(bob, secret);
    await sleep(50);
    await offline(bob);
    for (let i = 0; i < 6; i++) alice.sendPeer(bob.id, `a${i}`);
    await sleep(100);
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="mailbox_strangers"}')).toBe(0);
    expect(relay.server.mailboxes.pending(Buffer.from(bob.id).toString('latin1'))).toBe(6);
  });

  it('present_mailbox_tokens is never answered, and answers rate_limited beyond MAILBOX_TOKENS_PER_SESSION', async () => {
    relay = await testRelay({ limits: { mailboxTokensPerSession: 3 } });
    const c = await client();
    presentTokens(c, [{ recipient: randomBytes(8), token: randomBytes(16) }, { recipient: randomBytes(8), token: randomBytes(16) }]);
    presentTokens(c, [{ recipient: randomBytes(8), token: randomBytes(16) }]);
    await sleep(100);
    expect(c.controls()).toHaveLength(0);
    presentTokens(c, [{ recipient: randomBytes(8), token: randomBytes(16) }]);
    await c.waitFor((x) => x.controls().length === 1);
    expect(c.controls()[0]!.control!.msg).toMatchObject({ code: 'rate_limited', request: ControlType.presentMailboxTokens });
  });
});

describe('one address cannot deny offline delivery to everyone', () => {
  it('40 sessions from one address are held to MAILBOX_SOURCE_MAX_BYTES; at the global cap the heaviest source goes first', { timeout: 60_000 }, async () => {
    const MiB = 1024 * 1024;
    relay = await testRelay({ limits: { mailboxGlobalMaxBytes: 2 * MiB, mailboxSourceMaxBytes: 1 * MiB } });
    const victim = await client();
    await offline(victim);
    // A contact's frame queued before the flood: evicting the globally oldest frame would take it.
    const alice = await client('127.0.8.3');
    alice.sendPeer(victim.id, 'queued before the flood');
    await sleep(50);
    const chunk = new Uint8Array(16 * 1024);
    const flood = async (address: string) => {
      const sessions: ToyClient[] = [];
      for (let i = 0; i < 40; i++) sessions.push(await client(address));
      for (let round = 0; round < 4; round++) {
        for (const s of sessions) s.sendPeer(randomBytes(8), chunk); // to random ids
        await sleep(30);
      }
    };
    await flood('127.0.8.1');
    await sleep(100);
    expect(relay.server.mailboxes.sourceBytes('127.0.8.1')).toBeLessThanOrEqual(MiB);
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="mailbox_source"}')).toBeGreaterThan(0);
    await flood('127.0.8.2');
    await flood('127.0.8.4');
    await sleep(100);
    // Three flooders fill the global cap between them, the later ones pushing out the oldest
    // frames of the heaviest...
    expect(relay.server.mailboxes.bytes).toBeGreaterThan(2 * MiB - 40 * 1024);
    const evicted = await metric(relay, 'parley_relay_drops_total', '{reason="mailbox_evicted"}');
    expect(evicted).toBeGreaterThan(0);
    // ...and still a contact's message from another address gets in: a flooder's oldest goes.
    const letter = Buffer.concat([Buffer.from('hello bob'), Buffer.alloc(16 * 1024)]); // needs room to be made
    alice.sendPeer(victim.id, letter);
    await sleep(100);
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="mailbox_evicted"}')).toBeGreaterThan(evicted);
    expect(relay.server.mailboxes.bytes).toBeLessThanOrEqual(2 * MiB);
    const back = await client('127.0.0.1', victim.x, victim.ed);
    await back.waitFor((c) => c.peerFrames().length === back.mailboxPending);
    expect(back.peerFrames().map(bodyOf)).toEqual(['queued before the flood', letter.toString()]);
  });

  it('IPv6 sources are counted by /64: key pairs from many addresses of one /64 share MAILBOX_SOURCE_MAX_BYTES', async () => {
    // Loopback has one IPv6 address, so the clients' addresses come through a trusted proxy's
    // X-Forwarded-For (the relay believes it from 127.0.0.1 only), over real sockets.
    const KiB = 1024;
    relay = await testRelay({ trustedProxies: ['127.0.0.1'], limits: { mailboxSourceMaxBytes: 64 * KiB } });
    const from = async (address: string) => {
      const c = await new ToyClient().connect(relay!.url, { headers: { 'X-Forwarded-For': address } });
      clients.push(c);
      return c;
    };
    const frame = new Uint8Array(10 * KiB); // charged 10 KiB + header + MAILBOX_ENTRY_OVERHEAD: 5 fit in 64 KiB
    for (let i = 1; i <= 8; i++) {
      const c = await from(`2001:db8:1:2:${i.toString(16)}::${i}`); // 8 addresses, one /64
      for (let k = 0; k < 2; k++) c.sendPeer(randomBytes(8), frame);
      await sleep(20);
    }
    await sleep(100);
    expect(relay.server.mailboxes.sourceBytes('2001:db8:1:2::/64')).toBeLessThanOrEqual(64 * KiB);
    expect(relay.server.mailboxes.sourceBytes('2001:db8:1:2::/64')).toBeGreaterThan(64 * KiB - 12 * KiB);
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="mailbox_source"}')).toBe(16 - 5);
    // The next /64 is another source with its own bound.
    const other = await from('2001:db8:1:3::1');
    for (let k = 0; k < 2; k++) other.sendPeer(randomBytes(8), frame);
    await sleep(100);
    expect(relay.server.mailboxes.sourceBytes('2001:db8:1:3::/64')).toBeGreaterThan(20 * KiB);
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="mailbox_source"}')).toBe(16 - 5);
  });

  it('one key pair is held to MAILBOX_IDENTITY_MAX_BYTES across all mailboxes', async () => {
    relay = await testRelay({ limits: { mailboxIdentityMaxBytes: 64 * 1024 } });
    const c = await client();
    for (let i = 0; i < 10; i++) c.sendPeer(randomBytes(8), new Uint8Array(10 * 1024));
    await sleep(100);
    expect(relay.server.mailboxes.senderBytes(Buffer.from(c.x).toString('latin1') + Buffer.from(c.ed).toString('latin1'))).toBeLessThanOrEqual(64 * 1024);
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="mailbox_identity"}')).toBe(5); // 5 x (10 KiB + 97 + 1024 charged) fit in 64 KiB
  });
});

describe('TURN credentials are limited per key pair and per address, not per connection', () => {
  const turn = { secret: 'turn-shared-secret-0123456789', turnUrls: ['turn:127.0.0.1:3478'], stunUrls: [] };
  const credsOf = (c: ToyClient) => c.controls().filter((r) => r.control!.type === ControlType.turnCredentials).length;
  const errorsOf = (c: ToyClient) => c.controls().filter((r) => r.control!.type === ControlType.error).length;
  async function ask(c: ToyClient, n: number): Promise<{ creds: number; errors: number }> {
    for (let i = 0; i < n; i++) c.sendControl(ControlType.turnRequest);
    await c.waitFor((x) => credsOf(x) + errorsOf(x) === n);
    return { creds: credsOf(c), errors: errorsOf(c) };
  }

  it('reconnecting does not reset a key pair\'s limit', async () => {
    relay = await testRelay({ turn, limits: { turnRequestsPerMinute: 2, turnRequestsPerAddressPerMinute: 100 } });
    const a = await client();
    expect(await ask(a, 3)).toEqual({ creds: 2, errors: 1 });
    a.close();
    const again = await client('127.0.0.1', a.x, a.ed);
    expect(await ask(again, 2)).toEqual({ creds: 0, errors: 2 });
  });

  it('fresh key pairs from one address share the address\'s limit; another address has its own', async () => {
    relay = await testRelay({ turn, limits: { turnRequestsPerMinute: 2, turnRequestsPerAddressPerMinute: 5 } });
    let creds = 0;
    for (let i = 0; i < 5; i++) creds += (await ask(await client('127.0.9.1'), 2)).creds;
    expect(creds).toBe(5);
    expect(await ask(await client('127.0.9.2'), 2)).toEqual({ creds: 2, errors: 0 });
    expect(await metric(relay, 'parley_relay_drops_total', '{reason="turn_rate_limited"}')).toBe(5);
  });

  it('a request refused for its address does not spend the key pair\'s own limit', async () => {
    relay = await testRelay({ turn, limits: { turnRequestsPerMinute: 2, turnRequestsPerAddressPerMinute: 3 } });
    expect(await ask(await client('127.0.9.3'), 2)).toEqual({ creds: 2, errors: 0 });
    expect(await ask(await client('127.0.9.3'), 1)).toEqual({ creds: 1, errors: 0 }); // the address's three are spent
    const a = await client('127.0.9.3');
    expect(await ask(a, 2)).toEqual({ creds: 0, errors: 2 }); // refused for the address
    a.close();
    // From another address, the key pair still has both of its own.
    expect(await ask(await client('127.0.9.4', a.x, a.ed), 2)).toEqual({ creds: 2, errors: 0 });
  });
});

