/**
 * The soak's section of `npm run bench`: a short soak (100 clients) with every fault and one
 * relay kill, against the same soak without faults (the baseline) in the same run. Each is the
 * `npm run soak` command as its own process; the figures come from its JSON report.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SoakReport } from './src/summary.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLIENTS = 100;
const SECONDS = 45;
const RATE = 150;

interface Table {
  title: string;
  rows: Record<string, string | number>[];
  note?: string;
}

function soak(extra: string[], log: (line: string) => void): Promise<SoakReport> {
  const args = ['--import', 'tsx', 'soak/src/main.ts', '--clients', String(CLIENTS), '--seconds', String(SECONDS), '--rate', String(RATE), '--json', ...extra];
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => log(d.toString().trimEnd()));
    child.on('exit', () => {
      try {
        ok(JSON.parse(out.trim().split('\n').at(-1) ?? '') as SoakReport);
      } catch {
        fail(new Error(`soak ${extra.join(' ')}: no report`));
      }
    });
  });
}

const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? '-' : `${(a / b).toFixed(2)}x`);

export async function benchSoak(log: (line: string) => void = () => {}): Promise<Table[]> {
  const base = await soak(['--kills', '0', '--no-faults'], log);
  const faults = await soak(['--kills', '1'], log);
  const row = (name: string, r: SoakReport) => {
    const perSec = r.texts.delivered / (r.timing.loadMs / 1000);
    return {
      run: name,
      'texts delivered/s': Number(perSec.toFixed(1)),
      'p50 ms': r.latencyMs.p50 ?? '-',
      'p99 ms': r.latencyMs.p99 ?? '-',
      lost: r.texts.lost + r.files.lost,
      duplicates: r.texts.duplicates + r.files.duplicates,
      'out of order': r.texts.outOfOrder,
      'relay peak RSS MiB': r.relay.peakRssMiB,
      'reconnect 100% s': r.relay.kills[0]?.online100Ms == null ? '-' : Number((r.relay.kills[0].online100Ms / 1000).toFixed(1)),
      checks: r.ok ? 'pass' : r.failures.join('; '),
    };
  };
  const b = row('no faults', base);
  const f = row('faults + 1 relay kill', faults);
  return [
    {
      title: `Soak (soak/): ${CLIENTS} clients, ${RATE} msg/s, ${SECONDS} s budget, with every fault vs without`,
      note:
        'Faults: a tenth of the clients cut abruptly, a malformed-frame flood, a slow reader, one relay SIGKILL + restart. Latency is send to display of texts, ' +
        'including those held back by the faults. Target: nothing lost or shown twice in either run. Ratios: faults run vs no-faults run.',
      rows: [
        { ...b, 'delivered/s vs no faults': '1.00x', 'p99 vs no faults': '1.00x' },
        { ...f, 'delivered/s vs no faults': ratio(f['texts delivered/s'], b['texts delivered/s']), 'p99 vs no faults': ratio(faults.latencyMs.p99, base.latencyMs.p99) },
      ],
    },
  ];
}
