/**
 * Compiles a .ksy with the kaitai-struct-compiler npm package (JavaScript target) and loads the
 * result with the kaitai-struct runtime, without touching the file system: the compiled modules
 * are UMD, so each is evaluated with a `require` that knows the runtime and its siblings.
 * Used by the Kaitai cross-check test; a benchmark can reuse it.
 */
import { createRequire } from 'node:module';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);

/** Compiler packages we know: 0.11 exports the compiler object, 0.10 a constructor. */
export const KAITAI_COMPILERS = { '0.11': 'kaitai-struct-compiler', '0.10': 'kaitai-struct-compiler-010' } as const;
export type KaitaiVersion = keyof typeof KAITAI_COMPILERS;

interface Compiler {
  compile(lang: string, ksy: unknown, importer: unknown, debug: boolean): Promise<Record<string, string>>;
}

/** The runtime's stream class: `new KaitaiStream(bytes)`. */
export const KaitaiStream: new (data: ArrayBuffer | Uint8Array) => unknown = require('kaitai-struct/KaitaiStream');

/** True when the compiler package of that version is installed. */
export function hasCompiler(version: KaitaiVersion): boolean {
  try {
    require.resolve(KAITAI_COMPILERS[version]);
    return true;
  } catch {
    return false;
  }
}

/** Compiles .ksy text (or an already parsed object) to JavaScript: file name -> source. */
export async function compileKsy(ksy: string | object, version: KaitaiVersion = '0.11'): Promise<Record<string, string>> {
  const mod = require(KAITAI_COMPILERS[version]) as Compiler | (new () => Compiler);
  const compiler: Compiler = typeof mod === 'function' ? new mod() : mod;
  const spec = typeof ksy === 'string' ? parse(ksy) : ksy;
  return compiler.compile('javascript', spec, null, false);
}

/** Evaluates compiled modules; returns the exports of each, by file name without `.js`. */
export function loadCompiled(files: Record<string, string>): Record<string, Record<string, unknown>> {
  const loaded: Record<string, Record<string, unknown>> = {};
  const load = (name: string): Record<string, unknown> => {
    const known = loaded[name];
    if (known) return known;
    const source = files[`${name}.js`];
    if (source === undefined) throw new Error(`kaitai: no compiled module ${name}.js`);
    const module = { exports: {} as Record<string, unknown> };
    loaded[name] = module.exports;
    const req = (id: string) => (id === 'kaitai-struct/KaitaiStream' ? KaitaiStream : id.startsWith('./') ? load(id.slice(2)) : require(id));
    new Function('module', 'exports', 'require', source).call(undefined, module, module.exports, req);
    // 0.10 replaces module.exports with the class; 0.11 adds the class to exports.
    loaded[name] = module.exports;
    return module.exports;
  };
  for (const f of Object.keys(files)) load(f.replace(/\.js$/, ''));
  return loaded;
}

/** `frame_kind` -> `FrameKind`: Kaitai's class names. */
export const pascal = (id: string) => id.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

export interface KaitaiParser {
  /** The root class (meta id), e.g. Parley. */
  root: Record<string, unknown>;
  /** Parses `bytes` as the named type (`envelope`, or the root id); throws Kaitai's errors. */
  parse(type: string, bytes: Uint8Array): Record<string, unknown>;
}

/** Compiles and loads a .ksy; `parse('envelope', bytes)` gives Kaitai's object for the bytes. */
export async function kaitaiParser(ksy: string, version: KaitaiVersion = '0.11'): Promise<KaitaiParser> {
  const spec = parse(ksy) as { meta: { id: string } };
  const files = await compileKsy(spec, version);
  const rootName = pascal(spec.meta.id);
  const exported = loadCompiled(files)[rootName];
  const root = (typeof exported === 'function' ? exported : exported?.[rootName]) as Record<string, unknown> | undefined;
  if (!root) throw new Error(`kaitai: the compiled code has no ${rootName}`);
  return {
    root,
    parse(type, bytes) {
      const cls = (type === spec.meta.id ? root : root[pascal(type)]) as (new (io: unknown, parent?: unknown, root?: unknown) => Record<string, unknown>) | undefined;
      if (!cls) throw new Error(`kaitai: no type ${type}`);
      return new cls(new KaitaiStream(bytes));
    },
  };
}
