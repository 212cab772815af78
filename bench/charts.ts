/**
 * SVG charts for the benchmark report, written here (no charting dependency):
 *
 * - relay tables (columns `frame`, `pairs`, `bare …`, `parley …`): throughput and latency
 *   against frame size and pair count, grouped bars of the relay beside its bare baseline;
 * - backend tables (crypto primitives, protocol layer: one column of ops/s per backend): the
 *   backends side by side per operation, each operation's bars scaled to its fastest backend;
 * - any table with ratio columns (`… ratio`, `… vs …`): bars against the 1.0 line of the baseline.
 */
import type { BenchTable } from './table.ts';

export interface Chart {
  file: string;
  title: string;
  svg: string;
}

interface Bar {
  series: string;
  value: number;
  label: string;
}
interface Group {
  label: string;
  bars: Bar[];
  /** Draw a rule above this group (a new pair count, say). */
  rule?: boolean;
}
interface Layout {
  /** `shared`: one scale for all bars; `group`: each group's longest bar spans the width. */
  scale: 'shared' | 'group';
  /** A dashed line at this value (shared scale only), e.g. 1.0 for ratios. */
  baseline?: number;
  /** Colours by series (else the palette in order). */
  colors?: Record<string, string>;
}

type Row = BenchTable['rows'][number];

const PALETTE = ['#718096', '#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b7791f'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 48).replace(/-$/, '');

/** A number from a cell: 1234, "1,234", "1,234 (0.98x)" → 1234. */
function leading(v: string | number | undefined): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  const m = /^\s*(-?[\d,]+(?:\.\d+)?)/.exec(v ?? '');
  return m ? Number(m[1]!.replace(/,/g, '')) : null;
}

/** A ratio from a cell: 1.23, "1.23x", "(1.23x)" → 1.23. */
function ratioOf(v: string | number | undefined): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  const m = /(-?\d+(?:\.\d+)?)x\)?\s*$/.exec(v ?? '');
  return m ? Number(m[1]) : null;
}

function grouped(title: string, note: string, groups: Group[], layout: Layout): string {
  const series = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.series)))];
  const color = (s: string) => layout.colors?.[s] ?? PALETTE[series.indexOf(s) % PALETTE.length]!;
  const width = 900;
  const left = 250;
  const area = width - left - 170;
  const barH = 12;
  const gap = 12;
  const top = 58;
  const shared = Math.max(layout.baseline ?? 0, ...groups.flatMap((g) => g.bars.map((b) => b.value)));
  let y = top;
  const parts: string[] = [];
  for (const g of groups) {
    const max = layout.scale === 'group' ? Math.max(...g.bars.map((b) => b.value)) : shared;
    if (g.rule) parts.push(`<line x1="10" y1="${y - gap / 2}" x2="${width - 10}" y2="${y - gap / 2}" stroke="#cbd5e0"/>`);
    parts.push(`<text x="${left - 8}" y="${y + barH - 2}" text-anchor="end" font-size="11">${esc(g.label.slice(0, 40))}</text>`);
    for (const b of g.bars) {
      const w = max > 0 ? (area * b.value) / max : 0;
      parts.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${color(b.series)}"/>`,
        `<text x="${(left + w + 4).toFixed(1)}" y="${y + barH - 3}" font-size="10">${esc(b.label)}</text>`,
      );
      y += barH;
    }
    y += gap;
  }
  if (layout.baseline !== undefined && layout.scale === 'shared' && shared > 0) {
    const x = left + (area * layout.baseline) / shared;
    parts.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${y - gap + 2}" stroke="#333" stroke-dasharray="4 3"/>`, `<text x="${x + 3}" y="${y + 2}" font-size="10">baseline ${layout.baseline}</text>`);
  }
  const legend = series.map((s, i) => `<rect x="${10 + i * 150}" y="34" width="10" height="10" fill="${color(s)}"/><text x="${24 + i * 150}" y="43" font-size="11">${esc(s)}</text>`).join('');
  const height = y + 16;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="#fff"/><text x="10" y="16" font-size="13" font-weight="bold">${esc(title)}</text>` +
    `<text x="10" y="29" font-size="10" fill="#4a5568">${esc(note)}</text>${legend}${parts.join('')}</svg>\n`
  );
}

/** The baseline light, the relay dark; p99 in warm colours. */
const RELAY_COLORS: Record<string, string> = {
  'bare ws forwarder': '#a0aec0',
  'parley relay': '#2b6cb0',
  'bare p50': '#a0aec0',
  'parley p50': '#2b6cb0',
  'bare p99': '#f6ad55',
  'parley p99': '#c05621',
};

/** Relay vs bare forwarder: frames/s, and p50/p99 latency, per pair count and frame size. */
function relayCharts(t: BenchTable): Chart[] | null {
  const cols = new Set(t.rows.flatMap((r) => Object.keys(r)));
  if (!['frame', 'pairs', 'bare frames/s', 'parley frames/s'].every((c) => cols.has(c))) return null;
  const label = (r: Row) => `${r.pairs} pair${String(r.pairs) === '1' ? '' : 's'} · ${r.frame}`;
  const ruled = (i: number) => i > 0 && t.rows[i - 1]!.pairs !== t.rows[i]!.pairs;
  const bar = (r: Row, col: string, series: string, unit: string, ratioCol?: string): Bar[] => {
    const v = leading(r[col]);
    if (v === null) return [];
    const ratio = ratioCol ? ratioOf(r[ratioCol]) : null;
    return [{ series, value: v, label: `${fmt(v)}${unit}${ratio === null ? '' : ` (${ratio.toFixed(2)}x)`}` }];
  };
  const throughput = t.rows.map((r, i) => ({ label: label(r), rule: ruled(i), bars: [...bar(r, 'bare frames/s', 'bare ws forwarder', ''), ...bar(r, 'parley frames/s', 'parley relay', '', 'throughput ratio')] }));
  const latency = t.rows.map((r, i) => ({
    label: label(r),
    rule: ruled(i),
    bars: [
      ...bar(r, 'bare p50 ms', 'bare p50', ' ms'),
      ...bar(r, 'parley p50 ms', 'parley p50', ' ms'),
      ...bar(r, 'bare p99 ms', 'bare p99', ' ms'),
      ...bar(r, 'parley p99 ms', 'parley p99', ' ms', 'p99 ratio'),
    ],
  }));
  const note = 'Grouped by pair count, then frame size; the relay beside its bare baseline, measured in the same run.';
  return [
    { file: `${slug(t.title)}-throughput.svg`, title: `${t.title}: throughput`, svg: grouped('Relay throughput (frames/s) against frame size and pairs', note, throughput, { scale: 'shared', colors: RELAY_COLORS }) },
    { file: `${slug(t.title)}-latency.svg`, title: `${t.title}: latency`, svg: grouped('Relay latency (ms, send to receive) against frame size and pairs', note, latency, { scale: 'shared', colors: RELAY_COLORS }) },
  ];
}

/** Backends side by side: one bar per backend column (ops/s) for each operation row. */
function backendChart(t: BenchTable): Chart | null {
  if (!/crypto|protocol/i.test(t.title)) return null;
  const cols = [...new Set(t.rows.flatMap((r) => Object.keys(r)))];
  const opsCols = cols.filter((c) => / ops\/s$/.test(c));
  const series = opsCols.length >= 2 ? opsCols : cols.slice(1).filter((c) => t.rows.every((r) => r[c] === undefined || leading(r[c]) !== null));
  if (series.length < 2) return null;
  const name = (c: string) => c.replace(/ ops\/s$/, '');
  const groups: Group[] = t.rows.map((r) => ({
    label: String(r[cols[0]!]),
    bars: series.flatMap((c) => {
      const v = leading(r[c]);
      const vs = r[`${name(c)} vs libsodium`] ?? (typeof r[c] === 'string' ? r[c] : undefined);
      const ratio = ratioOf(vs);
      return v === null ? [] : [{ series: name(c), value: v, label: `${fmt(v)}/s${ratio === null ? '' : ` (${ratio.toFixed(2)}x)`}` }];
    }),
  }));
  return {
    file: `${slug(t.title)}-backends.svg`,
    title: `${t.title}: backends side by side`,
    svg: grouped(`${t.title}: backends side by side`, 'Operations per second; each operation\'s bars are scaled to its fastest backend. Ratios are against libsodium-wrappers.', groups, { scale: 'group' }),
  };
}

/** Ratio columns against the 1.0 line; rows labelled by their leading text columns. */
function ratioChart(t: BenchTable): Chart | null {
  const cols = [...new Set(t.rows.flatMap((r) => Object.keys(r)))];
  const ratioCols = cols.filter((c) => /ratio|\bvs\b/i.test(c) && t.rows.some((r) => ratioOf(r[c]) !== null));
  if (!ratioCols.length) return null;
  const firstNumeric = cols.findIndex((c) => t.rows.every((r) => typeof r[c] === 'number' || ratioOf(r[c]) !== null));
  const labelCols = cols.slice(0, Math.max(1, firstNumeric === -1 ? 1 : firstNumeric));
  const groups: Group[] = t.rows.map((r) => ({
    label: labelCols.map((c) => (c === 'pairs' ? `${r[c]} pairs` : String(r[c] ?? ''))).join(' · '),
    bars: ratioCols.flatMap((c) => {
      const v = ratioOf(r[c]);
      return v === null ? [] : [{ series: c, value: v, label: `${v.toFixed(2)}x` }];
    }),
  }));
  return { file: `${slug(t.title)}-ratios.svg`, title: `${t.title}: ratios`, svg: grouped(`${t.title}: ratios`, 'Each bar is a ratio against the baseline measured in the same run (dashed line: 1.0).', groups, { scale: 'shared', baseline: 1 }) };
}

export function renderCharts(tables: BenchTable[]): Chart[] {
  return tables.flatMap((t) => [...(relayCharts(t) ?? []), ...[backendChart(t), ratioChart(t)].filter((c): c is Chart => c !== null)]);
}
