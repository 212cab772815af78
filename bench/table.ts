/** A benchmark table: every package's bench returns these; run.ts prints and collects them. */
export interface BenchTable {
  title: string;
  /** Rows of cells; the first row's keys are the columns. */
  rows: Record<string, string | number>[];
  /** What the ratios are against, and the targets. */
  note?: string;
}

function cell(v: string | number): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** Markdown table (also readable in a terminal). */
export function renderTable(t: BenchTable): string {
  if (!t.rows.length) return `### ${t.title}\n\n(no rows)\n`;
  const cols = [...new Set(t.rows.flatMap((r) => Object.keys(r)))];
  const cells = t.rows.map((r) => cols.map((c) => (r[c] === undefined ? '' : cell(r[c]!))));
  const width = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (xs: string[]) => '| ' + xs.map((x, i) => x.padEnd(width[i]!)).join(' | ') + ' |';
  return [
    `### ${t.title}`,
    '',
    ...(t.note ? [t.note, ''] : []),
    line(cols),
    '|' + width.map((w) => '-'.repeat(w + 2)).join('|') + '|',
    ...cells.map(line),
    '',
  ].join('\n');
}
