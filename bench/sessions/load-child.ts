/**
 * The client load of the sessions bench, in its own process so that its CPU is not counted
 * with the server's. Commands on the command line; IPC to the parent:
 *
 *   parley <url> <xHex> <edHex> <n> <concurrency>  n Parley sessions (handshake, then close)
 *   tls <url> <certFile> <n> <concurrency> [clientCert clientKey]
 *                                                  n TLS 1.3 WebSocket connections (open, then
 *                                                  close), with a client certificate if given
 *   storm <url> <xHex> <edHex> <n>                 n clients held open; each reconnects when its
 *                                                  connection closes (random delay up to
 *                                                  STORM_JITTER_MS, retries every RETRY_MS)
 *
 * It says `{ ready }` when prepared (identities made), runs on 'go', and answers `{ done, ms,
 * failed }` (sessions) or `{ connected }`, then `{ reconnected, at }` for each storm (with
 * `incomplete: true` and the count back so far if the deadline passed first).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { pickBackend } from '@parley/runtime/crypto';
import { generateIdentity, type Identity } from '@parley/runtime/protocol';
import { handshake } from './client.ts';

/** Clients spread their reconnects over this long, as real clients do with backoff jitter. */
const STORM_JITTER_MS = 1000;
/** Wait between failed reconnect attempts (the relay is not listening yet, or refused). */
const RETRY_MS = 250;
/** Longest the storm waits for every client to be back: 180 s, or 30 ms per client on this shared host. */
const stormDeadlineMs = (n: number) => Math.max(180_000, n * 30);

const [mode, url, ...rest] = process.argv.slice(2) as [string, string, ...string[]];
const backend = await pickBackend();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const go = () => new Promise<void>((ok) => process.once('message', () => ok()));
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

async function pooled(n: number, concurrency: number, one: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) {
        const i = next++;
        await one(i).catch(() => failed++);
      }
    }),
  );
  return failed;
}

if (mode === 'parley' || mode === 'tls') {
  const n = Number(rest[mode === 'parley' ? 2 : 1]);
  const concurrency = Number(rest[mode === 'parley' ? 3 : 2]);
  let one: (i: number) => Promise<void>;
  if (mode === 'parley') {
    const relay = { x: hex(rest[0]!), ed: hex(rest[1]!) };
    // made ahead, so only the session is measured; each is closed before its identity is reused
    const pool = await Promise.all(Array.from({ length: 64 }, () => generateIdentity(backend)));
    one = async (i) => (await handshake(url, backend, pool[i % pool.length]!, relay)).ws.terminate();
  } else {
    const ca = readFileSync(rest[0]!);
    const client = rest[3] !== undefined ? { cert: readFileSync(rest[3]), key: readFileSync(rest[4]!) } : {};
    one = (i) =>
      new Promise((ok, fail) => {
        void i;
        const ws = new WebSocket(url, { ca, ...client, perMessageDeflate: false, minVersion: 'TLSv1.3' });
        ws.once('open', () => {
          ws.terminate();
          ok();
        });
        ws.once('error', fail);
      });
  }
  process.send!({ ready: true });
  await go();
  const t0 = performance.now();
  const failed = await pooled(n, concurrency, one);
  process.send!({ done: n - failed, failed, ms: performance.now() - t0 });
} else if (mode === 'storm') {
  const relay = { x: hex(rest[0]!), ed: hex(rest[1]!) };
  const n = Number(rest[2]);
  const ids: Identity[] = [];
  for (let i = 0; i < n; i++) ids.push(await generateIdentity(backend));
  process.send!({ ready: true });
  await go();
  let up = 0;
  let back = 0;
  let storm = false;
  const stormDeadline = () => performance.now() + stormDeadlineMs(n);
  let deadline = stormDeadline();
  let reported = false;
  const report = (incomplete: boolean) => {
    if (reported) return;
    reported = true;
    storm = false;
    process.send!({ reconnected: back, at: performance.timeOrigin + performance.now(), ...(incomplete ? { incomplete: true } : {}) });
  };
  const connect = async (id: Identity, first: boolean): Promise<void> => {
    if (!first) await sleep(Math.random() * STORM_JITTER_MS);
    while (performance.now() < deadline) {
      try {
        const s = await handshake(url, backend, id, relay);
        s.ws.once('close', () => {
          up--;
          if (!storm) {
            storm = true;
            back = 0;
            reported = false;
            deadline = stormDeadline();
            setTimeout(() => report(true), stormDeadlineMs(n)).unref();
          }
          void connect(id, false);
        });
        up++;
        if (!first) {
          back++;
          if (back === n) report(false);
        }
        return;
      } catch {
        await sleep(RETRY_MS + Math.random() * RETRY_MS);
      }
    }
  };
  await pooled(n, 32, (i) => connect(ids[i]!, true));
  process.send!({ connected: up });
} else throw new Error(`load-child: unknown mode ${mode}`);
process.on('message', (m) => {
  if (m === 'stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
