/**
 * Profiles one engine-to-engine transfer (default 32 MB; BENCH_FILE_MB) with `node --cpu-prof`
 * in the sender, the relay and the receiver, and prints each process's top functions by self
 * time (and the share of idle time). Used for bench/results/files-profile.md.
 *
 *   npx tsx bench/files/profile.ts
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_FILE_SIZE } from '@parley/generated';
import { enginePair } from '@parley/test-kit/files';
import { engineTransfer } from './files.bench.ts';
import { sizesFromEnv, spawnServer, stopChild } from './servers.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function summarise(file: string, top = 18): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const url = n.callFrame.url.replace(/^.*\/(node_modules|wt\d+)\//, '$1/');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
}

const size = sizesFromEnv('BENCH_FILE_MB', [32], MAX_FILE_SIZE)[0]!;
const dirs = { relay: mkdtempSync(join(tmpdir(), 'prof-relay-')), peers: mkdtempSync(join(tmpdir(), 'prof-peers-')) };
const relay = await spawnServer('parley', ['--cpu-prof', '--cpu-prof-dir', dirs.relay]);
const pair = await enginePair({ port: relay.port, x: relay.x!, ed: relay.ed! }, ['--cpu-prof', '--cpu-prof-dir', dirs.peers]);
const r = await engineTransfer(pair, size);
process.stdout.write(`transfer ${size} bytes: ${JSON.stringify(r)}\n`);
await pair.sender.stop();
await pair.receiver.stop();
await stopChild(relay.child);
for (const [name, dir] of Object.entries(dirs)) {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
    process.stdout.write(`\n## ${name}: ${f}\n${summarise(join(dir, f)).join('\n')}\n`);
  }
}
process.stdout.write(`\nprofiles kept in ${dirs.relay} and ${dirs.peers}\n`);
process.exit(0);
