/**
 * Per-file state of the struct code generator: which runtime helpers, enums and other structs a
 * generated module imports, and the local names it has taken.
 */
import type { FieldIR } from '../../ir.ts';
import type { Model, StructModel } from './model.ts';
import { RUNTIME_EXPORTS } from './copied.ts';
import { camel } from './names.ts';

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in ' +
    'instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface ' +
    'package private protected public await arguments eval undefined NaN Infinity ' +
    // names the generated code uses itself
    'b o end e i n v x s y z c lo hi buf bo out bytes offset R Run Math Number Uint8Array Error'
  ).split(' '),
);

export class FileContext {
  readonly runtime = new Set<string>();
  readonly enums = new Set<string>();
  /** Struct ids whose read/size/write functions this module calls. */
  readonly structs = new Set<string>();
  readonly typeOnlyEnums = new Set<string>();

  constructor(
    readonly model: Model,
    readonly self: StructModel,
  ) {}

  /** Marks runtime helpers as used; returns the first name. */
  rt(...names: string[]): string {
    for (const n of names) this.runtime.add(n);
    return names[0]!;
  }

  /** A local variable name for a field, never a reserved word nor a helper's name. */
  local(f: FieldIR, suffix = ''): string {
    let n = camel(f.id) + suffix;
    while (RESERVED.has(n) || this.runtime.has(n) || RUNTIME_EXPORTS.has(n) || this.structFns.has(n)) n += '_';
    return n;
  }

  private get structFns(): Set<string> {
    const s = new Set<string>();
    for (const id of this.structs) {
      const nm = this.model.struct(id).name;
      for (const p of ['read', 'size', 'write']) s.add(p + nm);
    }
    const own = this.self.name;
    for (const p of ['read', 'size', 'write', 'decode', 'encode', 'encodedSize']) s.add(p + own);
    return s;
  }

  imports(): string {
    const lines: string[] = [];
    const own = this.self.ir.id;
    for (const id of [...this.structs].sort()) {
      if (id === own) continue;
      const s = this.model.struct(id);
      lines.push(`import { read${s.name}, size${s.name}, write${s.name}, type ${s.name} } from './${id}.ts';`);
    }
    const values = [...this.enums].sort();
    const types = [...this.typeOnlyEnums].filter((t) => !this.enums.has(t)).sort();
    const enumNames = [...values, ...types.map((t) => `type ${t}`)];
    if (values.length) lines.unshift(`import { ${enumNames.join(', ')} } from '../enums.ts';`);
    else if (types.length) lines.unshift(`import type { ${types.join(', ')} } from '../enums.ts';`);
    if (this.runtime.size) lines.unshift(`import { ${[...this.runtime].sort().map((n) => (n === 'Run' ? 'type Run' : n)).join(', ')} } from '../_runtime.ts';`);
    return lines.join('\n');
  }
}
