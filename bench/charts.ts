/**
 * SVG bar charts for the benchmark report, written here (no charting dependency): one chart per
 * table that has a numeric "ratio" column, bars against the 1.0 line of the baseline.
 */
import type { BenchTable } from './table.ts';

export interface Chart {
  file: string;
  title: string;
  svg: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Parses "1.23x", "(1.23x)" or a number into a ratio. */
function ratioOf(v: string | number | undefined): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  const m = /(-?\d+(?:\.\d+)?)x\)?\s*$/.exec(v ?? '');
  return m ? Number(m[1]) : null;
}

export function renderCharts(tables: BenchTable[]): Chart[] {
  const charts: Chart[] = [];
  tables.forEach((t, ti) => {
    const cols = [...new Set(t.rows.flatMap((r) => Object.keys(r)))];
    const label = cols[0]!;
    const ratioCols = cols.slice(1).filter((c) => t.rows.some((r) => ratioOf(r[c]) !== null));
    if (!ratioCols.length) return;
    const bars = t.rows.flatMap((r) => ratioCols.map((c) => ({ name: `${r[label]} · ${c}`, value: ratioOf(r[c]) })).filter((b) => b.value !== null)) as { name: string; value: number }[];
    if (!bars.length) return;
    const max = Math.max(1.5, ...bars.map((b) => b.value));
    const rowH = 18;
    const left = 330;
    const width = 760;
    const height = 40 + bars.length * rowH + 20;
    const scale = (v: number) => ((width - left - 20) * v) / max;
    const body = bars
      .map((b, i) => {
        const y = 30 + i * rowH;
        const fill = b.value >= 1 ? '#2f855a' : '#c05621';
        return `<text x="${left - 6}" y="${y + 12}" text-anchor="end" font-size="11">${esc(b.name.slice(0, 52))}</text><rect x="${left}" y="${y + 2}" width="${scale(b.value).toFixed(1)}" height="${rowH - 5}" fill="${fill}"/><text x="${left + scale(b.value) + 4}" y="${y + 12}" font-size="11">${b.value.toFixed(2)}x</text>`;
      })
      .join('');
    const one = left + scale(1);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/><text x="10" y="18" font-size="13" font-weight="bold">${esc(t.title)} (ratio vs baseline)</text>${body}<line x1="${one}" y1="24" x2="${one}" y2="${height - 10}" stroke="#333" stroke-dasharray="4 3"/><text x="${one + 3}" y="${height - 2}" font-size="10">baseline 1.0</text></svg>\n`;
    charts.push({ file: `chart-${ti + 1}.svg`, title: t.title, svg });
  });
  return charts;
}
