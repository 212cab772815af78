/**
 * A load process: runs a share of the soak's clients (runtime Engines on MemoryStores) and does
 * what the coordinator asks over IPC (see ipc.ts). Any uncaught error is a client crash: it is
 * reported and the process exits 1.
 */
import { fromHex, pickBackend } from '@parley/runtime/crypto';
import { generateIdentity } from '@parley/runtime/protocol';
import { Client, type ClientHooks } from './client.ts';
import type { FromWorker, ToWorker, WorkerReport, WorkerStatus } from './ipc.ts';
import { prng } from './messages.ts';

/** Sends one client may have queued: a client that cannot keep up is skipped, not buried. */
const MAX_PENDING_PER_CLIENT = 4;
/** Sends queued in this process at once, for the same reason under CPU starvation. */
const MAX_PENDING = 512;
const TICK_MS = 50;

const send = (m: FromWorker): void => void process.send!(m);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function crash(e: unknown): void {
  process.send!({ t: 'crash', error: (e as Error)?.stack ?? String(e) } satisfies FromWorker, () => process.exit(1));
}
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
process.on('disconnect', () => process.exit(0)); // the coordinator went away

let clients: Client[] = [];
let byIndex = new Map<number, Client>();
let r: () => number = Math.random;
let concurrency = 16;
const waiters = new Map<string, () => void>();
const report: WorkerReport = { clients: [], latencies: [], offline: {}, offered: 0, skipped: 0, sendFailures: {}, dropped: {}, reconnects: [], disconnects: { cut: 0, restart: 0 }, cpuMs: 0 };
const watches = new Map<Client, { k: number; sawOffline: boolean }>();
const onlineAt = new Map<number, number[]>();
let loadTimer: ReturnType<typeof setInterval> | undefined;

const count = (m: Record<string, number>, k: string) => void (m[k] = (m[k] ?? 0) + 1);

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function until(check: () => boolean, deadline: number, what: string): Promise<void> {
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

async function handle(m: ToWorker): Promise<FromWorker> {
  switch (m.t) {
    case 'init': {
      const backend = await pickBackend();
      r = prng(m.seed);
      concurrency = m.concurrency;
      const hooks: ClientHooks = {
        relay: { url: m.relay.url, endpoints: m.relay.endpoints, x: fromHex(m.relay.x), ed: fromHex(m.relay.ed) },
        backend,
        latency: (sentAt, ms) => report.latencies.push(Math.round(sentAt), Math.round(ms * 10) / 10),
        dropped: (code) => count(report.dropped, code),
        sendFailed: (code) => count(report.sendFailures, code),
        state: (c, s) => {
          if (s.state === 'online') c.endpoint = s.endpoint;
          if (s.state === 'offline') count(report.offline, s.closeCode !== undefined ? `${s.closeCode} ${s.reason}` : s.reason);
          const w = watches.get(c);
          if (!w) return;
          if (s.state !== 'online') w.sawOffline = true;
          else if (w.sawOffline) {
            onlineAt.get(w.k)!.push(Date.now());
            watches.delete(c);
          }
        },
        accepted: (c, key) => waiters.get(`${c.index}/${key}`)?.(),
      };
      clients = [];
      for (const i of m.clients) clients.push(new Client(i, await generateIdentity(backend), hooks));
      byIndex = new Map(clients.map((c) => [c.index, c]));
      return { t: 'ok', rid: m.rid, keys: Object.fromEntries(clients.map((c) => [c.index, c.key])) };
    }
    case 'connect':
      await pool(clients, concurrency, async (c) => {
        await c.start();
        await until(() => c.online, m.deadline, `client ${c.index} online`);
      });
      return { t: 'ok', rid: m.rid };
    case 'invite': {
      const links: { e: number; link: string }[] = [];
      for (const { e, a } of m.edges) links.push({ e, link: (await byIndex.get(a)!.engine!.createInvite({ maxUses: 1, name: `c${a}` })).link });
      return { t: 'links', rid: m.rid, links };
    }
    case 'add': {
      const done: number[] = [];
      const failed: { e: number; error: string }[] = [];
      await pool(m.items, concurrency, async ({ e, b, link }) => {
        const c = byIndex.get(b)!;
        try {
          const contact = await c.engine!.addContact(link, { note: 'soak' });
          const id = `${b}/${contact.key}`;
          await new Promise<void>((ok, fail) => {
            if (c.contacts.includes(contact.key)) return ok();
            const t = setTimeout(() => fail(new Error('no accept before the deadline')), Math.max(0, m.deadline - Date.now()));
            waiters.set(id, () => (clearTimeout(t), ok()));
          }).finally(() => waiters.delete(id));
          done.push(e);
        } catch (err) {
          failed.push({ e, error: (err as Error).message });
        }
      });
      return { t: 'added', rid: m.rid, done, failed };
    }
    case 'load': {
      const fileShare = m.fileShare;
      let tokens = 0;
      let last = Date.now();
      loadTimer = setInterval(() => {
        const now = Date.now();
        tokens += (m.rate * (now - last)) / 1000;
        last = now;
        let pending = 0;
        for (const c of clients) pending += c.pending;
        for (; tokens >= 1; tokens--) {
          report.offered++;
          const c = clients[Math.floor(r() * clients.length)]!;
          if (!c.engine || c.contacts.length === 0 || c.pending >= MAX_PENDING_PER_CLIENT || pending >= MAX_PENDING) {
            report.skipped++;
            continue;
          }
          pending++;
          c.send(r() < fileShare, r);
        }
      }, TICK_MS);
      for (const d of m.disconnects) {
        const c = byIndex.get(d.client)!;
        setTimeout(() => {
          report.disconnects[d.mode]++;
          c.disconnect(d).catch(crash);
        }, Math.max(0, d.at - Date.now()));
      }
      return { t: 'ok', rid: m.rid };
    }
    case 'kill': {
      let watched = 0;
      onlineAt.set(m.k, []);
      for (const c of clients) {
        if (c.down || (m.node !== undefined && c.endpoint !== m.node)) continue;
        watched++;
        watches.set(c, { k: m.k, sawOffline: !c.online });
      }
      report.reconnects.push({ k: m.k, watched, onlineAt: [] });
      return { t: 'ok', rid: m.rid };
    }
    case 'drain':
      clearInterval(loadTimer);
      return { t: 'ok', rid: m.rid };
    case 'status': {
      const s: WorkerStatus = { online: 0, clients: clients.length, outbox: 0, pending: 0, filesInFlight: 0, textsSent: 0, textsReceived: 0 };
      for (const c of clients) {
        if (c.online) s.online++;
        s.outbox += c.engine?.outboxSize ?? 0;
        s.pending += c.pending;
        s.filesInFlight += c.filesInFlight;
        s.textsSent += c.textsSent;
        s.textsReceived += c.textsReceived;
      }
      return { t: 'status', rid: m.rid, status: s };
    }
    case 'report':
      report.clients = [];
      for (const c of clients) report.clients.push(await c.record());
      // absolute times here; the coordinator knows when each kill happened
      for (const rc of report.reconnects) rc.onlineAt = onlineAt.get(rc.k) ?? [];
      report.cpuMs = (process.cpuUsage().user + process.cpuUsage().system) / 1000;
      return { t: 'report', rid: m.rid, report };
    case 'exit':
      clearInterval(loadTimer);
      await Promise.race([Promise.all(clients.map((c) => c.engine?.stop())), sleep(5000)]);
      process.send!({ t: 'ok', rid: m.rid } satisfies FromWorker, () => process.exit(0));
      return new Promise(() => {});
  }
}

process.on('message', (m: ToWorker) => {
  handle(m).then(send, (e: Error) => send({ t: 'error', rid: m.rid, error: e.message }));
});
