/**
 * The soak's own logic without a relay: the end-of-run check finds every kind of failure, the
 * payloads carry their stamps, the contact graph is a connected simple graph, flags parse.
 */
import { FILE_CHUNK_SIZE, MAX_TEXT_BYTES, RESEND_INTERVAL_MS } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { contactGraph, outagePlan } from '../src/coordinator.ts';
import type { ClientRecord, PairRecv } from '../src/ipc.ts';
import * as msg from '../src/messages.ts';
import { UsageError, drainReserveMs, parseArgs } from '../src/options.ts';
import { tallyResends } from '../src/summary.ts';
import { percentile, timeToShare, verify } from '../src/verify.ts';

function client(index: number, o: Partial<ClientRecord> = {}): ClientRecord {
  return {
    index, key: `k${index}`, texts: {}, files: {}, textsIn: {}, filesIn: {}, bad: 0, historyDup: 0, historyMissing: 0,
    outbox: 0, resends: 0, fileFailures: [], engineErrors: [], oooSamples: [], sessions: { v2: 0, postQuantum: 0, v1: 0 }, ...o,
  };
}
const got = (distinct: number, max = distinct, dup = 0, ooo = 0): PairRecv => ({ distinct, max, dup, ooo });

describe('the end-of-run check', () => {
  it('tallies the outboxes\' resends: the sum, how many clients resent, the most by one', () => {
    expect(tallyResends([0, 3, 0, 1])).toEqual({ total: 4, clients: 2, max: 3 });
    expect(tallyResends([0, 0])).toEqual({ total: 0, clients: 0, max: 0 });
    expect(tallyResends([])).toEqual({ total: 0, clients: 0, max: 0 });
  });

  it('passes when every text and file sent was shown once', () => {
    const v = verify([
      client(0, { texts: { k1: 3 }, files: { k1: 1 }, textsIn: { k1: got(2) } }),
      client(1, { texts: { k0: 2 }, textsIn: { k0: got(3) }, filesIn: { k0: got(1) } }),
    ]);
    expect(v.texts).toEqual({ sent: 5, delivered: 5, duplicates: 0, lost: 0, outOfOrder: 0, phantom: 0 });
    expect(v.files).toMatchObject({ sent: 1, delivered: 1, lost: 0 });
    expect(v.lostSamples).toEqual([]);
  });

  it('counts lost, duplicated, reordered and unsent texts separately', () => {
    const v = verify([
      client(0, { texts: { k1: 5, k2: 1 } }),
      client(1, { textsIn: { k0: got(3, 5, 2, 1) } }),
      client(2, { textsIn: { k0: got(2, 2), k9: got(1) } }),
    ]);
    expect(v.texts.lost).toBe(2); // seqs 1..5 sent, 3 distinct shown
    expect(v.texts.duplicates).toBe(2);
    expect(v.texts.outOfOrder).toBe(1);
    expect(v.texts.phantom).toBe(2); // seq 2 of a 1-text pair, and one from an unknown sender
    expect(v.lostSamples[0]).toMatch(/c0 -> c1: sent 5, shown 3/);
  });

  it('reports history duplicates, altered payloads, leftover outboxes and engine errors', () => {
    const v = verify([client(0, { historyDup: 1, historyMissing: 2, bad: 3, outbox: 4, engineErrors: ['tick: boom'] })]);
    expect(v).toMatchObject({ historyDuplicates: 1, historyMissing: 2, badPayloads: 3, outboxLeft: 4, engineErrors: ['c0: tick: boom'] });
  });

  it('counts each conversation end by protocol version, so a v1 conversation shows', () => {
    const v = verify([
      client(0, { sessions: { v2: 2, postQuantum: 1, v1: 0 } }),
      client(1, { sessions: { v2: 1, postQuantum: 1, v1: 1 } }),
    ]);
    expect(v.sessions).toEqual({ ends: 4, v2: 3, postQuantum: 2, v1: 1 });
  });

  it('computes percentiles and the time until a share of clients were back', () => {
    const xs = Float64Array.from([5, 1, 4, 2, 3]).sort();
    expect([percentile(xs, 50), percentile(xs, 99), percentile(xs, 100), percentile([], 50)]).toEqual([3, 5, 5, null]);
    expect(timeToShare([10, 20, 30], 3, 1)).toBe(30);
    expect(timeToShare([10, 20, 30], 4, 0.95)).toBeNull();
    expect(timeToShare([10, 20, 30], 3, 0.5)).toBe(20);
  });
});

describe('payloads', () => {
  it('texts carry their stamp and stay within the sizes drawn', () => {
    const r = msg.prng(7);
    for (let i = 0; i < 500; i++) {
      const size = msg.drawTextSize(r);
      expect(size).toBeGreaterThan(0);
      expect(size).toBeLessThanOrEqual(msg.SOAK_MAX_TEXT_BYTES);
      const t = msg.makeText({ seq: i + 1, from: 42, sentAt: 1234.5 }, size);
      expect(msg.parseText(t)).toEqual({ seq: i + 1, from: 42, sentAt: 1234.5 });
    }
    expect(msg.SOAK_MAX_TEXT_BYTES).toBeLessThan(MAX_TEXT_BYTES);
  });

  it('files carry their stamp in the name and a pattern that detects any change', () => {
    const s = { seq: 3, from: 9, sentAt: 99 };
    expect(msg.parseFileName(msg.fileName(s))).toEqual(s);
    const bytes = msg.fileBytes(s, FILE_CHUNK_SIZE + 1);
    expect(msg.checkFileBytes(s, bytes)).toBe(true);
    bytes[FILE_CHUNK_SIZE] = bytes[FILE_CHUNK_SIZE]! ^ 1;
    expect(msg.checkFileBytes(s, bytes)).toBe(false);
    expect(msg.checkFileBytes({ seq: 4, from: 9 }, msg.fileBytes(s, 10))).toBe(false);
  });
});

describe('the contact graph', () => {
  it('is a ring plus chords, without self-loops or repeated pairs', () => {
    for (const n of [2, 3, 10, 1000]) {
      const edges = contactGraph(n, msg.prng(n));
      const keys = edges.map(([a, b]) => (a < b ? `${a},${b}` : `${b},${a}`));
      expect(new Set(keys).size).toBe(edges.length);
      expect(edges.every(([a, b]) => a !== b && a < n && b < n)).toBe(true);
      const degree = new Array<number>(n).fill(0);
      for (const [a, b] of edges) degree[a]!++, degree[b]!++;
      expect(Math.min(...degree)).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('flags', () => {
  it('default to 1,000 clients, 180 s, 2 kills, 100 msg/s', () => {
    expect(parseArgs([])).toMatchObject({ clients: 1000, seconds: 180, kills: 2, rate: 100, json: false, workers: 4 });
    expect(parseArgs(['--clients=200', '--seconds', '60', '--kills', '1', '--json'])).toMatchObject({ clients: 200, seconds: 60, kills: 1, json: true, workers: 2 });
    expect(parseArgs(['--help'])).toBe('help');
  });

  it('refuse bad values with a message naming the flag', () => {
    expect(() => parseArgs(['--clients', '1'])).toThrow(UsageError);
    expect(() => parseArgs(['--kills', 'two'])).toThrow(/--kills/);
    expect(() => parseArgs(['--bogus'])).toThrow(/unknown option/);
    expect(() => parseArgs(['--nodes', '6'])).toThrow(/--nodes/);
    expect(() => parseArgs(['--nodes', '0'])).toThrow(/--nodes/);
    expect(() => parseArgs(['--nodes', '3', '--node-kills', '21'])).toThrow(/--node-kills/);
    expect(() => parseArgs(['--nodes', '3', '--redis-restarts', '11'])).toThrow(/--redis-restarts/);
    // node kills and Redis restarts need a cluster; a cluster's kills are --node-kills
    expect(() => parseArgs(['--node-kills', '1'])).toThrow(/--nodes 2/);
    expect(() => parseArgs(['--nodes', '3', '--kills', '1'])).toThrow(/--node-kills/);
  });

  it('take a cluster: nodes, node kills and Redis restarts, interleaved on the timeline', () => {
    const o = parseArgs(['--nodes', '3', '--node-kills', '2', '--redis-restarts', '1']) as Exclude<ReturnType<typeof parseArgs>, 'help'>;
    expect(o).toMatchObject({ nodes: 3, nodeKills: 2, redisRestarts: 1, kills: 0 });
    expect(outagePlan(o)).toEqual(['redis', 'node', 'node']);
    expect(outagePlan({ kills: 2, nodeKills: 0, redisRestarts: 0 })).toEqual(['relay', 'relay']);
    expect(parseArgs([])).toMatchObject({ nodes: 1, nodeKills: 0, redisRestarts: 0 });
  });

  it('keep a drain long enough for a resend when no kill forces one', () => {
    const o = parseArgs(['--kills', '0']) as Exclude<ReturnType<typeof parseArgs>, 'help'>;
    expect(drainReserveMs(o, 10_000)).toBeGreaterThan(RESEND_INTERVAL_MS);
  });
});
