/**
 * `npm run bench`: runs every package's benchmark in one process, prints each table, and writes
 * them all to bench/results/latest.md with the machine's cores and Node version. Every figure is a
 * ratio against a baseline measured in the same run (see each table's note).
 *
 *   npm run bench                 # everything
 *   npm run bench -- codec relay  # only the named sections
 *   BENCH_FILE_MB=1 npm run bench -- files   # files bench, 1 MB only (see bench/files/files.bench.ts)
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTable, type BenchTable } from './table.ts';
import { renderCharts } from './charts.ts';

const here = dirname(fileURLToPath(import.meta.url));

interface Section {
  id: string;
  title: string;
  run: () => Promise<BenchTable[]>;
}

const sections: Section[] = [
  {
    id: 'codec',
    title: 'Codec (issue 2): generated decoder and encoder vs the Kaitai-generated JavaScript parser',
    run: async () => [await (await import('./codec/codec.bench.ts')).benchCodec()],
  },
  {
    id: 'crypto',
    title: 'Crypto primitives (issue 3): noble, node and webcrypto backends vs libsodium-wrappers',
    run: async () => {
      const { benchPrimitives } = await import('../runtime/bench/crypto/primitives.ts');
      const rows = await benchPrimitives();
      const ops = [...new Set(rows.map((r) => r.op))];
      const impls = [...new Set(rows.map((r) => r.impl))];
      return [
        {
          title: 'Crypto primitives, ops/s (ratio vs libsodium-wrappers)',
          note: 'Target: the node backend at least as fast as libsodium-wrappers. BLAKE3 rows use libsodium keyed BLAKE2b as the stand-in baseline (libsodium has no BLAKE3).',
          rows: ops.map((op) => {
            const row: Record<string, string | number> = { op };
            for (const impl of impls) {
              const r = rows.find((x) => x.op === op && x.impl === impl);
              if (r) row[impl] = `${Math.round(r.opsPerSec).toLocaleString('en-US')}${r.vsLibsodium === null ? '' : ` (${r.vsLibsodium.toFixed(2)}x)`}`;
            }
            return row;
          }),
        },
      ];
    },
  },
  {
    id: 'protocol',
    title: 'Protocol (issue 3): frames and handshakes vs libsodium-wrappers',
    run: async () => (await import('../runtime/bench/protocol.bench.ts')).benchProtocol(),
  },
  {
    id: 'ratchet',
    title: 'Ratchet (issue 17): v2 sessions vs v1 frames and a noble-only baseline',
    run: async () => (await import('../runtime/bench/ratchet.bench.ts')).benchRatchet(),
  },
  {
    id: 'relay',
    title: 'Relay (issues 4 and 20): Parley relay vs a bare ws forwarder; a relay cluster on Redis, same node vs across nodes',
    run: async () => [
      ...(await (await import('../relay/bench/relay.bench.ts')).benchRelay((line) => console.error(line))),
      ...(await (await import('../relay/bench/cluster.bench.ts')).benchCluster((line) => console.error(line))),
    ],
  },
  {
    id: 'files',
    title: 'Files (issue 19): engine-to-engine and wschat-to-wschat transfers through the relay vs a bare ws forwarder',
    run: async () => (await import('./files/files.bench.ts')).benchFiles((line) => console.error(line)),
  },
  {
    id: 'sessions',
    title: 'Relay sessions (issue 19): relay CPU per new session vs TLS 1.3, and a reconnect storm',
    run: async () => (await import('./sessions/sessions.bench.ts')).benchSessions((line) => console.error(line)),
  },
  {
    id: 'web',
    title: 'Web app (issues 6, 7): production bundle size, time to a usable conversations screen, call setup time',
    run: async () => [...(await (await import('../web/bench/web.bench.ts')).benchWeb()), ...(await (await import('../web/bench/calls.bench.ts')).benchCalls())],
  },
  {
    id: 'soak',
    title: 'Soak (issue 10): 100 clients with faults and a relay kill vs without faults',
    run: async () => (await import('../soak/bench.ts')).benchSoak((line) => console.error(line)),
  },
];

async function main(): Promise<void> {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const chosen = only.length ? sections.filter((s) => only.includes(s.id)) : sections;
  const started = new Date();
  const out: string[] = [
    '# Parley benchmark report',
    '',
    `Run ${started.toISOString()} on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, OpenSSL ${process.versions.openssl}.`,
    'Each figure is measured against a baseline in the same run; machine noise on shared 2-core hosts is ±25%.',
    '',
  ];
  const all: { section: Section; tables: BenchTable[] }[] = [];
  for (const section of chosen) {
    console.log(`\n## ${section.title}\n`);
    let tables: BenchTable[];
    try {
      tables = await section.run();
    } catch (e) {
      // A failing section is reported, not hidden; the others still run.
      tables = [{ title: `${section.id}: failed`, rows: [{ error: (e as Error).message.split('\n')[0]! }] }];
      process.exitCode = 1;
    }
    all.push({ section, tables });
    out.push(`## ${section.title}`, '');
    for (const t of tables) {
      const text = renderTable(t);
      console.log(text);
      out.push(text);
    }
  }
  const resultsDir = join(here, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const charts = renderCharts(all.flatMap((a) => a.tables));
  // a full run replaces every chart (names follow table titles; drop ones no table makes now)
  if (only.length === 0) for (const f of readdirSync(resultsDir)) if (f.endsWith('.svg')) rmSync(join(resultsDir, f));
  for (const c of charts) {
    writeFileSync(join(resultsDir, c.file), c.svg);
    out.push(`![${c.title}](${c.file})`, '');
  }
  if (only.length === 0) {
    writeFileSync(join(resultsDir, 'latest.md'), out.join('\n'));
    console.log(`\nbench: wrote bench/results/latest.md${charts.length ? ` and ${charts.length} chart(s)` : ''}`);
  }
}

await main();
// Benchmarks leave sockets and timers of libraries behind; the report is written, so stop.
process.exit(process.exitCode ?? 0);
