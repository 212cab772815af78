/**
 * Naming and comment helpers shared by the codec emitters: spec ids (lower_snake) become
 * camelCase properties and functions and PascalCase types; every generated symbol gets a doc
 * comment naming the YAML path it came from.
 */

/** `msg_id` → `msgId`. */
export function camel(id: string): string {
  return id.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `frame_kind` → `FrameKind`. */
export function pascal(id: string): string {
  const c = camel(id);
  return c.charAt(0).toUpperCase() + c.slice(1);
}

/** Text safe inside a block comment. */
function commentSafe(text: string): string {
  return text.replace(/\*\//g, '*\\/');
}

/**
 * A JSDoc block: the lines (wrapped at nothing: docs are kept as written) and a final
 * `From `path`.` line. `indent` is prepended to every line.
 */
export function doc(lines: (string | undefined)[], from: string | undefined, indent = ''): string {
  const body = lines.filter((l): l is string => l !== undefined && l !== '').flatMap((l) => commentSafe(l).split('\n'));
  if (from) body.push(`From \`${from}\`.`);
  if (body.length === 1) return `${indent}/** ${body[0]} */\n`;
  return `${indent}/**\n${body.map((l) => `${indent} *${l ? ' ' + l : ''}`).join('\n')}\n${indent} */\n`;
}

/** A JS string literal. */
export function lit(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** A property key: bare when it is an identifier, quoted otherwise. */
export function key(s: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s) ? s : lit(s);
}

/** Indents every non-empty line of a block. */
export function indent(block: string, by = '  '): string {
  return block
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');
}

/** Throws if two generated names collide; `what` maps a name to the spec element it came from. */
export function checkUnique(entries: [name: string, from: string][], scope: string): void {
  const seen = new Map<string, string>();
  for (const [name, from] of entries) {
    const prev = seen.get(name);
    if (prev !== undefined) throw new Error(`codec emitter: ${scope} name ${name} is generated twice, from ${prev} and from ${from}; rename one of them in the spec`);
    seen.set(name, from);
  }
}
