// A second language from the same spec: compile generated/protocol.ksy to Python with the Kaitai
// compiler, run the parser with Debian's python3-kaitaistruct over every valid codec vector, and
// compare every field with the vector. Skipped (with the reason) only outside CI when python3 or
// its kaitaistruct module is missing; in CI (process.env.CI) a missing prerequisite fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSpecFile } from '../generator/load.ts';
import type { SpecIR, StructIR } from '../generator/ir.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const ksyPath = join(root, 'generated/protocol.ksy');
const vectorsPath = join(root, 'generated/vectors/codec.json');
const driver = join(root, 'spec/kaitai-python/kaitai_driver.py');
const require = createRequire(import.meta.url);
const scratch = mkdtempSync(join(tmpdir(), 'parley-python-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const INSTALL = 'install it with `apt-get install -y python3-kaitaistruct` (Debian/Ubuntu) or `pip install kaitaistruct`';

/** The first Python that can import kaitaistruct: $PARLEY_PYTHON, python3, then Debian's /usr/bin/python3. */
function findPython(): { exe: string; runtime: string } | { missing: string } {
  const candidates = [process.env.PARLEY_PYTHON, 'python3', '/usr/bin/python3'].filter((x): x is string => !!x);
  let anyPython = false;
  for (const exe of candidates) {
    const r = spawnSync(exe, ['-c', 'import kaitaistruct; print(kaitaistruct.__version__)'], { encoding: 'utf8' });
    if (r.error) continue;
    anyPython = true;
    if (r.status === 0) return { exe, runtime: r.stdout.trim() };
  }
  return { missing: anyPython ? `no python3 with the kaitaistruct module (tried ${candidates.join(', ')}): ${INSTALL}` : 'python3 is not installed' };
}

/** The Kaitai compiler whose Python output the runtime accepts: 0.11 output demands API 0.11. */
async function compilePython(ksy: unknown, runtime: string): Promise<{ files: Record<string, string>; compiler: string }> {
  const [major, minor] = runtime.split('.').map(Number);
  const pkg = major === 0 && (minor ?? 0) < 11 ? 'kaitai-struct-compiler-010' : 'kaitai-struct-compiler';
  const exported = require(pkg) as { new (): KsCompiler } | KsCompiler;
  const compiler: KsCompiler = typeof exported === 'function' ? new exported() : exported;
  return { files: await compiler.compile('python', ksy, null, false), compiler: `${pkg} ${compiler.version}` };
}

interface KsCompiler {
  version: string;
  compile(lang: string, ksy: unknown, importer: null, debug: boolean): Promise<Record<string, string>>;
}

const camel = (id: string) => id.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
type Json = null | number | string | boolean | Json[] | { [k: string]: Json };

/** Every difference between Kaitai's raw dump (ksy ids) and a vector's fields (codec convention). */
function compareStruct(ir: SpecIR, s: StructIR, raw: Json, want: Json, path: string, out: string[]): number {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return out.push(`${path}: Kaitai gave ${JSON.stringify(raw)}`), 0;
  const w = want as Record<string, Json>;
  const r = raw as Record<string, Json>;
  let compared = 0;
  const structOf = (id: string) => ir.structs.find((x) => x.id === id)!;
  for (const f of s.fields) {
    const p = `${path}.${f.id}`;
    const exp = w[camel(f.id)];
    if (!(f.id in r)) {
      out.push(`${p}: not in Kaitai's output`);
      continue;
    }
    const got = r[f.id]!;
    compared++;
    if (f.type === 'struct') compared += compareStruct(ir, structOf(f.struct), got, exp!, p, out);
    else if (f.type === 'switch') {
      const code = w[camel(f.on)];
      const c = f.cases.find((x) => x.value === code);
      if (!c) out.push(`${p}: no case for selector ${JSON.stringify(code)}`);
      else compared += compareStruct(ir, structOf(c.struct), got, exp!, p, out);
    } else if (f.type === 'list' && ir.structs.some((x) => x.id === f.of)) {
      if (!Array.isArray(got) || !Array.isArray(exp) || got.length !== exp.length) out.push(`${p}: Kaitai gave ${JSON.stringify(got)}, expected ${JSON.stringify(exp)}`);
      else got.forEach((g, i) => (compared += compareStruct(ir, structOf(f.of), g, exp[i]!, `${p}[${i}]`, out)));
    } else if (f.type === 'zeros') {
      const hex = (got as { $bytes?: string }).$bytes;
      if (typeof hex !== 'string' || hex.length / 2 !== exp || /[^0]/.test(hex)) out.push(`${p}: Kaitai gave ${JSON.stringify(got)}, expected ${exp} zero bytes`);
    } else if (JSON.stringify(got) !== JSON.stringify(exp)) out.push(`${p}: Kaitai gave ${JSON.stringify(got)}, expected ${JSON.stringify(exp)}`);
  }
  for (const k of Object.keys(w)) if (!s.fields.some((f) => camel(f.id) === k)) out.push(`${path}.${k}: in the vector but not a field of ${s.id}`);
  return compared;
}

function prerequisites(): string | null {
  if (!existsSync(ksyPath)) return `${ksyPath} does not exist yet (run npm run gen)`;
  if (!existsSync(vectorsPath)) return `${vectorsPath} does not exist yet (run npm run gen)`;
  const py = findPython();
  return 'missing' in py ? py.missing : null;
}

describe('a Python parser generated from generated/protocol.ksy', () => {
  it('reads every valid codec vector with every field as the vector says', async (ctx) => {
    const missing = prerequisites();
    if (missing) {
      if (process.env.CI) throw new Error(`CI must run the Python cross-check, but ${missing}`);
      console.warn(`python-kaitai: skipped: ${missing}`);
      ctx.skip(`Python cross-check skipped: ${missing}`);
    }
    const py = findPython() as { exe: string; runtime: string };
    const ksy = parseYaml(readFileSync(ksyPath, 'utf8')) as { meta: { id: string }; types: Record<string, { seq?: { id: string }[] }> };
    const { files, compiler } = await compilePython(ksy, py.runtime);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(scratch, name), text);
    const moduleName = ksy.meta.id;
    expect(Object.keys(files)).toContain(`${moduleName}.py`);

    const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')) as { valid: { struct: string; name: string; hex: string; fields: Json }[] };
    const types = Object.fromEntries(Object.entries(ksy.types).map(([id, t]) => [id, (t.seq ?? []).map((f) => f.id)]));
    const request = { types, cases: vectors.valid.map((v) => ({ struct: v.struct, hex: v.hex })) };
    const rootClass = moduleName.split('_').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
    const r = spawnSync(py.exe, [driver, scratch, moduleName, rootClass], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120_000 });
    expect(r.stderr, `${py.exe} ${driver} failed (${compiler}, runtime ${py.runtime})`).toBe('');
    expect(r.status).toBe(0);
    const { results } = JSON.parse(r.stdout) as { results: ({ ok: true; fields: Json; consumed: number; size: number } | { ok: false; error: string })[] };
    expect(results).toHaveLength(vectors.valid.length);

    const ir = loadSpecFile(join(root, 'spec/protocol.yaml'));
    const problems: string[] = [];
    let fields = 0;
    vectors.valid.forEach((v, i) => {
      const res = results[i]!;
      const label = `${v.struct} "${v.name}"`;
      if (!res.ok) return void problems.push(`${label}: Kaitai failed: ${res.error}`);
      // Every valid vector is exactly one structure: a parser that stops early is wrong too.
      if (res.consumed !== res.size || res.size !== v.hex.length / 2) problems.push(`${label}: Kaitai read ${res.consumed} of ${v.hex.length / 2} bytes`);
      const s = ir.structs.find((x) => x.id === v.struct);
      if (!s) return void problems.push(`${label}: no struct ${v.struct} in spec/protocol.yaml`);
      fields += compareStruct(ir, s, res.fields, v.fields, label, problems);
    });
    expect(problems.slice(0, 30), `${problems.length} disagreement(s) between Kaitai (${compiler}, Python runtime ${py.runtime}) and codec.json`).toEqual([]);
    expect(fields).toBeGreaterThan(vectors.valid.length);
  });
});
