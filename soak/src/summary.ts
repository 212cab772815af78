/**
 * The final report: figures from the run (coordinator.RunData) and the check (verify.ts), the
 * list of failed checks (any one makes the exit status 1), and its text form.
 */
import { cpus, loadavg } from 'node:os';
import type { RunData } from './coordinator.ts';
import { percentile, timeToShare, verify, type Tally } from './verify.ts';

export interface KillReport {
  /** `relay`: the lone relay; `node`: one cluster node (`node` its index); `redis`: redis-server. */
  what: 'relay' | 'node' | 'redis';
  node?: number;
  atS: number;
  restartMs: number;
  watched: number;
  back: number;
  /** ms from the SIGKILL until 95% / 100% of the watched clients were online again. */
  online95Ms: number | null;
  online100Ms: number | null;
  /** Clients back online in each second after the kill. */
  backPerSecond: number[];
}

export interface SoakReport {
  ok: boolean;
  failures: string[];
  config: RunData['options'] & { cores: number; node: string; loadavg: number[] };
  timing: RunData['timing'];
  contacts: number;
  load: { offered: number; skipped: number; sendFailures: Record<string, number> };
  texts: Tally;
  files: Tally & { failures: number };
  history: { duplicates: number; missing: number };
  /**
   * The protection of every conversation at the end, one count per side (client and accepted
   * contact): `v2` sessions (double ratchet), of which `postQuantum`; `v1` static keys. Any v1
   * conversation fails the run: the soak measures protocol v2.
   */
  sessions: { ends: number; v2: number; postQuantum: number; v1: number };
  badPayloads: number;
  outboxLeft: number;
  /**
   * Outbox frames the clients' engines put on the wire again (Engine.outboxResends summed over
   * every client and engine): what reconnects, kills and Redis losing its mailboxes cost.
   */
  resends: { total: number; clients: number; max: number };
  /** Send to display, texts: all, and those sent while the relay was up and its clients back. */
  latencyMs: Latency & { outsideOutages: Latency };
  /** CPU seconds used: the relay (all incarnations), the load processes, the coordinator. */
  cpuSeconds: { relay: number; loadProcesses: number; coordinator: number; wall: number };
  relay: { startRssMiB: number; peakRssMiB: number; crashes: string[]; kills: KillReport[]; counters: Record<string, number> };
  faults: { disconnects: { cut: number; restart: number }; flood: RunData['flood']; slowReader: RunData['slow'] };
  clients: { crashed: number; crashes: string[]; engineErrors: number; engineErrorSamples: string[]; dropped: Record<string, number>; offline: Record<string, number> };
  lostSamples: string[];
  oooSamples: string[];
}

export interface Latency {
  samples: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

function latency(xs: number[]): Latency {
  const s = Float64Array.from(xs).sort();
  return { samples: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: percentile(s, 100) };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const merge = (ms: Record<string, number>[]) => {
  const out: Record<string, number> = {};
  for (const m of ms) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
  return out;
};

/** The report's `resends` from each client's `Engine.outboxResends` (summed over its engines). */
export function tallyResends(perClient: number[]): SoakReport['resends'] {
  return { total: sum(perClient), clients: perClient.filter((n) => n > 0).length, max: perClient.reduce((a, b) => Math.max(a, b), 0) };
}

const outageName = (k: KillReport): string => (k.what === 'node' ? `node ${k.node} kill` : k.what === 'redis' ? 'Redis restart' : 'kill');

export function summarize(run: RunData): SoakReport {
  const reps = run.reports;
  const v = verify(reps.flatMap((w) => w.clients));
  const kills: KillReport[] = run.kills.map((k) => {
    const parts = reps.map((w) => w.reconnects.find((x) => x.k === k.k));
    const watched = sum(parts.map((p) => p?.watched ?? 0));
    const delays = parts.flatMap((p) => p?.onlineAt ?? []).map((t) => t - k.killAt).sort((a, b) => a - b);
    const backPerSecond: number[] = [];
    for (const d of delays) {
      const s = Math.floor(d / 1000);
      while (backPerSecond.length <= s) backPerSecond.push(0);
      backPerSecond[s]!++;
    }
    return { what: k.what, ...(k.node !== undefined ? { node: k.node } : {}), atS: k.atMs / 1000, restartMs: k.restartMs, watched, back: delays.length, online95Ms: timeToShare(delays, watched, 0.95), online100Ms: timeToShare(delays, watched, 1), backPerSecond };
  });
  // outages: from each kill until every client was back (or the next kill, or the end)
  const outages = run.kills.map((k, i) => [k.killAt, k.killAt + (kills[i]!.online100Ms ?? Infinity)] as const);
  const all: number[] = [];
  const steady: number[] = [];
  for (const w of reps) {
    for (let i = 0; i + 1 < w.latencies.length; i += 2) {
      const [sentAt, ms] = [w.latencies[i]!, w.latencies[i + 1]!];
      all.push(ms);
      if (!outages.some(([a, b]) => sentAt >= a && sentAt <= b)) steady.push(ms);
    }
  }
  const crashes = run.crashes;
  const sessions = v.sessions;
  const f: string[] = [];
  const check = (bad: boolean, what: string) => void (bad && f.push(what));
  const undelivered = run.timing.drainMs === null ? ` (the drain did not finish: outboxes still hold ${v.outboxLeft} messages)` : '';
  check(v.texts.lost > 0, `${v.texts.lost} texts lost${undelivered}`);
  check(v.texts.duplicates > 0, `${v.texts.duplicates} texts shown twice`);
  check(v.texts.outOfOrder > 0, `${v.texts.outOfOrder} texts out of order`);
  check(v.texts.phantom + v.files.phantom > 0, `${v.texts.phantom + v.files.phantom} messages shown that no sender counted`);
  check(v.files.lost > 0, `${v.files.lost} files lost`);
  check(v.files.duplicates > 0, `${v.files.duplicates} files received twice`);
  check(v.fileFailures > 0, `${v.fileFailures} file transfers failed`);
  check(v.historyDuplicates + v.historyMissing > 0, `history: ${v.historyDuplicates} texts stored twice, ${v.historyMissing} missing`);
  check(v.badPayloads > 0, `${v.badPayloads} messages arrived altered`);
  check(sessions.v1 > 0, `${sessions.v1} conversation ends not on protocol v2 (static keys)`);
  check(sessions.ends < 2 * run.edges, `${sessions.ends} conversation ends reported for ${run.edges} contacts (2 each)`);
  check(crashes.length > 0, `${crashes.length} client crash(es)`);
  check(v.engineErrors.length > 0, `${v.engineErrors.length} engine error event(s)`);
  check(run.relay.crashes.length > 0, `the relay crashed: ${run.relay.crashes.join(', ')}`);
  const o = run.options;
  const planned = o.kills + o.nodeKills + o.redisRestarts;
  check(run.kills.length < planned, `${run.kills.length} of ${planned} planned outages (relay kills, node kills, Redis restarts) happened`);
  check(kills.some((k) => k.online100Ms === null), 'after an outage, not every client came back before the next one or the end');
  check(o.faults && (run.flood === null || run.flood.unexpected > 0 || run.flood.connections === 0), 'the relay did not close every malformed connection as the spec says');
  check(o.faults && (run.slow === null || !run.slow.dropped || !run.slow.senderOpen), 'the slow reader was not dropped, or its sender was');
  for (const e of run.errors) f.push(e);
  check(run.timing.drainMs === null, 'the drain did not finish within the time given');
  return {
    ok: f.length === 0,
    failures: f,
    config: { ...run.options, cores: cpus().length, node: process.versions.node, loadavg: loadavg().map((x) => Number(x.toFixed(2))) },
    timing: run.timing,
    contacts: run.edges,
    load: { offered: sum(reps.map((w) => w.offered)), skipped: sum(reps.map((w) => w.skipped)), sendFailures: merge(reps.map((w) => w.sendFailures)) },
    texts: v.texts,
    files: { ...v.files, failures: v.fileFailures },
    history: { duplicates: v.historyDuplicates, missing: v.historyMissing },
    sessions,
    badPayloads: v.badPayloads,
    outboxLeft: v.outboxLeft,
    resends: tallyResends(reps.flatMap((w) => w.clients.map((c) => c.resends))),
    latencyMs: { ...latency(all), outsideOutages: latency(steady) },
    cpuSeconds: {
      relay: Number((run.relay.cpuMs / 1000).toFixed(1)),
      loadProcesses: Number((sum(reps.map((w) => w.cpuMs)) / 1000).toFixed(1)),
      coordinator: Number((run.cpuMs / 1000).toFixed(1)),
      wall: Number((run.timing.totalMs / 1000).toFixed(1)),
    },
    relay: { startRssMiB: Number((run.relay.startRssKiB / 1024).toFixed(1)), peakRssMiB: Number((run.relay.peakRssKiB / 1024).toFixed(1)), crashes: run.relay.crashes, kills, counters: run.relay.counters },
    faults: {
      disconnects: { cut: sum(reps.map((w) => w.disconnects.cut)), restart: sum(reps.map((w) => w.disconnects.restart)) },
      flood: run.flood,
      slowReader: run.slow,
    },
    clients: { crashed: crashes.length, crashes: crashes.slice(0, 5), engineErrors: v.engineErrors.length, engineErrorSamples: v.engineErrors.slice(0, 5), dropped: merge(reps.map((w) => w.dropped)), offline: merge(reps.map((w) => w.offline)) },
    lostSamples: v.lostSamples,
    oooSamples: v.oooSamples,
  };
}

const n = (x: number) => x.toLocaleString('en-US');
const s1 = (ms: number | null) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`);
const ms = (x: number | null) => (x === null ? '-' : x < 1000 ? `${x.toFixed(1)} ms` : `${(x / 1000).toFixed(2)} s`);

export function formatReport(r: SoakReport): string {
  const c = r.config;
  const t = r.timing;
  const fl = r.faults.flood;
  const sr = r.faults.slowReader;
  const lines = [
    `Parley soak: ${n(c.clients)} clients in ${c.workers} load processes, ${c.seconds} s budget, ${c.nodes > 1 ? `${c.nodes} relay nodes on Redis, ${c.nodeKills} node kill(s), ${c.redisRestarts} Redis restart(s)` : `${c.kills} relay kill(s)`}, ${c.rate} msg/s (seed ${c.seed}; ${c.cores} cores, load ${c.loadavg.join(' ')})`,
    `setup     relay up ${s1(t.relayStartMs)}; load processes ready ${s1(t.initMs)}; clients online in ${s1(t.connectMs)}; ${n(r.contacts)} contacts paired by invite in ${s1(t.pairMs)}`,
    `load      ${s1(t.loadMs)}: ${n(r.texts.sent)} texts and ${n(r.files.sent)} files sent (${n(r.load.offered)} offered, ${n(r.load.skipped)} skipped: client busy or restarting)`,
    `drain     ${t.drainMs === null ? 'NOT finished' : `everything delivered ${s1(t.drainMs)} after sending stopped`}; total ${s1(t.totalMs)}`,
    `faults    ${r.faults.disconnects.cut} socket cuts + ${r.faults.disconnects.restart} engine restarts (no bye), then back`,
    fl ? `          malformed: ${fl.connections} connections (${fl.notEstablished} more not established), ${fl.unexpected} not closed as specified (${Object.entries(fl.closes).map(([k, v]) => `${k}: ${Object.entries(v).map(([code, x]) => `${code}×${x}`).join(',')}`).join('; ')})` : '          malformed: did not run',
    sr ? `          slow reader: ${sr.dropped ? `dropped after ${s1(sr.afterMs)}` : 'NOT dropped'} (${n(Math.round(sr.bytesSent / 1024))} KiB sent to it), sender ${sr.senderOpen ? 'unaffected' : 'CLOSED'}` : '          slow reader: did not run',
    ...r.relay.kills.map((k, i) => `          ${outageName(k)} ${i + 1} at +${k.atS.toFixed(1)} s: ${k.what === 'redis' ? 'every node ready again' : k.what === 'node' ? 'node back' : 'relay back'} in ${s1(k.restartMs)}; 95% of ${n(k.watched)} clients online in ${s1(k.online95Ms)}, 100% in ${s1(k.online100Ms)} (back per second: ${k.backPerSecond.join(' ')})`),
    `texts     sent ${n(r.texts.sent)}, delivered ${n(r.texts.delivered)}, duplicates ${r.texts.duplicates}, lost ${r.texts.lost}, out of order ${r.texts.outOfOrder}`,
    `files     sent ${n(r.files.sent)}, delivered ${n(r.files.delivered)}, duplicates ${r.files.duplicates}, lost ${r.files.lost}, failed ${r.files.failures}`,
    `sessions  ${n(r.sessions.ends)} conversation ends: ${n(r.sessions.v2)} on protocol v2 (${n(r.sessions.postQuantum)} post-quantum), ${n(r.sessions.v1)} on v1`,
    `history   stored twice ${r.history.duplicates}, missing ${r.history.missing}; outboxes left ${r.outboxLeft}`,
    `resends   ${n(r.resends.total)} outbox frames sent again, by ${n(r.resends.clients)} clients (at most ${n(r.resends.max)} by one)`,
    `latency   texts, send to display: p50 ${ms(r.latencyMs.p50)}, p90 ${ms(r.latencyMs.p90)}, p99 ${ms(r.latencyMs.p99)}, max ${ms(r.latencyMs.max)} (${n(r.latencyMs.samples)} samples)`,
    `          sent outside relay outages: p50 ${ms(r.latencyMs.outsideOutages.p50)}, p99 ${ms(r.latencyMs.outsideOutages.p99)} (${n(r.latencyMs.outsideOutages.samples)} samples)`,
    `relay     RSS ${r.relay.startRssMiB} MiB at start, peak ${r.relay.peakRssMiB} MiB; ${n(r.relay.counters['parley_relay_frames_forwarded_total'] ?? 0)} frames forwarded, ${n(r.relay.counters['parley_relay_handshakes_total'] ?? 0)} handshakes`,
    `cpu       relay ${r.cpuSeconds.relay} s, load processes ${r.cpuSeconds.loadProcesses} s, coordinator ${r.cpuSeconds.coordinator} s, in ${r.cpuSeconds.wall} s of wall time`,
    `clients   crashed ${r.clients.crashed}, engine errors ${r.clients.engineErrors}; dropped on receipt: ${JSON.stringify(r.clients.dropped)}`,
    `          went offline: ${Object.entries(r.clients.offline).sort((a, b) => b[1] - a[1]).map(([k, x]) => `${k} ×${x}`).join(', ') || 'never'}`,
    ...r.clients.crashes.map((x) => `          crash: ${x.split('\n')[0]}`),
    ...r.clients.engineErrorSamples.map((x) => `          error: ${x}`),
    ...r.lostSamples.map((x) => `          lost: ${x}`),
    ...r.oooSamples.map((x) => `          out of order: ${x}`),
    r.ok ? 'PASS' : `FAIL: ${r.failures.join('; ')}`,
  ];
  return lines.join('\n');
}
