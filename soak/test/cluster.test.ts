/**
 * The short cluster soak of `npm test`: 30 clients on three relay nodes sharing a real
 * redis-server, with one node SIGKILLed (restarted after NODE_DOWN_MS) and one Redis restart
 * (SIGKILL, started again empty), run as its own process exactly as
 * `npm run soak -- --nodes 3 --node-kills 1 --redis-restarts 1` runs it. Nothing may be lost,
 * shown twice or out of order, and what the outboxes had to resend is reported (often a few
 * frames, sometimes none: it depends on what was in flight at each outage).
 *
 * Its budget is 120 s (it usually ends after 80-100), not 60: a node's SIGKILL loses frames in
 * flight from senders on the other nodes, and an emptied Redis loses receipts that open a chain;
 * those messages come back only with a resend after RESEND_INTERVAL_MS (30 s), sometimes two, so
 * the drain keeps 45 s (options.drainReserveMs) and the Redis restart comes first.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SoakReport } from '../src/summary.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLIENTS = 30;

function soak(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'soak/src/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => ok({ code, stdout, stderr }));
  });
}

describe('soak on a cluster: 3 nodes on Redis, one node kill, one Redis restart', () => {
  it('loses nothing, shows nothing twice or out of order, and reports the outboxes\' resends', { timeout: 240_000 }, async () => {
    const { code, stdout, stderr } = await soak(['--clients', String(CLIENTS), '--seconds', '120', '--rate', '30', '--nodes', '3', '--node-kills', '1', '--redis-restarts', '1', '--json']);
    const line = stdout.trim().split('\n').at(-1) ?? '';
    expect(line.startsWith('{'), `no JSON report; stderr:\n${stderr}`).toBe(true);
    const r = JSON.parse(line) as SoakReport & { setupFailed?: boolean };
    expect(r.failures, stderr).toEqual([]);
    expect(code).toBe(0);

    expect(r.texts.sent).toBeGreaterThan(0);
    expect(r.texts.lost).toBe(0);
    expect(r.texts.duplicates).toBe(0);
    expect(r.texts.outOfOrder, r.oooSamples.join(' | ')).toBe(0);
    expect(r.texts.delivered).toBe(r.texts.sent);
    expect(r.files.lost).toBe(0);
    expect(r.files.duplicates).toBe(0);
    expect(r.history).toEqual({ duplicates: 0, missing: 0 });
    expect(r.clients.crashed).toBe(0);
    expect(r.relay.crashes).toEqual([]);

    // both outages happened, in the planned order, and every client they hit came back
    expect(r.relay.kills.map((k) => k.what)).toEqual(['redis', 'node']);
    for (const k of r.relay.kills) {
      expect(k.watched).toBeGreaterThan(0);
      expect(k.online100Ms).not.toBeNull();
    }
    // Redis going away closes every node's sessions; a node kill hits that node's clients only
    expect(r.relay.kills[0]!.watched).toBeGreaterThan(r.relay.kills[1]!.watched);
    // The resends are reported, consistently. Whether the outages cost any is up to timing: only
    // a frame in flight at the kill, or a receipt in the emptied Redis, needs one, and a run can
    // lose none (the counter itself is tested in runtime/test/engine/delivery.test.ts).
    expect(r.resends.total).toBeGreaterThanOrEqual(r.resends.clients);
    expect(r.resends.max).toBeLessThanOrEqual(r.resends.total);
    expect(r.resends.clients).toBeLessThanOrEqual(CLIENTS);
    expect(r.resends.total === 0).toBe(r.resends.clients === 0);
  });
});
