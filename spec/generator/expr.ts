/**
 * Constant expressions in the spec: integers, constant names, sizeof(struct), + - * / and
 * parentheses. Division is integer division (floor). Everything else is an error.
 */

export type Resolve = (name: string) => number;
export type SizeOf = (struct: string) => number;

const TOKEN = /\s*(?:(\d+)|([A-Z][A-Z0-9_]*)|(sizeof)\s*\(\s*([a-z][a-z0-9_]*)\s*\)|([-+*/()]))/y;

export function evaluate(expression: string | number, resolve: Resolve, sizeOf: SizeOf): number {
  if (typeof expression === 'number') return expression;
  // Tokenise completely before resolving names: resolving may evaluate other expressions.
  const matches: RegExpExecArray[] = [];
  const re = new RegExp(TOKEN.source, 'y');
  const src = expression.trim();
  while (re.lastIndex < src.length) {
    const m = re.exec(src);
    if (!m) throw new Error(`cannot read expression "${expression}" at character ${re.lastIndex}`);
    matches.push(m);
  }
  const tokens: (string | number)[] = matches.map((m) =>
    m[1] !== undefined ? Number(m[1]) : m[2] !== undefined ? resolve(m[2]) : m[3] !== undefined ? sizeOf(m[4]!) : m[5]!,
  );
  let i = 0;
  const primary = (): number => {
    const t = tokens[i++];
    if (typeof t === 'number') return t;
    if (t === '(') {
      const v = sum();
      if (tokens[i++] !== ')') throw new Error(`missing ")" in "${expression}"`);
      return v;
    }
    throw new Error(`unexpected ${t === undefined ? 'end' : `"${t}"`} in "${expression}"`);
  };
  const product = (): number => {
    let v = primary();
    while (tokens[i] === '*' || tokens[i] === '/') {
      const op = tokens[i++];
      const r = primary();
      v = op === '*' ? v * r : Math.floor(v / r);
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (tokens[i] === '+' || tokens[i] === '-') {
      const op = tokens[i++];
      const r = product();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  const v = sum();
  if (i !== tokens.length) throw new Error(`unexpected "${tokens[i]}" in "${expression}"`);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`"${expression}" is ${v}, not a non-negative safe integer`);
  return v;
}
