/**
 * Every failure prints one clear line (no stack trace) and exits with its documented code
 * (cli/README.md "Exit codes").
 */
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { MAX_INVITE_USES, PROTOCOL_VERSION, WELL_KNOWN_PATH } from '@parley/generated';
import { toHex } from '@parley/runtime/crypto';
import { relayFingerprint } from '@parley/runtime/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningRelay } from '@parley/relay';
import { CLI_CASE_TIMEOUT_MS, World, befriend, json, pair, type RunResult } from './_harness.ts';

vi.setConfig({ testTimeout: CLI_CASE_TIMEOUT_MS });

const w = new World();
afterAll(() => w.cleanup());
afterEach(() => w.stopAll());

function expectFailure(r: RunResult, code: number, message: RegExp): void {
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code, stderr: expect.stringMatching(message) });
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** An HTTP server on 127.0.0.1 that answers WELL_KNOWN_PATH with `doc`. */
async function fakeWellKnown(doc: unknown): Promise<{ url: string; server: Server }> {
  const server = createHttpServer((req, res) => {
    if (req.url !== WELL_KNOWN_PATH) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

/** One line, no stack, the given exit code, and that line in a JSON `error` event on stdout (bridge). */
function expectBridgeFailure(r: RunResult, exit: number, code: string, message: RegExp): void {
  expectFailure(r, exit, message);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(events).toEqual([{ type: 'error', code, message: expect.stringMatching(message) }]);
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
    expectFailure(unknown, 2, /unknown command \(wschat --help lists the commands\)/);
    expectFailure(missing, 2, /Not enough positional arguments: wschat send <contact> <text>/);
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
    // words a person can act on; the code (and the technical detail) for scripts and logs
    expect(JSON.parse(garbage.stderr)).toMatchObject({ type: 'error', code: 'BAD_INVITE', exit: 4, message: "This isn't a Parley invite link. Ask your contact for a new one.", detail: expect.stringMatching(/base64url/) });
    expectFailure(wrongRelay, 4, /^wschat: This invite is for another Parley server than the one you use\. Ask your contact for an invite on your server\.\n$/);
    expect(wrongRelay.stderr).not.toMatch(/BAD_INVITE|ws:\/\//);
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
    expectFailure(bootstrap, 6, /relay unreachable: http:\/\/127\.0\.0\.1:\d+\/\.well-known\/parley\.json \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/);
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

  it('2 usage: a command group without its subcommand, chat --json, whoami --uses over MAX_INVITE_USES', async () => {
    const [contact, contactBad, file, fileSend, chatJson, uses, usesJson] = await Promise.all([
      w.run(['contact']),
      w.run(['contact', 'lst']),
      w.run(['file']),
      w.run(['file', 'send', 'bob']),
      w.run(['chat', 'bob', '--json', '--home', a]),
      w.run(['whoami', '--uses', '5000', '--home', a]),
      w.run(['whoami', '--uses', String(MAX_INVITE_USES + 1), '--home', a, '--json']),
    ]);
    expectFailure(contact, 2, /^wschat: wschat contact needs a subcommand: add, list, remove, verify/);
    expectFailure(contactBad, 2, /wschat contact has no subcommand "lst"/);
    const groupHelp = await w.ok(['contact', '--help']);
    expect(groupHelp.stdout).toMatch(/^  verify +compare safety numbers/m);
    expectFailure(file, 2, /wschat file needs a subcommand: send/);
    expectFailure(fileSend, 2, /Not enough positional arguments: wschat file send <contact> <path>/);
    expect(chatJson.code).toBe(2);
    expect(JSON.parse(chatJson.stderr)).toMatchObject({ code: 'USAGE', exit: 2, message: expect.stringMatching(/chat is interactive and has no JSON output/) });
    expectFailure(uses, 2, new RegExp(`--uses must be a whole number from 1 to ${MAX_INVITE_USES} \\(the protocol's MAX_INVITE_USES\\), got 5000`));
    expect(JSON.parse(usesJson.stderr)).toMatchObject({ code: 'USAGE', exit: 2 });
    // at the limit it works
    expect(json(await w.ok(['whoami', '--uses', String(MAX_INVITE_USES), '--home', a, '--json'])).maxUses).toBe(MAX_INVITE_USES);
  });

  it('--help lists the exit codes', async () => {
    const help = await w.ok(['--help']);
    expect(help.stdout).toContain('Exit codes');
    for (const [exit, code] of [[1, 'INTERNAL'], [2, 'USAGE'], [3, 'NOT_INITIALISED'], [4, 'BAD_INVITE'], [5, 'UNKNOWN_CONTACT'], [6, 'RELAY_UNREACHABLE'], [7, 'WRONG_RELAY_KEY'], [8, 'FILE_ERROR'], [9, 'TIMEOUT'], [10, 'BUSY']] as const) {
      expect(help.stdout).toMatch(new RegExp(`^  ${exit} +${code}\\b`, 'm'));
    }
  });

  it('4 bad invite: an expired one', async () => {
    const link = json(await w.ok(['whoami', '--home', b, '--ttl', '1', '--json'])).link as string;
    // expiry has a one-second resolution: two seconds later it is certainly past
    await new Promise((r) => setTimeout(r, 2100));
    expectFailure(await w.run(['contact', 'add', link, '--home', a]), 4, /expired/);
  });

  it('6 a well-known document of another protocol or version is refused; 7 one whose fingerprint is not its keys\'', async () => {
    const x = toHex(relay.publicKeys.x);
    const ed = toHex(relay.publicKeys.ed);
    const good = { protocol: 'parley', versions: [PROTOCOL_VERSION], url: relay.url, relay_x: x, relay_ed: ed, fingerprint: relayFingerprint(relay.publicKeys.x, relay.publicKeys.ed) };
    const servers = await Promise.all([
      fakeWellKnown({ ...good, protocol: 'matrix' }),
      fakeWellKnown({ ...good, versions: [PROTOCOL_VERSION + 1, PROTOCOL_VERSION + 2] }),
      fakeWellKnown(good),
      // the relay's keys with another relay's fingerprint: what a person would compare is not what gets pinned
      fakeWellKnown({ ...good, fingerprint: relayFingerprint(other.publicKeys.x, other.publicKeys.ed) }),
    ]);
    try {
      const [protocol, version, ok, mismatch] = await Promise.all(servers.map(async (s, i) => w.run(['init', '--home', await w.home(`wk${i}`), '--relay', s.url, '--offline'])));
      expectFailure(protocol!, 6, /parley\.json is not a Parley relay document \(protocol "matrix", expected "parley"\)/);
      expectFailure(version!, 6, new RegExp(`offers protocol versions ${PROTOCOL_VERSION + 1}, ${PROTOCOL_VERSION + 2}; this wschat speaks version ${PROTOCOL_VERSION}`));
      expectFailure(mismatch!, 7, /parley\.json: the published fingerprint does not match the published keys/);
      expect(existsSync(join(await w.home('wk3'), 'identity.json'))).toBe(false);
      // the same document with the right protocol and version is pinned (the test is not vacuous)
      expect(ok!.code).toBe(0);
      expect(existsSync(join(await w.home('wk0'), 'identity.json'))).toBe(false);
    } finally {
      for (const s of servers) s.server.close();
    }
  });

  it('init bootstraps from WSCHAT_RELAY=http://…', async () => {
    const home = await w.home('env-http');
    const r = await w.ok(['init', '--home', home, '--json'], { env: { WSCHAT_RELAY: relay.httpUrl } });
    expect(json(r)).toMatchObject({ relay: { url: relay.url, fingerprint: relayFingerprint(relay.publicKeys.x, relay.publicKeys.ed) }, source: new URL(WELL_KNOWN_PATH, relay.httpUrl).href });
  });

  it('bridge: 6 relay unreachable and 7 wrong relay key, each with an error line on stdout', async () => {
    const port = await closedPort();
    const gone = await w.home('bridge-gone');
    const wrong = await w.home('bridge-wrong');
    await Promise.all([
      w.ok(['init', '--home', gone, '--offline', '--relay-url', `ws://127.0.0.1:${port}/`, '--relay-x', toHex(relay.publicKeys.x), '--relay-ed', toHex(relay.publicKeys.ed)]),
      // the relay's URL, another relay's keys
      w.ok(['init', '--home', wrong, '--offline', '--relay-url', relay.url, '--relay-x', toHex(other.publicKeys.x), '--relay-ed', toHex(other.publicKeys.ed)]),
    ]);
    const [unreachable, wrongKey] = await Promise.all([
      w.run(['bridge', '--home', gone, '--timeout', '2']),
      w.run(['bridge', '--home', wrong, '--timeout', '10']),
    ]);
    expectBridgeFailure(unreachable, 6, 'RELAY_UNREACHABLE', /relay unreachable: ws:\/\/127\.0\.0\.1:\d+\//);
    expectBridgeFailure(wrongKey, 7, 'WRONG_RELAY_KEY', /wrong relay key/);
  });
});
