/**
 * Every failure prints one clear line (no stack trace) and exits with its documented code
 * (cli/README.md "Exit codes").
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { toHex } from '@parley/runtime/crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '../../relay/src/index.ts';
import { World, befriend, json, pair, type RunResult } from './_harness.ts';

const w = new World();
afterAll(() => w.cleanup());
afterEach(() => w.stopAll());

function expectFailure(r: RunResult, code: number, message: RegExp): void {
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code, stderr: expect.stringMatching(message) });
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('wschat failures and exit codes', () => {
  let relay: RunningRelay;
  let other: RunningRelay;
  let a: string;
  let b: string;
  let bobId: string;

  beforeAll(async () => {
    [relay, other] = await Promise.all([w.relay(), w.relay()]);
    ({ a, b } = await pair(w, relay));
    bobId = (await befriend(w, a, b)).id;
  });

  it('2 usage: unknown command, missing argument, bad option value, ambiguous contact', async () => {
    const b2 = await w.home('bob2');
    await w.ok(['init', '--home', b2, '--name', 'bob', '--relay', relay.httpUrl, '--offline']);
    const link = json(await w.ok(['whoami', '--home', b2, '--json'])).link as string;
    await w.ok(['contact', 'add', link, '--home', a]);
    const [unknown, missing, badWait, ambiguous] = await Promise.all([
      w.run(['frobnicate']),
      w.run(['send', 'bob', '--home', a]),
      w.run(['send', bobId, 'hi', '--wait', 'soon', '--home', b]),
      w.run(['send', 'bob', 'hi', '--home', a, '--timeout', '5']),
    ]);
    expect(unknown.code).toBe(2);
    expect(missing.code).toBe(2);
    expectFailure(badWait, 2, /Invalid value for --wait: expected one of "sent" or "delivered"/);
    expectFailure(ambiguous, 2, /"bob" matches 2 contacts/);
  });

  it('3 not initialised, 5 unknown contact, 8 file missing, 10 busy', async () => {
    const nowhere = await w.home('nobody-here');
    const listen = w.start(['listen', '--home', b]);
    await listen.until(() => listen.stderr.includes('listening'), 'listen to start');
    const [notInit, unknown, missingFile, busy] = await Promise.all([
      w.run(['send', 'bob', 'hi', '--home', nowhere]),
      w.run(['send', 'nobody', 'hi', '--home', a]),
      w.run(['file', 'send', bobId, join(nowhere, 'missing.txt'), '--home', a]),
      w.run(['send', 'alice', 'hi', '--home', b]),
    ]);
    expectFailure(notInit, 3, /no identity in .*; run wschat init first/);
    expectFailure(unknown, 5, /no contact "nobody"/);
    expectFailure(missingFile, 8, /no such file: .*missing\.txt/);
    expectFailure(busy, 10, /another wschat \(pid \d+\) is using/);
    expect(await listen.stop()).toBe(0);
  });

  it('4 bad invite: garbage, or an invite for another relay', async () => {
    const elsewhere = await w.home('elsewhere');
    await w.ok(['init', '--home', elsewhere, '--relay', other.httpUrl, '--offline']);
    const foreign = json(await w.ok(['whoami', '--home', elsewhere, '--json'])).link as string;
    // one home is used by one process at a time: these run one after another
    const garbage = await w.run(['contact', 'add', 'not-an-invite!', '--home', a, '--json']);
    const wrongRelay = await w.run(['contact', 'add', foreign, '--home', a]);
    expect(garbage.code).toBe(4);
    expect(JSON.parse(garbage.stderr)).toMatchObject({ type: 'error', code: 'BAD_INVITE', exit: 4, message: expect.stringMatching(/invite/) });
    expectFailure(wrongRelay, 4, /invite is for another relay/);
  });

  it('6 relay unreachable, 7 wrong relay key, 9 timeout', async () => {
    const port = await closedPort();
    const x = toHex(other.publicKeys.x);
    const ed = toHex(other.publicKeys.ed);
    const offline = await w.home('offline');
    await w.ok(['init', '--home', offline, '--offline', '--relay-url', `ws://127.0.0.1:${port}/`, '--relay-x', x, '--relay-ed', ed]);
    const [bootstrap, send, wrongKey, wrongFp, timeout] = await Promise.all([
      w.run(['init', '--home', await w.home('u1'), '--relay', `http://127.0.0.1:${port}`]),
      w.run(['send', 'bob', 'hi', '--home', offline, '--timeout', '2']),
      w.run(['init', '--home', await w.home('u2'), '--relay-url', relay.url, '--relay-x', x, '--relay-ed', ed, '--timeout', '10']),
      w.run(['init', '--home', await w.home('u3'), '--relay', relay.httpUrl, '--fingerprint', '0000-0000']),
      w.run(['send', bobId, 'are you there?', '--wait', 'delivered', '--timeout', '2', '--home', a]),
    ]);
    expectFailure(bootstrap, 6, /relay unreachable: http:\/\/127\.0\.0\.1:\d+\/\.well-known\/parley\.json/);
    expectFailure(send, 6, /relay unreachable: ws:\/\/127\.0\.0\.1:\d+\//);
    expectFailure(wrongKey, 7, /wrong relay key/);
    expectFailure(wrongFp, 7, /fingerprint is [0-9a-f-]+, not 0000-0000/);
    expectFailure(timeout, 9, /timed out after 2 s waiting until the message was delivered/);
    // a failed init keeps nothing
    expect(existsSync(join(await w.home('u2'), 'identity.json'))).toBe(false);
  });

  it('init takes the relay from the environment', async () => {
    const home = await w.home('from-env');
    const r = await w.ok(['init', '--home', home, '--json'], {
      env: { WSCHAT_RELAY: relay.url, WSCHAT_SERVER_X_PUB: toHex(relay.publicKeys.x), WSCHAT_SERVER_ED_PUB: toHex(relay.publicKeys.ed) },
    });
    expect(json(r)).toMatchObject({ relay: { url: relay.url }, source: 'the given keys' });
    const missing = await w.run(['init', '--home', await w.home('no-relay')]);
    expectFailure(missing, 2, /no relay/);
  });
});
