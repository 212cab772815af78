/**
 * RFC-style byte diagrams (as in RFC 791 section 3.1): rows of 32 bits, one `+-+` per bit, a
 * field's name centred in its box. A variable-length field fills the rest of its row and one more
 * row, drawn with `/` edges; the fields after it start a new row (their offsets are relative).
 * Rows wholly inside a long field are collapsed into one `:` row.
 */

export interface Cell {
  label: string;
  /** Byte count; null for a variable length. */
  bytes: number | null;
  /** Shorter labels to try when the label does not fit its box. */
  short?: string[];
}

const COLS = 4;
const BYTE_W = 16; // two characters per bit

export const RULER = [
  ' 0                   1                   2                   3',
  ' 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1',
];

export function byteDiagram(cells: Cell[]): string[] {
  // Lay cells out: grid[row][col] = cell index.
  const grid: (number | undefined)[][] = [];
  let row = 0;
  let col = 0;
  const put = (i: number) => {
    (grid[row] ??= new Array(COLS).fill(undefined))[col] = i;
    if (++col === COLS) ((col = 0), row++);
  };
  cells.forEach((c, i) => {
    if (c.bytes === null) {
      do put(i);
      while (col !== 0);
      for (let k = 0; k < COLS; k++) put(i);
    } else for (let k = 0; k < c.bytes; k++) put(i);
  });
  if (!grid.length) return [];
  const at = (r: number, c: number) => grid[r]?.[c];
  const isVar = (i: number | undefined) => i !== undefined && cells[i]!.bytes === null;
  const full = (r: number, i: number) => grid[r]!.every((x) => x === i);

  // The row that carries each cell's label: the first row where its box is widest.
  const labelRow = new Map<number, number>();
  const widest = new Map<number, number>();
  grid.forEach((cols, r) => {
    for (const i of new Set(cols)) {
      if (i === undefined) continue;
      const w = cols.filter((x) => x === i).length;
      if (w > (widest.get(i) ?? 0)) (widest.set(i, w), labelRow.set(i, r));
    }
  });

  const content = (r: number): string => {
    const cols = grid[r]!;
    let line = isVar(cols[0]) ? '/' : '|';
    for (let c = 0; c < COLS; ) {
      const i = cols[c];
      if (i === undefined) break;
      let w = 1;
      while (c + w < COLS && cols[c + w] === i) w++;
      const width = w * BYTE_W - 1;
      const text = labelRow.get(i) === r ? fit(cells[i]!, width) : '';
      const left = Math.floor((width - text.length) / 2);
      line += ' '.repeat(left) + text + ' '.repeat(width - left - text.length);
      const next = cols[c + w];
      line += isVar(i) || isVar(next) ? '/' : '|';
      c += w;
    }
    return line;
  };
  const separator = (r: number): string => {
    // Between row r and r + 1 (r = -1: the top line).
    let line = '+';
    for (let c = 0; c < COLS; c++) {
      const above = at(r, c);
      const below = at(r + 1, c);
      if (above === undefined && below === undefined) break;
      const same = above !== undefined && above === below;
      line += same ? ' '.repeat(BYTE_W - 1) : '-+-+-+-+-+-+-+-';
      const sameNext = c + 1 < COLS && same && at(r, c + 1) === above && at(r + 1, c + 1) === above;
      line += sameNext ? ' ' : '+';
    }
    return line;
  };

  const out = [...RULER, separator(-1)];
  for (let r = 0; r < grid.length; r++) {
    const i = grid[r]![0]!;
    const collapsible = (k: number) => k > 0 && full(k, i) && full(k - 1, i) && labelRow.get(i) !== k;
    if (collapsible(r) && r + 1 < grid.length && collapsible(r + 1) && grid[r + 1]![0] === i) {
      let end = r;
      while (end + 1 < grid.length && grid[end + 1]![0] === i && collapsible(end + 1)) end++;
      out.push(':' + ' '.repeat(COLS * BYTE_W - 1) + ':', separator(end));
      r = end;
      continue;
    }
    out.push(content(r), separator(r));
  }
  return out;
}

function fit(cell: Cell, width: number): string {
  const options = [cell.label, ...(cell.short ?? [])];
  for (const room of [width - 2, width]) for (const t of options) if (t.length <= room) return t;
  const t = cell.short?.at(-1) ?? cell.label;
  return t.slice(0, Math.max(1, width - 1)) + '~';
}
